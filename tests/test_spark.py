"""The same project on local Spark (VOC360_ENGINE=spark), through Dagster, gives the marts that DuckDB builds.

One small world is built on DuckDB (support.world_build) and, from the same landing files, by `voc360 build` on
Spark: landing writes Parquet partitions, every dbt layer runs on local Spark in session mode with its tests,
the ML and identity steps read and write through ml.io, Splink runs on its Spark backend, the quality checks
gate the build and the publication copies Spark's marts into the analysts' serving database. Every mart there
must hold the DuckDB marts' rows (doubles to a relative 1e-6, values rounded to cents to one cent). Then
`voc360 erase` on Spark removes a person from the raw Parquet, every Spark table and the republished copy.
Skipped only when no Java runtime is installed.
"""

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import BIN, PROJECT_ROOT, dagster_instance, materialized_keys, run_build
from support.erasure_checks import choose_person, occurrences
from support.mart_compare import differences
from support.world_build import shared_world

from ml import io as ml_io
from voc360.settings import get_settings

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime (java on PATH): local Spark needs Java 17"),
]

START, CUSTOMERS, DAYS, SEED = "2026-01-01", 150, 20, 5


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    """(the DuckDB world, the environment of the same world built on Spark by `voc360 build`)."""
    duck = shared_world(tmp_path_factory, START, CUSTOMERS, DAYS, SEED)
    root = tmp_path_factory.mktemp("spark_world")
    env = {
        **duck.env,
        "VOC360_ENGINE": "spark",
        "VOC360_WAREHOUSE_DIR": str(root / "warehouse"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "VOC360_PII_SALT": get_settings().pii_salt,
    }
    (root / "dagster_home").mkdir()
    built = run_build(env)
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    return duck, env


def spark_files(env: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view of every table on Spark and every Parquet source (raw included)."""
    warehouse = Path(env["VOC360_WAREHOUSE_DIR"])
    con = duckdb.connect()
    ml_io.attach_views(con, warehouse / "spark" / "warehouse", warehouse / "parquet")
    return con


def test_a_spark_build_through_dagster_publishes_the_marts_that_duckdb_builds(worlds):
    duck, env = worlds
    instance = dagster_instance(env)
    runs = instance.get_runs()
    assert {run.job_name for run in runs} == {"voc360_land", "voc360_transform"}
    assert all(run.is_success for run in runs)
    materialized = set().union(*(materialized_keys(instance, run.run_id) for run in runs))
    assert {"publish/serving", "reports/kpi_trends", "ml/text_insights", "identity/splink_matches"} <= materialized
    # nothing of the build is in DuckDB but the landed layers: dbt and the ML steps wrote Spark's tables
    with duckdb.connect(str(Path(env["VOC360_WAREHOUSE_DIR"]) / "voc360.duckdb"), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
    assert not schemas & {"staging", "intermediate", "features", "ml", "identity", "marts"}

    marts = duck.df("select table_name from information_schema.tables where table_schema = 'marts'").table_name
    serving = Path(env["VOC360_WAREHOUSE_DIR"]) / "serving.duckdb"
    with duckdb.connect(str(serving), read_only=True) as con:
        published = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
        assert published == set(marts)
        found = {
            mart: problems
            for mart in sorted(marts)
            if (problems := differences(duck.df(f"select * from marts.{mart}"), con.sql(f"select * from marts.{mart}").df()))
        }
    assert not found, found


def test_an_erasure_on_spark_removes_the_person_from_raw_parquet_every_spark_table_and_serving(worlds):
    duck, env = worlds
    root = Path(env["VOC360_GROUND_TRUTH_DIR"]).parent
    person = choose_person(root)
    with spark_files(env) as con:
        person_ids = [r[0] for r in con.execute(
            "select distinct person_id from intermediate.int_person_map "
            "where record_type = 'crm_customer' and record_key = ?", [person["customer_ids"]]).fetchall()]
        keys = [r[0] for r in con.execute(
            "select record_key from intermediate.int_person_map where person_id = any(?) "
            "and record_type in ('order', 'ticket')", [person_ids]).fetchall()]
        clear = [person["email"], person["customer_ids"], *person_ids, *keys]
        assert len(person_ids) == 1 and keys
        assert {t.split(".")[0] for t, _, _ in occurrences(con, clear, views=True)} >= {"raw", "staging", "marts"}

    erased = subprocess.run([str(BIN / "voc360"), "erase", "--email", person["email"]],
                            env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert erased.returncode == 0, erased.stdout[-4000:] + erased.stderr[-4000:]

    with spark_files(env) as con:
        assert occurrences(con, clear, views=True) == []
        customers = con.execute("select count(*) from marts.customer_360").fetchone()[0]
    serving = Path(env["VOC360_WAREHOUSE_DIR"]) / "serving.duckdb"
    with duckdb.connect(str(serving), read_only=True) as con:
        assert occurrences(con, clear) == []
        assert con.execute("select count(*) from marts.customer_360").fetchone()[0] == customers > 0
        published_build = con.execute("select build_id from voc360_meta.publications").fetchone()[0]
    with duckdb.connect(str(Path(env["VOC360_WAREHOUSE_DIR"]) / "voc360.duckdb"), read_only=True) as con:
        erasure_id, removed = con.execute("select erasure_id, rows_removed from voc360_meta.erasures").fetchone()
    assert published_build == erasure_id
    assert json.loads(removed)["raw_parquet_partitions"] > 0
