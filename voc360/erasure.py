"""Erasure (the right to be forgotten): remove a person from every layer, and keep them out.

    voc360 erase --email x@example.com      (or --person-id, --phone, --customer-id, --loyalty-card,
                                              --app-user-id, --social-handle platform:handle)
    Dagster job voc360_erase                (run config: ops.erase_person.config.<one of the same names>)

`erase` works on the build database in one transaction:

1. resolves the request through the identity graph (intermediate.int_identity_components) to persons: the
   person id, or every person whose component holds the identifier (an identifier that no person holds is
   still purged and suppressed);
2. takes every node of their components: customer ids, hashed e-mails and phones, loyalty cards, social
   accounts, orders, receipts, browsers, devices, tickets, survey responses, reviews;
3. deletes from raw.* every row that carries one of them in an identifier column (config/sources.yml), from
   raw_rejects.* every rejected line that has one among its fields, and their traces in raw_audit (conflicting
   versions; in the load counts the rows move from loaded or rejected to suppressed);
4. adds the nodes to the suppression list (voc360.suppression), which landing applies from then on;
5. drops the persons' texts from the embedding cache (read before the purge) and the Parquet exports of
   earlier publications, which hold the person;
6. records the erasure in voc360_meta.erasures: when, the hashed identifier, and rows per layer: raw, rejects
   and audit rows deleted now; rows of the person in staging, intermediate, features, ml and marts as they
   were, which the rebuild removes.

On Spark (VOC360_ENGINE=spark) raw, rejects and the audit stay in this DuckDB database, while the identity
graph and every derived layer are Spark's tables: `erase` reads those through DuckDB views of their files
(ml.io.spark_catalog) and rewrites the purged days' raw Parquet partitions, which Spark reads, before it commits.

Everything derived follows by a rebuild: voc360_transform with a full refresh (incremental staging models would
otherwise keep rows whose raw rows are gone) recomputes staging, identity links, intermediate, text insights,
churn snapshots and scores, CLV and the marts, and republishes the serving copy. `voc360 erase` runs it; from
the UI, the sensor voc360_erasure_rebuild launches it when a voc360_erase run succeeds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb

from ml.io import spark_catalog
from ml.steps import forget_texts, person_texts
from voc360.landing import RAW_SCHEMA, ensure_tables, export_parquet
from voc360.registry import load_registry
from voc360.dbt_salt import set_salt
from voc360.settings import DBT_PROJECT_DIR, Settings
from voc360.suppression import (
    SUPPRESSION_TABLE,
    ensure_suppression_table,
    node_keys_sql,
    reject_matches_sql,
    row_matches_sql,
)

ERASURES_TABLE = "voc360_meta.erasures"
# What a request may name -> the identity-graph node type it is (an app user id is the customer id signed in).
REQUEST_TYPES = {
    "email": "email_hash",
    "phone": "phone_hash",
    "customer_id": "crm_customer",
    "loyalty_card": "loyalty_card",
    "app_user_id": "crm_customer",
    "social_handle": "social_account",
}
# Layers whose tables carry person_id: the rebuild removes the person's rows from them.
DERIVED_SCHEMAS = ("intermediate", "features", "ml", "marts")


def rebuild_run_config() -> dict:
    """Run config of voc360_transform after an erasure: the text models refitted without the person's texts and
    the churn model retrained without their snapshots. Every dbt step of the run refreshes its models in full,
    for the run carries ERASURE_TAG (dagster_project/partitions.py), so that incremental models drop the rows
    whose raw rows were purged."""
    return {"ops": {"ml_text_insights": {"config": {"refit": True}}, "ml__churn_scores": {"config": {"retrain": True}}}}


class ErasureError(Exception):
    """A request that cannot be carried out (nothing to erase, an unreadable identifier, missing key functions)."""


@dataclasses.dataclass(frozen=True)
class ErasureRequest:
    """One of: a person id (`kind` "person_id") or an identifier of REQUEST_TYPES; a social handle is written
    "platform:handle"."""

    kind: str
    value: str

    def __post_init__(self) -> None:
        if self.kind != "person_id" and self.kind not in REQUEST_TYPES:
            raise ErasureError(f"unknown identifier kind {self.kind!r}: use person_id or one of {sorted(REQUEST_TYPES)}")
        if not self.value.strip():
            raise ErasureError(f"empty {self.kind}")
        if self.kind == "social_handle" and ":" not in self.value:
            raise ErasureError("a social handle is written platform:handle, e.g. weibo:some_name")


@dataclasses.dataclass
class ErasureResult:
    erasure_id: str
    identifier_hash: str
    persons: int
    identifiers_suppressed: int
    rows_removed: dict[str, int]


def create_key_functions() -> None:
    """Render the identifier key macros into the build database (dbt run-operation; see
    dbt/macros/pii/identifier_key_functions.sql). They are DuckDB macros on either engine, since raw is in DuckDB
    on both: the run uses the duckdb target. dbt's own target and logs go to a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        completed = subprocess.run(
            [
                str(Path(sys.executable).with_name("dbt")), "run-operation", "create_identifier_key_functions",
                "--target", "duckdb",
                "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                "--target-path", str(Path(tmp) / "target"), "--log-path", str(Path(tmp) / "logs"),
            ],
            capture_output=True, text=True, check=False,
        )
    if completed.returncode != 0:
        raise ErasureError(f"dbt run-operation create_identifier_key_functions failed:\n{completed.stdout[-3000:]}")


