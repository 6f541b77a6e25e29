import sys
from pathlib import Path

from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from dagster_project.assets.dbt import dbt_project
from voc360.settings import get_settings


def build_resources() -> dict:
    settings = get_settings()
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    return {
        "warehouse": DuckDBResource(database=str(settings.warehouse_path),
                                    connection_config={"memory_limit": settings.duckdb_memory_limit}),
        # The dbt of this environment, whether or not its bin folder is on PATH.
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")),
    }
