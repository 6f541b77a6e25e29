"""Identity resolution between the staging and intermediate dbt layers.

`identity/splink_matches` trains the Splink model on the staged CRM records and writes its scored pairs to
`identity.splink_matches`, a dbt source (models/intermediate/identity/_identity__sources.yml) that the
intermediate layer reads: staging -> splink_matches -> int_identity_links -> int_person_map. The check
`identity_quality` measures the resolved person map against the generator's ground truth when there is one.
The logic is in ml/identity.py; these are thin wrappers that read, call, write and report.
"""

from typing import TYPE_CHECKING

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.assets.dbt import dbt_model_key
from dagster_project.assets.table_metadata import table_metadata
from dagster_project.tables import warehouse_tables
from voc360.settings import get_settings

# ml.identity (pandas, and Splink when it runs) is imported in the asset and check functions: the Dagster
# definitions load without it. (No `from __future__ import annotations` here: Dagster reads the config classes
# of the asset functions from their annotations, which must not be strings.)
if TYPE_CHECKING:
    from ml.identity import SplinkSettings

# Keys of the dbt models around the Python step, as the dbt translator names them.
STAGING_INPUTS = [dbt_model_key(name) for name in ("stg_crm__customers", "stg_pos__receipts")]
PERSON_MAP = dbt_model_key("int_person_map")
SPLINK_MATCHES = dg.AssetKey(["identity", "splink_matches"])


class SplinkMatchesConfig(dg.Config):
    """Run configuration of the probabilistic deduplication (defaults: ml.identity.SplinkSettings)."""

    # Written out so that the definitions load without ml.identity; tests/test_definitions_load.py keeps them equal.
    match_threshold: float = 0.95
    review_floor: float = 0.5
    seed: int = 42

    def settings(self) -> "SplinkSettings":
        from ml.identity import SplinkSettings

        return SplinkSettings(match_threshold=self.match_threshold, review_floor=self.review_floor, seed=self.seed)


def _md(frame) -> dg.MetadataValue:
    return dg.MetadataValue.md(frame.to_markdown(index=False) if len(frame) else "_none_")


@dg.asset(
    key=SPLINK_MATCHES,
    group_name="identity",
    kinds={"python", "splink", "duckdb"},
    owners=["team:data-platform"],
    deps=STAGING_INPUTS,
    description="Probabilistic deduplication of CRM customers (and scoring of cashier-typed store identities, "
    "a name with a phone) with Splink on DuckDB: comparisons on name (whole, one typo, either part), e-mail "
    "(whole, one typo, local part with a digit), phone, city and birth date; the clear names, e-mails and "
    "birth dates behind the staged CRM rows are read from raw inside this step only. u by seeded random "
    "sampling, m by EM on pairs that share a phone or an e-mail. Writes every pair scored at or above the "
    "review floor to `identity.splink_matches` (keys, scores and level labels, no personal data) with its "
    "match probability and evidence; pairs at or above the match threshold (default 0.95) become "
    "`splink_match` links of the identity graph.",
    metadata={"table": "identity.splink_matches"},
)
def splink_matches(
    context: dg.AssetExecutionContext, config: SplinkMatchesConfig, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    from ml import identity

    settings = config.settings()
    with warehouse_tables(warehouse) as con:
        records = identity.splink_input(con)
        # Splink's Spark backend on the Spark engine (a local session here; a cluster's in production)
        spark = identity.spark_session() if get_settings().engine == "spark" else None
        result = identity.deduplicate(records, settings, spark=spark)
        rows = identity.write_matches(con, result.matches)
        table = table_metadata(con, "identity.splink_matches")
    context.log.info(
        f"Splink: {result.records} records {result.record_types}, {result.pairs_scored} pairs at or above "
        f"{settings.review_floor}, {result.links} links at or above {settings.match_threshold}"
    )
    metadata: dict[str, object] = {
        "records": result.records,
        "records_by_type": result.record_types,
        "pairs_written": rows,
        "links": result.links,
        "match_threshold": settings.match_threshold,
        "review_floor": settings.review_floor,
        "seed": settings.seed,
        "model_id": result.model_id,
        "training": result.note,
        "training_pairs": result.training_pairs,
        "model_parameters": _md(identity.model_parameters(result.model).round(6)),
        "closest_non_matches": _md(
            result.matches[~result.matches["is_match"].astype(bool)]
            .sort_values("match_probability", ascending=False)
            .head(10)[["record_key_l", "record_key_r", "match_probability", "evidence"]]
        ),
        **table,
    }
    truth_dir = get_settings().ground_truth_dir
    if (truth_dir / "identity_map.csv").exists():
        scores = identity.evaluate_splink_pairs(result.matches, identity.crm_truth(truth_dir))
        metadata.update({f"truth_crm_{k}": v for k, v in scores.as_dict().items()})
    return dg.MaterializeResult(metadata=metadata)


@dg.asset_check(
    asset=PERSON_MAP,
    name="identity_quality",
    description="Pairwise precision and recall of 'same person' of int_person_map against the generator's "
    "ground truth (identity_map.csv): over CRM records, over all linked records and over all records, and the "
    "number of persons against the true count. Fails (warning) when the thresholds are not met; passes with a "
    "note when there is no ground truth, as with real data.",
    blocking=False,
)
def identity_quality(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    from ml import identity

    truth_dir = get_settings().ground_truth_dir
    if not (truth_dir / "identity_map.csv").exists():
        return dg.AssetCheckResult(
            passed=True,
            metadata={"skipped": f"no ground truth at {truth_dir} (real data has none)"},
            description="Skipped: no ground truth.",
        )
    with warehouse_tables(warehouse, read_only=True) as con:
        report = identity.identity_quality(con, truth_dir)
    metadata: dict[str, object] = {
        f"{scope}_{name}": value
        for scope in ("crm", "linked_records", "all_records")
        for name, value in report[scope].items()
    }
    metadata.update(
        {
            "persons": report["persons"],
            "true_persons": report["true_persons"],
            "thresholds": report["thresholds"],
        }
    )
    return dg.AssetCheckResult(
        passed=bool(report["passed"]),
        # An evaluation against planted truth, not a property of the data: a miss is a warning to look at
        # the linkage, it does not stop the marts or the publication.
        severity=dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )


identity_assets = [splink_matches]
identity_checks = [identity_quality]
