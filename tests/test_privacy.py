"""Personal data and the PII salt stay where they belong.

A small world is built through Dagster with a salt of its own; then every table of the serving database,
every table of the build database past raw, every value in Dagster's event log (asset and check metadata,
log messages), the captured step logs and dbt's logs and artefacts are scanned: no e-mail, phone, Chinese ID
or card number and no person's name in the clear (tests/support/pii_scan.py), and the salt nowhere.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, RunsFilter

from conftest import dagster_instance, generate_world, run_build, world_env
from support.pii_scan import PiiScanner
from voc360.settings import DBT_PROJECT_DIR

SALT = f"salt-{secrets.token_hex(12)}"
RAW_SCHEMAS = {"raw", "raw_rejects", "raw_audit"}


@dataclass
class World:
    root: Path
    env: dict
    started: float
    build: object

    @property
    def serving(self) -> Path:
        return self.root / "warehouse" / "serving.duckdb"

    @property
    def build_db(self) -> Path:
        return self.root / "warehouse" / "voc360.duckdb"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("privacy")
    env = {**world_env(root, "2026-01-01"), "VOC360_PII_SALT": SALT}
    generate_world(env, customers=120, days=8)
    started = time.time()
    build = run_build(env)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return World(root, env, started, build)


@pytest.fixture(scope="module")
def scanner(world) -> PiiScanner:
    return PiiScanner(world.root / "ground_truth" / "persons.csv")


def schemas(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {r[0] for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()}


def event_texts(env) -> list[tuple[str, str]]:
    """(where, text) of every metadata value and log message of every run of the world's instance."""
    instance = dagster_instance(env)
    texts = []
    for run in instance.get_runs(RunsFilter()):
        for record in instance.get_records_for_run(run.run_id, limit=1_000_000).records:
            entry = record.event_log_entry
            where = f"run {run.job_name} {entry.step_key or ''}"
            if entry.user_message:
                texts.append((f"{where} message", entry.user_message))
            event = entry.dagster_event
            if event is None:
                continue
            metadata = {}
            if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                metadata = event.event_specific_data.materialization.metadata
            elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                metadata = event.event_specific_data.metadata
            for key, value in metadata.items():
                texts.append((f"{where} metadata {key}", str(getattr(value, "value", value))))
    return texts


def compute_logs(env) -> list[Path]:
    return [p for p in (Path(env["DAGSTER_HOME"]) / "storage").rglob("*") if p.suffix in (".out", ".err")]


def test_the_scanner_finds_personal_data_where_it_is_expected(world, scanner):
    """Raw keeps personal data as exported: a scanner that found nothing there would prove nothing elsewhere."""
    kinds = {f.kind for f in scanner.scan_database(world.build_db, ["raw"])}
    assert {"email", "phone", "known e-mail", "known phone", "name"} <= kinds


def test_the_serving_database_holds_no_personal_data(world, scanner):
    assert "marts" in schemas(world.serving)
    assert scanner.scan_database(world.serving) == []


# Free text as written, before masking: the feedback texts that the ML step masks (int_feedback_texts has no
# column meta, being one text column by construction).
UNMASKED_FREE_TEXT = {("intermediate", "int_feedback_texts", "text")}


def unmasked_free_text_columns() -> set[tuple[str, str, str]]:
    """Staging keeps free text as written (meta pii: free_text); it is masked on its way to marts and ML."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    return UNMASKED_FREE_TEXT | {
        ("staging", node["name"], column)
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "staging"
        for column, spec in node["columns"].items()
        if {**spec.get("meta", {}), **spec.get("config", {}).get("meta", {})}.get("pii") == "free_text"
    }


def test_the_build_database_holds_no_personal_data_past_raw(world, scanner):
    past_raw = schemas(world.build_db) - RAW_SCHEMAS
    assert {"staging", "intermediate", "marts", "ml"} <= past_raw
    free_text = unmasked_free_text_columns()
    assert ("staging", "stg_surveys__responses", "verbatim") in free_text
    findings = scanner.scan_database(world.build_db, past_raw, skip=free_text)
    assert findings == []


def test_the_scanner_reads_a_hex_digest_as_no_phone_but_still_finds_a_phone_beside_it(scanner):
    digest = hashlib.md5(b"a text").hexdigest()
    phone = "+1 206 555 0100 " + digest
    assert scanner.scan_text("19302208013de83a8aa421a71420913e") == []
    assert scanner.scan_text(hashlib.sha256(b"x").hexdigest()) == []
    assert [kind for kind, _ in scanner.scan_text(phone)] == ["phone"]
    truncated = "0e5d9285d9c5fe38cccdc2312a305cbed379942dde456155c01401019797…"  # a preview's cut of a digest
    assert scanner.scan_text(truncated) == []
    assert [kind for kind, _ in scanner.scan_text("+1 206 555 0100 " + truncated)] == ["phone"]


def test_asset_metadata_and_logs_hold_no_personal_data(world, scanner):
    env = world.env
    texts = event_texts(env)
    assert any("metadata preview" in where for where, _ in texts)  # landing previews are among them
    findings = [f for where, text in texts for f in scanner.scan_texts(where, [text])]
    for path in compute_logs(env):
        findings += scanner.scan_texts(path.name, [path.read_text(errors="replace")])
    assert findings == []


def test_the_salt_is_used_but_appears_in_no_table_log_metadata_or_dbt_artefact(world):
    root, env, build_db = world.root, world.env, world.build_db
    with duckdb.connect(str(build_db), read_only=True) as con:
        # a raw e-mail already in normal form, and the hash staging made of it
        email, email_hash = con.execute(
            "select r.email, s.email_hash from raw.crm_customers as r "
            "join staging.stg_crm__customer_versions as s "
            "on s._source_file = r._source_file and s._line_number = r._line_number "
            "where regexp_full_match(r.email, '[a-z0-9._%+-]+@[a-z0-9.-]+[.][a-z]+') limit 1"
        ).fetchone()
    assert email_hash == hashlib.sha256((SALT + email).encode()).hexdigest()

    places = [("build output", world.build.stdout + world.build.stderr)]
    places += [(where, text) for where, text in event_texts(env)]
    places += [(str(p), p.read_text(errors="replace")) for p in compute_logs(env)]
    dbt_files = [
        p for folder in ("target", "logs") for p in (DBT_PROJECT_DIR / folder).rglob("*")
        if p.is_file() and p.stat().st_mtime >= world.started
    ]
    assert dbt_files, "the build left no dbt logs or artefacts to check"
    places += [(str(p), p.read_bytes().decode("utf-8", errors="replace")) for p in dbt_files]
    places += [(str(p), p.read_bytes().decode("utf-8", errors="replace"))
               for p in root.rglob("*") if p.is_file() and p.suffix not in (".duckdb", ".parquet")]
    assert [where for where, text in places if SALT in text] == []
    for path in (build_db, world.serving):
        assert salt_columns(path) == [], path.name


def salt_columns(path: Path) -> list[str]:
    """Text columns of the database where some value contains the salt (DuckDB compresses strings on disk)."""
    found = []
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            hit = con.execute(
                f'select count(*) from "{schema}"."{table}" where contains("{column}", ?)', [SALT]
            ).fetchone()[0]
            if hit:
                found.append(f"{schema}.{table}.{column}")
    return found
