"""Settings reach the connections: DuckDB's memory limit (VOC360_DUCKDB_MEMORY_LIMIT) on the pipeline's and dbt's."""

import re
import subprocess
import sys

import yaml
from conftest import PROJECT_ROOT

from voc360.settings import DEFAULT_DUCKDB_MEMORY_LIMIT

PROBE = """
from dagster_project.resources import build_resources

with build_resources()["warehouse"].get_connection() as con:
    print(con.sql("select current_setting('memory_limit')").fetchall()[0][0])
"""


def test_the_warehouse_resource_opens_duckdb_with_the_configured_memory_limit(tmp_path):
    env = {"PATH": "", "VOC360_WAREHOUSE_DIR": str(tmp_path), "VOC360_DUCKDB_MEMORY_LIMIT": "1500MB",
           "DAGSTER_HOME": str(tmp_path)}
    shown = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=PROJECT_ROOT, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert shown == "1.3 GiB"  # DuckDB shows 1,500,000,000 bytes in binary units


def test_the_dbt_profile_takes_the_same_memory_limit():
    profile = yaml.safe_load((PROJECT_ROOT / "dbt" / "profiles.yml").read_text())
    settings = profile["voc360"]["outputs"]["duckdb"]["settings"]
    # settings exports the variable; the default serves dbt run by hand (MetricFlow) and must be the same
    assert re.fullmatch(r"\{\{ env_var\('VOC360_DUCKDB_MEMORY_LIMIT', '(.+)'\) \}\}",
                        settings["memory_limit"]).group(1) == DEFAULT_DUCKDB_MEMORY_LIMIT
