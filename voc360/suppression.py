"""The suppression list: hashed identifiers of erased persons, applied at landing so that a backfill or a re-sent
file does not bring an erased person back.

`voc360_meta.suppression` in the build database holds one row per identity-graph node of an erased person (a
customer id, a hashed e-mail or phone, a loyalty card, a social account, an order, a ticket, a browser, ...),
keyed by `identifier_hash(node type, node key)`: a salted hash, so the list holds no clear identifier. A raw row
matches when one of its identifier columns (`identifiers` in config/sources.yml) hashes to a listed key; a
rejected row matches when one of the fields of its original text does. The hashing is done by the DuckDB macros
that `dbt run-operation create_identifier_key_functions` renders from staging's own macros
(dbt/macros/pii/identifier_key_functions.sql), which erasure creates before it adds the first entry.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import duckdb

from voc360.dbt_salt import set_salt
from voc360.registry import Source

SUPPRESSION_TABLE = "voc360_meta.suppression"
# Separators of a rejected record's fields, in CSV and JSON lines alike.
_FIELD_SEPARATORS = r'[",{}\[\]\t;|\n]'


def ensure_suppression_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists voc360_meta")
    con.execute(
        f"""create table if not exists {SUPPRESSION_TABLE} (
            identifier_type varchar, identifier_hash varchar, erasure_id varchar, suppressed_at timestamp,
            primary key (identifier_type, identifier_hash))"""
    )


def node_keys_sql(kind: str, value_sql: str, platform_sqls: list[str], country: tuple[str, str] = ("null", "null")
                  ) -> list[str]:
    """SQL expressions of the node keys a raw value may stand for: an e-mail has its plain and its typo-corrected
    hash; a phone is read with the numbering plan of its row's country (SQL of the city and time-zone columns
    that staging reads it from, `phone_country` in config/sources.yml); a handle is a social account on its
    row's platform."""
    if kind == "email_hash":
        return [f"voc360_meta.identity_email_hash({value_sql})", f"voc360_meta.identity_email_match_hash({value_sql})"]
    if kind == "phone_hash":
        return [f"voc360_meta.identity_phone_hash({value_sql}, {country[0]}, {country[1]})"]
    if kind == "social_account":
        return [f"{platform} || ':' || voc360_meta.identity_handle({value_sql})" for platform in platform_sqls]
    return [f"nullif(trim({value_sql}), '')"]


def _listed(kind: str, key_sql: str, hashes_table: str) -> str:
    return (
        f"voc360_meta.identifier_hash('{kind}', {key_sql}) in "
        f"(select identifier_hash from {hashes_table} where identifier_type = '{kind}')"
    )


def row_matches_sql(source: Source, hashes_table: str) -> str:
    """Condition on a row of raw.<source>: one of its identifier columns is listed in `hashes_table`."""
    platform = ["nullif(lower(trim(platform)), '')"]
    country = tuple(f'"{source.phone_country[k]}"' if k in source.phone_country else "null" for k in ("city", "timezone"))
    return " or ".join(
        _listed(kind, key, hashes_table)
        for column, kind in source.identifiers.items()
        for key in node_keys_sql(kind, f'"{column}"', platform, country)
    )


def reject_matches_sql(source: Source, hashes_table: str) -> str:
    """Condition on a row of raw_rejects.<source>: a field of its original text is a listed identifier of one of
    the source's identifier kinds (a rejected line has no reliable columns: a handle is tried on every platform,
    a phone counts in its international writing)."""
    platforms = [f"'{p}'" for p in (source.column("platform").values or [])] if "platform" in source.column_names else []
    conditions = " or ".join(
        _listed(kind, key, hashes_table)
        for kind in sorted(set(source.identifiers.values()))
        for key in node_keys_sql(kind, "field", platforms)
    )
    return (
        "exists (select 1 from (select trim(unnest(string_split_regex(raw_record, "
        f"'{_FIELD_SEPARATORS}'))) as field) as fields where field <> '' and ({conditions}))"
    )


def suppression_active(con: duckdb.DuckDBPyConnection) -> bool:
    listed = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'voc360_meta' and table_name = 'suppression'"
    ).fetchone()[0]
    return bool(listed) and con.execute(f"select count(*) > 0 from {SUPPRESSION_TABLE}").fetchone()[0]


def suppress_landed_rows(con: duckdb.DuckDBPyConnection, source: Source, days: list[dt.date]) -> Counter:
    """Delete the just-landed rows of these partitions that carry a suppressed identifier, from raw and rejects
    alike; return their counts per (partition day, "loaded" or "rejected"). Runs inside the landing transaction."""
    counts: Counter = Counter()
    if not source.identifiers or not suppression_active(con):
        return counts
    set_salt(con)  # the key functions hash with the salt of the connection, as dbt's hash_pii does
    for kind, table, condition in (
        ("loaded", f"raw.{source.name}", row_matches_sql(source, SUPPRESSION_TABLE)),
        ("rejected", f"raw_rejects.{source.name}", reject_matches_sql(source, SUPPRESSION_TABLE)),
    ):
        deleted = con.execute(
            f"delete from {table} where _partition_date = any(?) and ({condition}) returning _partition_date", [days]
        ).fetchall()
        counts.update((day, kind) for (day,) in deleted)
    return counts
