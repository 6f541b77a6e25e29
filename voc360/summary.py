"""A short account of what a build left in the warehouse: rows per layer, rejects per source, where to look."""

from __future__ import annotations

from pathlib import Path

import duckdb

from voc360.landing import REJECTS_SCHEMA


def table_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() order by table_schema, table_name"
    ).fetchall()
    return [
        (schema, name, con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0])
        for schema, name in tables
    ]


def render_summary(warehouse_path: Path) -> str:
    if not warehouse_path.exists():
        return f"No warehouse at {warehouse_path} yet: run a build first."
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        counts = table_counts(con)
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
    lines += [
        "",
        f"Warehouse: {warehouse_path}",
        "Query it (no run may be writing at the time):",
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{warehouse_path}', read_only=True)"
        ".sql('select * from raw_audit.loads limit 5'))\"",
    ]
    return "\n".join(lines)