def _request_nodes(con: duckdb.DuckDBPyConnection, request: ErasureRequest) -> list[tuple[str, str]]:
    node_type = REQUEST_TYPES[request.kind]
    value, platforms = request.value, ["nullif(lower(trim($platform)), '')"]
    params = {"value": value}
    if node_type == "social_account":
        params["platform"], params["value"] = value.split(":", 1)
    keys = con.execute(
        "select " + ", ".join(node_keys_sql(node_type, "$value", platforms)), params
    ).fetchone()
    nodes = [(node_type, key) for key in dict.fromkeys(keys) if key is not None]
    if not nodes:
        raise ErasureError(f"the {request.kind} given is not a valid {request.kind.replace('_', ' ')}")
    return nodes


def _resolve(con: duckdb.DuckDBPyConnection, request: ErasureRequest) -> tuple[list[str], str]:
    """(person ids, the hashed identifier of the request); the request's own nodes go to temp table request_nodes."""
    if request.kind == "person_id":
        persons = [r[0] for r in con.execute(
            "select distinct person_id from intermediate.int_identity_components where person_id = ?", [request.value]
        ).fetchall()]
        if not persons:
            raise ErasureError("no such person in the identity graph (already erased, or never built?)")
        con.execute("create or replace temp table request_nodes (node_type varchar, node_key varchar)")
        hashed = con.execute("select voc360_meta.identifier_hash('person', ?)", [request.value]).fetchone()[0]
    else:
        nodes = _request_nodes(con, request)
        con.execute("create or replace temp table request_nodes (node_type varchar, node_key varchar)")
        con.executemany("insert into request_nodes values (?, ?)", nodes)
        persons = [r[0] for r in con.execute(
            "select distinct person_id from intermediate.int_identity_components join request_nodes using "
            "(node_type, node_key)"
        ).fetchall()]
        hashed = con.execute("select voc360_meta.identifier_hash(?, ?)", list(nodes[0])).fetchone()[0]
    return sorted(persons), hashed


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()[0])


def _tables_with_columns(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...], columns: set[str]) -> list[str]:
    rows = con.execute(
        "select table_schema, table_name, list(column_name) from information_schema.columns "
        "where table_schema = any(?) group by all order by all", [list(schemas)]
    ).fetchall()
    return [f'"{schema}"."{table}"' for schema, table, names in rows if columns <= set(names)]


