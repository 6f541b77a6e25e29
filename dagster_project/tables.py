"""The connection through which the Python steps, table metadata and quality checks reach the warehouse's
tables, on either engine (VOC360_ENGINE)."""

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from dagster_duckdb import DuckDBResource

from ml import io as ml_io
from voc360.settings import DBT_PROJECT_DIR, get_settings


@contextmanager
def warehouse_tables(warehouse: DuckDBResource, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """The build database on DuckDB. On Spark, an in-memory DuckDB over the files of Spark's tables; unless
    read_only, the ml and identity tables a step creates in it are written back as Parquet (ml/io.py)."""
    settings = get_settings()
    if settings.engine == "spark":
        with ml_io.spark_tables(
            settings.spark_warehouse_dir, settings.parquet_dir, DBT_PROJECT_DIR, read_only=read_only
        ) as con:
            yield con
    else:
        with warehouse.get_connection() as con:
            yield con
