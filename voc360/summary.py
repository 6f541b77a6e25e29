"""A short account of what a build left in the warehouse: rows per layer, rejects per source, where to look."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ml.io import spark_catalog
from voc360.landing import RAW_SCHEMA, REJECTS_SCHEMA
from voc360.publish import SparkBuild, build_of
from voc360.settings import Settings


def table_counts(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[tuple[str, str, int]]:
    """(schema, table, rows) of every table and view of one catalog (default: the database con opened)."""
    catalog = catalog or con.execute("select current_database()").fetchone()[0]
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = ? order by all",
        [catalog],
    ).fetchall()
    return [
        (schema, name, con.execute(f'select count(*) from "{catalog}"."{schema}"."{name}"').fetchone()[0])
        for schema, name in tables
    ]


def render_summary(settings: Settings) -> str:
    """On Spark, the layers that dbt and the ML steps built there are counted from their files; raw, rejects and
    the audit are in the DuckDB database on both engines."""
    warehouse_path = settings.warehouse_path
    build = build_of(settings)
    spark = build if isinstance(build, SparkBuild) else None
    if not warehouse_path.exists():
        return f"No warehouse at {warehouse_path} yet: run a build first."
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        counts = table_counts(con)
        if spark is not None:
            with spark_catalog(con, spark.warehouse_dir, spark.parquet_dir, skip_schemas=(RAW_SCHEMA,)):
                counts += table_counts(con, "spark")
    by_schema: dict[str, list[tuple[str, int]]] = {}
    for schema, name, n in counts:
        by_schema.setdefault(schema, []).append((name, n))
    lines = ["", "Rows per layer (schema: tables, rows)"]
    for schema, tables in by_schema.items():
        lines.append(f"  {schema:<14} {len(tables):>3} tables {sum(n for _, n in tables):>12,} rows")
    if REJECTS_SCHEMA in by_schema:
        lines += ["", "Rejected rows per source (raw_rejects.<source>, each with its reason)"]
        for name, n in by_schema[REJECTS_SCHEMA]:
            lines.append(f"  {name:<24} {n:>8,}")
    serving_path = warehouse_path.with_name("serving.duckdb")
    lines += [
        "",
        f"Build database (written by runs only): {warehouse_path}",
        *([f"Tables built on Spark (files): {spark.warehouse_dir}"] if spark else []),
        f"Serving database (published marts, for analysts): {serving_path}",
        "Query it read-only, also while a run is going:",
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{serving_path}', read_only=True)"
        ".sql('select month_start, channel, orders, net_revenue, nps from marts.kpi_monthly order by month_start desc limit 5'))\"",
    ]
    return "\n".join(lines)
