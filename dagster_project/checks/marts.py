"""Great Expectations suites on the key marts, as blocking checks: a failure stops the publish step."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model
from dagster_duckdb import DuckDBResource

from dagster_project.assets.dbt import build_layer_assets
from dagster_project.checks.gx import gx_check_result
from voc360.quality import MART_RULES, validate_mart
from voc360.settings import get_settings


def build_mart_check(mart: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=get_asset_key_for_model([build_layer_assets("marts")], mart),
        name="mart_quality",
        blocking=True,
        description=f"Great Expectations suite expectations/marts/{mart}.json on the whole mart.",
    )
    def mart_quality(warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            outcome = validate_mart(con, mart)
        return gx_check_result("mart_quality", outcome, get_settings().warehouse_dir / "quality" / f"mart_{mart}.html")

    return mart_quality


mart_checks = [build_mart_check(mart) for mart in MART_RULES]
