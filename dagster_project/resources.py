import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource
from dagster_dbt.compat import DBT_PYTHON_VERSION
from dagster_duckdb import DuckDBResource

from dagster_project.assets.dbt import dbt_project
from voc360.settings import get_settings


class LocalDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource for the dbt-core installed beside Dagster, without the two things it does
    before every dbt command that this project has no use for (about 10 s per dbt step on 2 cores):

    - it runs `dbt --version` in a process of its own to learn the version: the executable here is the
      dbt-core this process imports, so its version is that package's;
    - it opens a dbt adapter in this process (loading the profile and parsing every macro) for dagster-dbt's
      row counts and column metadata, which the dbt assets read themselves once dbt has exited, as DuckDB
      admits one process at a time (dagster_project/assets/dbt.py, with_table_metadata). Without an adapter
      dagster-dbt takes the path it takes for the dbt Fusion engine, which has none."""

    @cached_property
    def _cli_version(self):
        return DBT_PYTHON_VERSION

    def _initialize_dbt_core_adapter(self, args):
        return None


def build_resources() -> dict:
    settings = get_settings()
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    return {
        "warehouse": DuckDBResource(database=str(settings.warehouse_path),
                                    connection_config={"memory_limit": settings.duckdb_memory_limit}),
        # The dbt of this environment, whether or not its bin folder is on PATH.
        "dbt": LocalDbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")),
    }
