"""Settings reach the connections: DuckDB's memory limit (VOC360_DUCKDB_MEMORY_LIMIT) on the pipeline's and dbt's,
and at most LANDING_MEMORY_LIMIT of it in the landing steps; how many runs' dbt artifacts are kept."""

import re
import subprocess
import sys

import pydantic
import pytest
import yaml
from conftest import PROJECT_ROOT

from voc360.settings import (
    DEFAULT_DBT_ARTIFACT_RUNS,
    DEFAULT_DUCKDB_MEMORY_LIMIT,
    LANDING_MEMORY_LIMIT,
    Settings,
    get_settings,
    memory_bytes,
)

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


# The landing asset of the first source, its load replaced by a probe of the connection it is given.
LANDING_PROBE = """
import dagster as dg
from dagster_project.assets import landing
from dagster_project.resources import build_resources

seen = []


def probe(con, *args, **kwargs):
    seen.append(con.execute("select current_setting('memory_limit')").fetchall()[0][0])
    raise RuntimeError("probed")


landing.load_days = probe
dg.materialize([landing.landing_assets[0]], partition_key="2025-10-01",
               resources={"warehouse": build_resources()["warehouse"]}, raise_on_error=False)
print(seen[0])
"""


@pytest.mark.parametrize(("pipeline_limit", "shown"), [("4GB", "1.8 GiB"), ("1500MB", "1.3 GiB")])
def test_a_landing_step_runs_duckdb_with_at_most_the_landing_limit(tmp_path, pipeline_limit, shown):
    env = {"PATH": "", "VOC360_WAREHOUSE_DIR": str(tmp_path), "VOC360_DUCKDB_MEMORY_LIMIT": pipeline_limit,
           "DAGSTER_HOME": str(tmp_path), "VOC360_START_DATE": "2025-10-01"}
    found = subprocess.run([sys.executable, "-c", LANDING_PROBE], env=env, cwd=PROJECT_ROOT, capture_output=True,
                           text=True, check=True).stdout.strip().splitlines()[-1]
    assert found == shown  # 2GB and 1500MB in DuckDB's binary units


@pytest.mark.parametrize(
    ("limit", "expected"),
    [("4GB", 4 * 10**9), ("1.5 GiB", 3 * 2**29), ("500mb", 5 * 10**8), ("2048KiB", 2**21), ("80%", None), ("", None)],
)
def test_memory_limits_are_read_in_duckdb_units(limit, expected):
    assert memory_bytes(limit) == expected


@pytest.mark.parametrize(
    ("pipeline_limit", "landing_limit"),
    [("4GB", LANDING_MEMORY_LIMIT), ("1500MB", "1500MB"), ("2GB", "2GB"), ("80%", "80%")],
)
def test_the_landing_limit_never_exceeds_the_pipeline_limit(tmp_path, pipeline_limit, landing_limit):
    settings = Settings(landing_dir=tmp_path, warehouse_dir=tmp_path, ground_truth_dir=tmp_path,
                        start_date="2025-10-01", pii_salt="s", duckdb_memory_limit=pipeline_limit)
    assert settings.landing_memory_limit == landing_limit


def test_the_number_of_runs_whose_dbt_artifacts_are_kept_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("VOC360_DBT_ARTIFACT_RUNS", raising=False)
    get_settings.cache_clear()
    try:
        assert get_settings().dbt_artifact_runs == DEFAULT_DBT_ARTIFACT_RUNS
        monkeypatch.setenv("VOC360_DBT_ARTIFACT_RUNS", "3")
        get_settings.cache_clear()
        assert get_settings().dbt_artifact_runs == 3
        monkeypatch.setenv("VOC360_DBT_ARTIFACT_RUNS", "0")  # the running step's own artifacts always stay
        get_settings.cache_clear()
        with pytest.raises(pydantic.ValidationError):
            get_settings()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        get_settings()
