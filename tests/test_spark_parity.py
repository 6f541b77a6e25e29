"""The same dbt project and ML steps on local Spark (dbt target "spark") build the marts that DuckDB builds.

One small world is built on DuckDB (support.world_build) and, from the same landing files, on Spark: landing
writes Parquet partitions, dbt runs every layer on local Spark in session mode, the ML and identity steps
read and write through ml.io, and Splink runs on its Spark backend. Every mart must hold the same rows on
both engines (doubles to a relative 1e-6, values rounded to cents to one cent). Skipped only when no Java
runtime is installed. About 11 minutes on 2 cores, of which the Spark build is 8.
"""

import datetime as dt
import math
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from support.world_build import LATE_DAYS, dbt, shared_world

from ml import identity
from ml import io as ml_io
from ml.embeddings import default_model_path
from ml.steps import TextSettings, churn_scores, customer_clv, text_insights
from voc360.landing import load_days
from voc360.registry import load_registry
from voc360.settings import DBT_PROJECT_DIR, get_settings

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None, reason="no Java runtime (java on PATH): local Spark needs Java 17"
)

START, CUSTOMERS, DAYS, SEED = "2026-01-01", 150, 20, 5


def build_on_spark(root: Path, duckdb_env: dict[str, str]) -> dict[str, str]:
    """Land the DuckDB world's files (writing Parquet too), then run staging, identity, intermediate, text
    insights, features, churn and CLV, and marts on local Spark; returns the environment of the build."""
    warehouse_dir = root / "warehouse"
    env = {
        **duckdb_env,
        "VOC360_ENGINE": "spark",
        "VOC360_WAREHOUSE_DIR": str(warehouse_dir),
        "VOC360_WAREHOUSE_PATH": str(warehouse_dir / "voc360.duckdb"),
        "VOC360_PARQUET_DIR": str(warehouse_dir / "parquet"),
        "VOC360_SPARK_DIR": str(warehouse_dir / "spark"),
        "VOC360_PII_SALT": get_settings().pii_salt,
    }
    parquet_dir, spark_warehouse = warehouse_dir / "parquet", warehouse_dir / "spark" / "warehouse"
    warehouse_dir.mkdir(parents=True)
    first = dt.date.fromisoformat(START)
    landed = [first + dt.timedelta(days=i) for i in range(DAYS + LATE_DAYS)]
    with duckdb.connect(env["VOC360_WAREHOUSE_PATH"]) as con:
        for source in load_registry().sources.values():
            load_days(con, source, landed, Path(env["VOC360_LANDING_DIR"]), parquet_dir=parquet_dir)

    def run(*selection: str) -> None:
        completed, _ = dbt(env, root, "run", "-s", *selection)
        assert completed.returncode == 0, completed.stdout[-4000:]

    def tables():
        return ml_io.spark_tables(spark_warehouse, parquet_dir, DBT_PROJECT_DIR)

    run("path:models/staging")
    spark = identity.spark_session()
    try:
        with tables() as con:
            identity.write_matches(con, identity.deduplicate(identity.splink_input(con), spark=spark).matches)
    finally:
        spark.stop()
    run("path:models/intermediate", "fct_orders")
    with tables() as con:
        text_insights(con, TextSettings(warehouse_dir, Path(env["VOC360_GROUND_TRUTH_DIR"]), default_model_path()))
    run("path:models/features")
    with tables() as con:
        churn_scores(con)
        customer_clv(con)
    run("path:models/marts")
    return env


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a canonical order with values in one representation: times as naive UTC, dates as times."""
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            frame[column] = values.dt.tz_convert("UTC").dt.tz_localize(None)
        elif values.dtype == object and values.map(lambda v: isinstance(v, dt.date)).any():
            frame[column] = pd.to_datetime(values)
    frame = frame[sorted(frame.columns)]
    key = frame.apply(lambda row: "|".join(_sort_text(v) for v in row), axis=1)
    return frame.iloc[key.argsort(kind="stable")].reset_index(drop=True)


def _sort_text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "\0"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def differences(duck: pd.DataFrame, spark: pd.DataFrame) -> list[str]:
    if sorted(duck.columns) != sorted(spark.columns):
        return [f"columns differ: {sorted(set(duck.columns) ^ set(spark.columns))}"]
    if len(duck) != len(spark):
        return [f"{len(duck)} rows on DuckDB, {len(spark)} on Spark"]
    duck, spark = comparable(duck), comparable(spark)
    found = []
    for column in duck.columns:
        for row, (left, right) in enumerate(zip(duck[column], spark[column], strict=True)):
            if not _equal(left, right):
                found.append(f"{column} row {row}: DuckDB {left!r}, Spark {right!r}")
                break
    return found


def _equal(left, right) -> bool:
    if pd.isna(left) and pd.isna(right):
        return True
    if isinstance(left, float | int) and isinstance(right, float | int) and not isinstance(left, bool):
        # a value rounded to cents (a median of minutes) may fall on either side of a rounding boundary
        cents = round(left, 2) == left and round(right, 2) == right
        return math.isclose(float(left), float(right), rel_tol=1e-6, abs_tol=0.010001 if cents else 1e-9)
    return left == right


def test_spark_builds_the_marts_that_duckdb_builds(tmp_path_factory):
    duck = shared_world(tmp_path_factory, START, CUSTOMERS, DAYS, SEED)
    env = build_on_spark(tmp_path_factory.mktemp("spark_world"), duck.env)
    marts = duck.df("select table_name from information_schema.tables where table_schema = 'marts'").table_name
    with duckdb.connect() as con:
        ml_io.attach_views(con, Path(env["VOC360_SPARK_DIR"]) / "warehouse", Path(env["VOC360_PARQUET_DIR"]))
        found = {
            mart: problems
            for mart in sorted(marts)
            if (problems := differences(duck.df(f"select * from marts.{mart}"), con.sql(f"select * from marts.{mart}").df()))
        }
    assert not found, found
