"""Order-independent digests of warehouse tables, for tests that compare two builds of the same data."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb


def table_checksums(database: Path, schemas: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every table in `schemas`, keyed "schema.table". Doubles
    are rounded to 9 decimals: a sum over the same rows may differ in its last bit with summation order."""
    with duckdb.connect(str(database), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_schema = any(?) order by ordinal_position",
            [list(schemas)],
        ).fetchall()
        tables: dict[str, list[str]] = {}
        for schema, name, column, data_type in columns:
            value = f'round("{column}", 9)' if data_type in ("DOUBLE", "FLOAT") else f'"{column}"'
            tables.setdefault(f'"{schema}"."{name}"', []).append(f"cast({value} as varchar)")
        return {
            relation.replace('"', ""): con.execute(
                f"select count(*), coalesce(md5(string_agg(row_text, '|' order by row_text)), '') from "
                f"(select concat_ws('~', {', '.join(f'coalesce({v}, chr(0))' for v in values)}) as row_text "
                f"from {relation})"
            ).fetchone()
            for relation, values in tables.items()
        }
