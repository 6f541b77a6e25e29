"""Paths and parameters, read once from the environment (VOC360_*) with defaults for the sample world."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from pathlib import Path

from pydantic import BaseModel, Field

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"

# The embedded sample world: the generator and the partitions share these defaults.
DEFAULT_START_DATE = dt.date(2025, 10, 1)
DEFAULT_DAYS = 365
DEFAULT_CUSTOMERS = 2000

# Dagster run tag that ties the runs of one build together (landing over a range, then the transform).
BUILD_TAG = "voc360/build"
# Dagster run tag of the rebuild that follows an erasure: the erasure id (voc360_meta.erasures).
ERASURE_TAG = "voc360/erasure"
# Dagster run tags of the landing window (inclusive export days) that an unpartitioned voc360_transform run
# rebuilds incrementally: every dbt step of the run reads them (dagster_project/partitions.py).
WINDOW_START_TAG, WINDOW_END_TAG = "voc360/window_start", "voc360/window_end"


# Engines the dbt project and the pipeline run on: the dbt target of dbt/profiles.yml (VOC360_ENGINE).
ENGINES = ("duckdb", "spark")

# DuckDB's memory_limit for the warehouse connections of the pipeline and dbt (VOC360_DUCKDB_MEMORY_LIMIT):
# beyond it DuckDB spills to disk instead of taking 80% of RAM beside the Python steps.
DEFAULT_DUCKDB_MEMORY_LIMIT = "4GB"
# At most this much of it in the landing steps. A landing appends its days in one transaction and needs little
# memory (a batch of rows and its type check), but DuckDB keeps the blocks it has written cached up to its limit:
# a year of medium-scale web events (17.5 M rows) landed in 204 s with a peak RSS of 5.44 GiB at 4GB, in 208 s
# with 3.47 GiB at 2GB.
LANDING_MEMORY_LIMIT = "2GB"
# The dbt artifacts (target folders of the dbt invocations) of this many latest runs are kept
# (VOC360_DBT_ARTIFACT_RUNS): each transform run writes four of about 12 MB.
DEFAULT_DBT_ARTIFACT_RUNS = 10
_MEMORY_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
                 "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def memory_bytes(limit: str) -> int | None:
    """Bytes of a DuckDB memory_limit such as "4GB" or "1.5 GiB"; None for any other form (e.g. a percentage)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)\s*", limit, re.IGNORECASE)
    return round(float(found.group(1)) * _MEMORY_UNITS[found.group(2).lower()]) if found else None


class Settings(BaseModel):
    landing_dir: Path
    warehouse_dir: Path
    ground_truth_dir: Path
    start_date: dt.date
    pii_salt: str
    engine: str = "duckdb"
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    dbt_artifact_runs: int = Field(DEFAULT_DBT_ARTIFACT_RUNS, ge=1)

    @property
    def landing_memory_limit(self) -> str:
        """DuckDB's memory_limit in the landing steps: LANDING_MEMORY_LIMIT, or duckdb_memory_limit when that is
        lower or not a size in bytes."""
        pipeline = memory_bytes(self.duckdb_memory_limit)
        if pipeline is not None and memory_bytes(LANDING_MEMORY_LIMIT) < pipeline:
            return LANDING_MEMORY_LIMIT
        return self.duckdb_memory_limit

    @property
    def warehouse_path(self) -> Path:
        """The build database, written only by pipeline runs."""
        return self.warehouse_dir / "voc360.duckdb"

    @property
    def serving_path(self) -> Path:
        """The published copy that analysts open read-only; replaced atomically by each good build."""
        return self.warehouse_dir / "serving.duckdb"

    @property
    def parquet_dir(self) -> Path:
        """On Spark, the files that the landing and ML steps write and dbt reads as sources:
        <parquet_dir>/<schema>/<table>/ (raw tables partitioned by _partition_date=YYYY-MM-DD)."""
        return self.warehouse_dir / "parquet"

    @property
    def raw_parquet_dir(self) -> Path | None:
        """Where landing also writes the raw tables as Parquet: on Spark only (see parquet_dir)."""
        return self.parquet_dir if self.engine == "spark" else None

    @property
    def spark_dir(self) -> Path:
        """Local Spark's warehouse directory (tables built by dbt) and metastore."""
        return self.warehouse_dir / "spark"

    @property
    def spark_warehouse_dir(self) -> Path:
        """The tables dbt builds on local Spark: <schema>.db/<table>/ (spark.sql.warehouse.dir in profiles.yml)."""
        return self.spark_dir / "warehouse"

    def export_env(self) -> None:
        """Expose the resolved paths to child processes (dbt reads them in profiles.yml)."""
        os.environ["VOC360_ENGINE"] = self.engine
        os.environ["VOC360_WAREHOUSE_PATH"] = str(self.warehouse_path)
        os.environ["VOC360_PARQUET_DIR"] = str(self.parquet_dir)
        os.environ["VOC360_SPARK_DIR"] = str(self.spark_dir)
        os.environ["VOC360_PII_SALT"] = self.pii_salt
        os.environ["VOC360_DUCKDB_MEMORY_LIMIT"] = self.duckdb_memory_limit


def _path(var: str, default: Path) -> Path:
    return Path(os.environ.get(var, default)).resolve()


@functools.cache
def get_settings() -> Settings:
    engine = os.environ.get("VOC360_ENGINE", "duckdb")
    if engine not in ENGINES:
        raise ValueError(f"VOC360_ENGINE={engine!r}: choose one of {', '.join(ENGINES)}")
    settings = Settings(
        engine=engine,
        landing_dir=_path("VOC360_LANDING_DIR", PROJECT_ROOT / "landing"),
        warehouse_dir=_path("VOC360_WAREHOUSE_DIR", PROJECT_ROOT / "warehouse"),
        ground_truth_dir=_path("VOC360_GROUND_TRUTH_DIR", PROJECT_ROOT / "ground_truth"),
        start_date=dt.date.fromisoformat(os.environ.get("VOC360_START_DATE", DEFAULT_START_DATE.isoformat())),
        pii_salt=os.environ.get("VOC360_PII_SALT", "voc360-sample-salt"),
        duckdb_memory_limit=os.environ.get("VOC360_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT),
        dbt_artifact_runs=os.environ.get("VOC360_DBT_ARTIFACT_RUNS", DEFAULT_DBT_ARTIFACT_RUNS),
    )
    settings.export_env()
    return settings
