"""Keys landed more than once with different content: kept in raw, flagged in raw_audit.conflicting_versions.

A record re-sent with the same content is an ordinary duplicate that staging collapses. A record re-sent
under the same primary key with different values (an order exported again with another amount) is not: staging
keeps the earliest landed version, so the later one must not vanish without a trace. Every such later
version is listed here with the columns that differ, the version staging keeps, and a reason.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from voc360.registry import Source

CONFLICTS_TABLE = "raw_audit.conflicting_versions"
KEPT_BY_STAGING = "staging keeps the earliest landed version"


def ensure_conflicts_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""create table if not exists {CONFLICTS_TABLE} (
            source varchar, record_key varchar, differing_columns varchar[], reason varchar,
            _source_file varchar, _line_number bigint, _partition_date date,
            kept_source_file varchar, kept_line_number bigint, kept_partition_date date)"""
    )


def record_conflicting_versions(con: duckdb.DuckDBPyConnection, source: Source, days: list[dt.date]) -> int:
    """Refresh the conflicts of every key that occurs in the given partitions; return how many versions conflict.

    Runs inside the landing transaction, after raw.<source> holds the reloaded partitions.
    """
    ensure_conflicts_table(con)
    raw = f"raw.{source.name}"
    key = "concat_ws('|', " + ", ".join(f'coalesce(cast("{c}" as varchar), \'\')' for c in source.primary_key) + ")"
    order = "_partition_date, _source_file, _line_number"
    differing = ", ".join(
        f"case when later.\"{c}\" is distinct from kept.\"{c}\" then '{c}' end" for c in source.column_names
    )
    con.execute(
        f"create or replace temp table touched_keys as "
        f"select distinct {key} as record_key from {raw} where _partition_date = any(?)",
        [days],
    )
    con.execute(
        f"delete from {CONFLICTS_TABLE} where source = ? and (record_key in (select record_key from touched_keys) "
        "or _partition_date = any(?) or kept_partition_date = any(?))",
        [source.name, days, days],
    )
    # Only keys landed more than once can conflict: numbering the versions of those alone keeps the window
    # small when a whole year is reloaded.
    con.execute(
        f"create or replace temp table repeated_keys as select {key} as record_key from {raw} "
        f"where {key} in (select record_key from touched_keys) group by all having count(*) > 1"
    )
    con.execute(
        f"""insert into {CONFLICTS_TABLE}
        with versions as (
            select *, {key} as record_key, row_number() over (partition by {key} order by {order}) as version
            from {raw}
            where {key} in (select record_key from repeated_keys)
        ),
        compared as (
            select later.record_key, later._source_file, later._line_number, later._partition_date,
                kept._source_file as kept_source_file, kept._line_number as kept_line_number,
                kept._partition_date as kept_partition_date,
                list_filter([{differing}], lambda c: c is not null) as differing_columns
            from versions as later
            join versions as kept on kept.record_key = later.record_key and kept.version = 1
            where later.version > 1
        )
        select ?, record_key, differing_columns,
            'primary key re-sent with different ' || array_to_string(differing_columns, ', ') || '; {KEPT_BY_STAGING} ('
                || kept_source_file || ':' || kept_line_number || ')',
            _source_file, _line_number, _partition_date, kept_source_file, kept_line_number, kept_partition_date
        from compared
        where len(differing_columns) > 0""",
        [source.name],
    )
    con.execute("drop table touched_keys; drop table repeated_keys")
    return con.execute(
        f"select count(*) from {CONFLICTS_TABLE} where source = ? and _partition_date = any(?)", [source.name, days]
    ).fetchone()[0]
