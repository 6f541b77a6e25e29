"""Write-audit-publish: the analysts' serving database is replaced only when every blocking check of the run passed."""

from collections.abc import Sequence

import dagster as dg

from voc360.publish import build_of, publish
from voc360.settings import BUILD_TAG, get_settings

PUBLISHED_SCHEMAS = ["marts"]


def build_id_and_runs(context: dg.AssetExecutionContext) -> tuple[str, list[str]]:
    """The build this run belongs to, and all its runs (a `voc360 build` lands and transforms in two runs)."""
    build_id = context.run.tags.get(BUILD_TAG)
    if build_id is None:
        return context.run_id, [context.run_id]
    records = context.instance.get_run_records(dg.RunsFilter(tags={BUILD_TAG: build_id}))
    return build_id, sorted({r.dagster_run.run_id for r in records} | {context.run_id})


def check_evaluations(context: dg.AssetExecutionContext, run_ids: list[str]) -> list:
    evaluations = []
    for run_id in run_ids:
        records = context.instance.get_records_for_run(
            run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
        ).records
        evaluations += [r.event_log_entry.dagster_event.event_specific_data for r in records]
    return evaluations


def build_publish_asset(published: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=["publish", "serving"],
        group_name="publish",
        deps=list(published),
        kinds={"duckdb"},
        owners=["team:data-platform"],
        description="An atomic copy of the marts (of the build database, or of Spark's tables on Spark) into "
        "warehouse/serving.duckdb (and Parquet), which analysts open read-only. Runs only after every blocking "
        "check upstream passed; refuses if any error-severity check of the build (its runs share the "
        "voc360/build tag) failed. The copy records its build id, time and the checks that passed in "
        "voc360_meta.publications.",
    )
    def serving(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        build_id, run_ids = build_id_and_runs(context)
        evaluations = check_evaluations(context, run_ids)
        failed = [e for e in evaluations if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
        if failed:
            names = ", ".join(f"{e.asset_key.to_user_string()}:{e.check_name}" for e in failed)
            raise dg.Failure(f"not publishing build {build_id}: blocking checks failed: {names}")
        settings = get_settings()
        passed = sorted(f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if e.passed)
        result = publish(
            build_of(settings),
            settings.serving_path,
            PUBLISHED_SCHEMAS,
            build_id=build_id,
            checks_passed=passed,
            parquet_dir=settings.warehouse_dir / "serving_parquet",
            memory_limit=settings.duckdb_memory_limit,
        )
        return dg.MaterializeResult(
            metadata={
                "build_id": result.build_id,
                "serving_database": dg.MetadataValue.path(str(result.serving_db)),
                "tables": len(result.tables),
                "dagster/row_count": result.row_count,
                "published_tables": dg.MetadataValue.md(
                    "| table | rows |\n|---|---:|\n" + "\n".join(f"| {t.name} | {t.row_count:,} |" for t in result.tables)
                ),
                "checks_passed": len(passed),
                "seconds": round(result.seconds, 2),
            }
        )

    return serving
