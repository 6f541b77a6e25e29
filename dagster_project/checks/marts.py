"""Great Expectations suites on the key marts and on the ML tables the marts read, as blocking checks: a
failure stops everything downstream, publish included."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.assets.dbt import dbt_model_key
from dagster_project.checks.gx import gx_check_result
from dagster_project.tables import warehouse_tables
from voc360.quality import TABLE_RULES, validate_table
from voc360.settings import get_settings


def _asset_key(table: str) -> dg.AssetKey:
    schema, name = table.split(".")
    if schema == "marts":
        return dbt_model_key(name)
    return dg.AssetKey([schema, name])


def build_table_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=_asset_key(table),
        name="table_quality",
        blocking=True,
        description=f"Great Expectations suite expectations/{table.replace('.', '/')}.json on the whole table.",
    )
    def table_quality(warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse_tables(warehouse, read_only=True) as con:
            outcome = validate_table(con, table)
        report = get_settings().warehouse_dir / "quality" / f"{table.replace('.', '_')}.html"
        return gx_check_result("table_quality", outcome, report)

    return table_quality


table_checks = [build_table_check(table) for table in TABLE_RULES]
