from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from dagster_project.assets.dbt import dbt_project
from voc360.settings import get_settings


def build_resources() -> dict:
    return {
        "warehouse": DuckDBResource(database=str(get_settings().warehouse_path)),
        "dbt": DbtCliResource(project_dir=dbt_project),
    }