def _derived_rows(con: duckdb.DuckDBPyConnection, persons: list[str]) -> dict[str, int]:
    """Rows of the persons in every layer the rebuild recomputes: staging by lineage to the purged raw rows,
    the later layers by person_id."""
    counts = {"staging": 0}
    for table in _tables_with_columns(con, ("staging",), {"_source_file", "_line_number"}):
        counts["staging"] += con.execute(
            f"select count(*) from {table} where (_source_file, _line_number) in "
            "(select (_source_file, _line_number) from erased_lines where kind = 'raw')"
        ).fetchone()[0]
    for schema in DERIVED_SCHEMAS:
        counts[schema] = sum(
            con.execute(f"select count(*) from {table} where person_id = any(?)", [persons]).fetchone()[0]
            for table in _tables_with_columns(con, (schema,), {"person_id"})
        )
    return counts


def _purge_raw(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Delete the raw and rejected rows that carry an erased node; list them in temp table erased_lines."""
    con.execute(
        "create or replace temp table erased_lines (source varchar, kind varchar, _source_file varchar, "
        "_line_number bigint, _partition_date date)"
    )
    removed = {"raw": 0, "raw_rejects": 0}
    for source in load_registry().sources.values():
        if not source.identifiers or not _table_exists(con, "raw", source.name):
            continue
        ensure_tables(con, source)
        for kind, table, condition in (
            ("raw", f"raw.{source.name}", row_matches_sql(source, "erasure_hashes")),
            ("raw_rejects", f"raw_rejects.{source.name}", reject_matches_sql(source, "erasure_hashes")),
        ):
            deleted = con.execute(
                f"delete from {table} where {condition} returning _source_file, _line_number, _partition_date"
            ).fetchall()
            if deleted:
                con.executemany(
                    "insert into erased_lines values (?, ?, ?, ?, ?)", [[source.name, kind, *row] for row in deleted]
                )
                removed[kind] += len(deleted)
                removed[f"{kind}.{source.name}"] = len(deleted)
    return removed


def _purge_raw_audit(con: duckdb.DuckDBPyConnection) -> int:
    """Drop the conflicting versions of erased rows; move the erased rows' load counts to rows_suppressed."""
    conflicts = 0
    if _table_exists(con, "raw_audit", "conflicting_versions"):
        conflicts = len(con.execute(
            "delete from raw_audit.conflicting_versions as c where exists (select 1 from erased_lines as e "
            "where e.source = c.source and ((e._source_file = c._source_file and e._line_number = c._line_number) "
            "or (e._source_file = c.kept_source_file and e._line_number = c.kept_line_number))) returning source"
        ).fetchall())
    con.execute(
        """update raw_audit.loads as loads
        set rows_loaded = loads.rows_loaded - erased.loaded, rows_rejected = loads.rows_rejected - erased.rejected,
            rows_suppressed = coalesce(loads.rows_suppressed, 0) + erased.loaded + erased.rejected
        from (
            select source, _partition_date, count(*) filter (where kind = 'raw') as loaded,
                count(*) filter (where kind = 'raw_rejects') as rejected
            from erased_lines group by all
        ) as erased
        where loads.source = erased.source and loads.partition_date = erased._partition_date"""
    )
    return conflicts


def _drop_parquet_exports(parquet_dir: Path) -> int:
    """Earlier publications' Parquet copies hold the person: remove them (the rebuild publishes a new one)."""
    if not parquet_dir.is_dir():
        return 0
    exports = [p for p in parquet_dir.iterdir() if p.is_dir()]
    for export in exports:
        shutil.rmtree(export)
    (parquet_dir / "current").unlink(missing_ok=True)
    return len(exports)


@contextlib.contextmanager
def _derived_layers(con: duckdb.DuckDBPyConnection, settings: Settings) -> Iterator[None]:
    """The identity graph and the derived layers under their schema names: con's own schemas on DuckDB, views
    of Spark's files on Spark (raw stays con's own)."""
    if settings.engine != "spark":
        yield
        return
    with spark_catalog(
        con, settings.spark_warehouse_dir, settings.parquet_dir, skip_schemas=(RAW_SCHEMA,), search=True
    ):
        yield


def _rewrite_raw_parquet(con: duckdb.DuckDBPyConnection, parquet_dir: Path) -> int:
    """On Spark: rewrite the raw Parquet partitions that lost rows, from raw as this transaction leaves it."""
    sources = load_registry().sources
    purged = con.execute(
        "select source, list(distinct _partition_date order by _partition_date) from erased_lines "
        "where kind = 'raw' group by source order by source"
    ).fetchall()
    for source, days in purged:
        export_parquet(con, sources[source], days, parquet_dir)
    return sum(len(days) for _, days in purged)


def erase(con: duckdb.DuckDBPyConnection, request: ErasureRequest, settings: Settings) -> ErasureResult:
    """Purge the request's persons from raw, rejects and the embedding cache, suppress their identifiers and
    record the erasure; the caller rebuilds the derived layers afterwards (see the module docstring)."""
    has_functions = con.execute(
        "select count(*) from duckdb_functions() where schema_name = 'voc360_meta' and function_name = 'identifier_hash'"
    ).fetchone()[0]
    if not has_functions:
        raise ErasureError("the identifier key functions are missing: run create_key_functions() first")
    with _derived_layers(con, settings):
        return _erase(con, request, settings)


def _erase(con: duckdb.DuckDBPyConnection, request: ErasureRequest, settings: Settings) -> ErasureResult:
    if not _table_exists(con, "intermediate", "int_identity_components"):
        raise ErasureError("the identity graph is not built yet: run a build before an erasure")
    set_salt(con)
    erasure_id = f"E{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    persons, identifier_hash = _resolve(con, request)
    texts = person_texts(con, persons)
    con.execute("begin transaction")
    try:
        con.execute(
            "create or replace temp table erasure_nodes as "
            "select distinct node_type, node_key from intermediate.int_identity_components where person_id = any(?) "
            "union select node_type, node_key from request_nodes",
            [persons],
        )
        con.execute(
            "create or replace temp table erasure_hashes as select distinct node_type as identifier_type, "
            "voc360_meta.identifier_hash(node_type, node_key) as identifier_hash from erasure_nodes"
        )
        removed = _purge_raw(con)
        removed["raw_audit.conflicting_versions"] = _purge_raw_audit(con)
        removed.update(_derived_rows(con, persons))
        ensure_suppression_table(con)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        suppressed = len(con.execute(
            f"insert into {SUPPRESSION_TABLE} select identifier_type, identifier_hash, ?, ? from erasure_hashes "
            "on conflict do nothing returning identifier_hash", [erasure_id, now]
        ).fetchall())
        # where the text step caches embeddings (ml.steps.TextSettings) and publish exports Parquet
        removed["embedding_cache"] = forget_texts(texts, settings.warehouse_dir / "embeddings")
        removed["parquet_exports"] = _drop_parquet_exports(settings.warehouse_dir / "serving_parquet")
        if settings.raw_parquet_dir is not None:
            # inside the transaction: if writing fails, nothing is committed and the erasure can be run again
            removed["raw_parquet_partitions"] = _rewrite_raw_parquet(con, settings.raw_parquet_dir)
        con.execute(
            f"""create table if not exists {ERASURES_TABLE} (
                erasure_id varchar primary key, requested_at timestamp, request_type varchar,
                identifier_hash varchar, persons integer, identifiers_suppressed integer, rows_removed json)"""
        )
        con.execute(
            f"insert into {ERASURES_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
            [erasure_id, now, request.kind, identifier_hash, len(persons), suppressed, json.dumps(removed)],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    for table in ("request_nodes", "erasure_nodes", "erasure_hashes", "erased_lines"):
        con.execute(f"drop table if exists {table}")
    return ErasureResult(erasure_id, identifier_hash, len(persons), suppressed, removed)
