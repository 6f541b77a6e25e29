"""One landing asset per registered source: that day's files -> raw.<source>, bad rows -> raw_rejects.<source>."""

import datetime as dt
import warnings
from typing import TYPE_CHECKING

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.checks.gx import gx_check_result
from dagster_project.partitions import daily_partitions
from ml.text import mask_pii
from voc360.landing import load_days
from voc360.quality import validate_raw_partitions
from voc360.registry import Source, load_registry
from voc360.settings import get_settings

# pandas is slow to import: the Dagster definitions load without it. (No `from __future__ import annotations`
# here: Dagster reads the context and resource types of the asset functions from their annotations.)
if TYPE_CHECKING:
    import pandas as pd

# Single-run backfills are what make a range of days one run and one transaction; the API is marked beta.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)


def masked_preview(con, source: Source, day: dt.date) -> "pd.DataFrame":
    """The first rows of a landed day for the asset's metadata: PII columns left out, free text masked.

    Raw holds personal data as exported; Dagster's event log is read by everyone who opens the UI.
    """
    columns = [c for c in source.column_names if c not in source.pii] + ["_extra", "_source_file", "_line_number"]
    column_list = ", ".join(f'"{c}"' for c in columns)
    preview = con.execute(
        f"select {column_list} from raw.{source.name} "
        "where _partition_date = ? order by _source_file, _line_number limit 5",
        [day],
    ).df()
    for column in [*source.text_columns, "_extra"]:
        preview[column] = preview[column].map(lambda text: None if text is None else mask_pii(text))
    return preview


def build_landing_asset(source: Source) -> dg.AssetsDefinition:
    @dg.asset(
        name=source.name,
        key_prefix=["raw"],
        group_name="landing",
        description=f"{source.description}\n\nLanded from `{source.path}` ({source.format}); "
        f"malformed rows go to `raw_rejects.{source.name}` with a reason.",
        partitions_def=daily_partitions,
        # A range of days is loaded in one run and one transaction.
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"duckdb", "python", "great-expectations"},
        owners=[f"team:{source.owner}"],
        metadata={
            "primary_key": ", ".join(source.primary_key),
            "event_time": source.event_time,
            "pii_columns": ", ".join(source.pii) or "none",
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(c.name, "varchar", description=f"landed as text; declared {c.type}")
                    for c in source.columns
                ]
            ),
        },
        check_specs=[
            dg.AssetCheckSpec(
                "raw_quality",
                asset=dg.AssetKey(["raw", source.name]),
                blocking=True,
                description=f"Great Expectations suite expectations/raw/{source.name}.json on the landed days: "
                "keys and required columns, allowed values and ranges, event time in the window, volume "
                "against recent history, share of rejected rows.",
            )
        ],
    )
    def landing_asset(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        window = context.partition_time_window
        days = [
            window.start.date() + dt.timedelta(days=i) for i in range((window.end - window.start).days)
        ]
        with warehouse.get_connection() as con:
            settings = get_settings()
            con.execute("set memory_limit = ?", [settings.landing_memory_limit])  # see LANDING_MEMORY_LIMIT
            report = load_days(con, source, days, settings.landing_dir, parquet_dir=settings.raw_parquet_dir)
            total_rows = con.execute(f"select count(*) from raw.{source.name}").fetchone()[0]
            preview = masked_preview(con, source, days[-1])
            outcome = validate_raw_partitions(con, source, days)
        context.log.info(
            f"{source.name} {days[0]}..{days[-1]}: {report.files} files, read {report.rows_read}, "
            f"loaded {report.rows_loaded}, rejected {report.rows_rejected}"
        )
        yield dg.MaterializeResult(
            metadata={
                "partitions": f"{days[0]}..{days[-1]} ({len(days)} days)",
                "files": report.files,
                "rows_read": report.rows_read,
                "rows_loaded": report.rows_loaded,
                "rows_rejected": report.rows_rejected,
                "reject_reasons": dict(report.reject_reasons.most_common()),
                # kept in raw (staging takes the earliest version); listed in raw_audit.conflicting_versions
                "conflicting_versions": report.conflicting_versions,
                "dagster/row_count": total_rows,
                "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
            }
        )
        # The data stays in raw either way; a failed blocking check stops everything downstream of it.
        report_path = get_settings().warehouse_dir / "quality" / f"raw_{source.name}_{days[0]}_{days[-1]}.html"
        yield gx_check_result("raw_quality", outcome, report_path)

    return landing_asset


landing_assets = [build_landing_asset(source) for source in load_registry().sources.values()]
