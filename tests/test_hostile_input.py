"""Hostile input (tests/support/hostile_corpus.py) through the landing loader, the raw gate and staging.

For every file: the good rows load, every other line is in raw_rejects.<source> with its reason, nothing
crashes, and rows read = rows loaded + rows rejected. Encodings that can be told apart are decoded, not
rejected. Values that are well-formed but wrong (an unknown enum value, a negative quantity, a time far in
the future or before 1970, a key re-sent with different content) land in raw and are flagged by the raw
gate or in staging, never turned into NULL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import duckdb
import pytest

from support.hostile_corpus import (
    BEFORE_1970,
    CHINESE,
    FAR_FUTURE,
    TIMESTAMP_FORMATS,
    TRUNCATED_GZIP_ROWS,
    Case,
    big_field_cases,
    cases,
    staging_cases,
    truncated_gzip_case,
    write_case,
)
from voc360.landing import ensure_tables, load_days
from voc360.quality import validate_raw_partitions
from voc360.registry import load_registry
from voc360.settings import DBT_PROJECT_DIR

CASES = cases()
BIG_FIELD_CASES_DAY = max(c.day for c in CASES) + dt.timedelta(days=1)
STAGING_CASES = staging_cases(BIG_FIELD_CASES_DAY + dt.timedelta(days=2))
CASE_NAMES = [c.name for c in CASES + STAGING_CASES] + ["ten_mb_field_csv", "ten_mb_field_jsonl"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """The whole corpus landed as the landing assets land it: one call per source over all its days."""
    root = tmp_path_factory.mktemp("hostile")
    landing = root / "landing"
    corpus = CASES + STAGING_CASES + big_field_cases(BIG_FIELD_CASES_DAY)
    for case in corpus:
        write_case(landing, case)
    registry = load_registry()
    path = root / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for source in registry.sources.values():  # staging reads every raw table
            ensure_tables(con, source)
        for source in sorted({c.source for c in corpus}):
            days = sorted({c.day for c in corpus if c.source == source})
            load_days(con, registry.sources[source], days, landing)
    return path


@pytest.fixture
def landed(warehouse):
    corpus = CASES + STAGING_CASES + big_field_cases(BIG_FIELD_CASES_DAY)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        yield con, {c.name: c for c in corpus}


@pytest.fixture(scope="module")
def staged(warehouse, tmp_path_factory) -> dict[str, str]:
    """dbt builds the staging layer with its tests on the landed corpus; returns "model.x"/"test.x" -> status."""
    root = tmp_path_factory.mktemp("hostile_dbt")
    env = {**os.environ, "VOC360_WAREHOUSE_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run(
        [
            # unit tests run in test_staging.py; here the data tests on hostile data matter
            str(Path(sys.executable).with_name("dbt")), "build", "--select", "path:models/staging",
            "--exclude-resource-type", "unit_test",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(root / "target"), "--log-path", str(root / "logs"),
        ],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    return {".".join(r["unique_id"].split(".")[::2][:2]): r["status"] for r in results}


def case_days(*names: str) -> list[dt.date]:
    return sorted({c.day for c in STAGING_CASES if c.name in names})


def source_file(case: Case) -> str:
    return f"{case.source}/{case.day.isoformat()}/{case.file_name}"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_good_rows_load_and_the_rest_is_quarantined_with_a_reason(landed, name):
    con, corpus = landed
    case = corpus[name]
    key = load_registry().sources[case.source].primary_key[0]
    loaded = con.execute(
        f"select {key} from raw.{case.source} where _source_file = ? order by _line_number", [source_file(case)]
    ).fetchall()
    assert [r[0] for r in loaded] == case.loaded

    rejects = dict(
        con.execute(
            f"select _line_number, reason from raw_rejects.{case.source} where _source_file = ?", [source_file(case)]
        ).fetchall()
    )
    assert sorted(rejects) == sorted(case.rejected)
    for line, reason_start in case.rejected.items():
        assert rejects[line].startswith(reason_start), (line, rejects[line])

    audit = con.execute(
        "select rows_read, rows_loaded, rows_rejected from raw_audit.loads where source = ? and partition_date = ?",
        [case.source, case.day],
    ).fetchone()
    assert audit == (len(case.loaded) + len(case.rejected), len(case.loaded), len(case.rejected))


def test_decoded_text_is_the_text_that_was_written(landed):
    con, _ = landed
    verbatims = dict(con.execute("select response_id, verbatim from raw.surveys").fetchall())
    bodies = dict(con.execute("select review_id, body from raw.reviews").fetchall())
    for response_id in ("BOM1", "GB1", "U16L1", "IU1", "IU4", "GZ1"):
        assert verbatims[response_id] == CHINESE, response_id
    assert verbatims["GB2"] == "€ 与 𠀀"  # outside GBK: GB18030's four-byte forms
    for review_id in ("BOMJ1", "GBK1", "U16B1"):
        assert bodies[review_id] == CHINESE, review_id
    assert verbatims["SC1"] == "fast, friendly"
    assert verbatims["NL1"] == "line one\nline two"
    assert verbatims["CR2"] == "two\nlines"
    assert con.execute("select title, body from raw.reviews where review_id = 'NT1'").fetchone() == ("3.5", "42")
    assert con.execute("select unit_price from raw.order_items where order_id = 'NN1'").fetchone() == (" 3.5 ",)


def test_truncated_gzip_keeps_the_complete_lines_before_the_cut_and_quarantines_the_rest(tmp_path):
    case = truncated_gzip_case()
    write_case(tmp_path, case)
    expected_text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(case.content).decode()
    with duckdb.connect() as con:
        report = load_days(con, load_registry().sources[case.source], [case.day], tmp_path)
        loaded = [r[0] for r in con.execute("select review_id from raw.reviews order by _line_number").fetchall()]
        rejects = con.execute("select _line_number, reason, raw_record from raw_rejects.reviews").fetchall()

    assert 0 < len(loaded) < TRUNCATED_GZIP_ROWS
    assert loaded == [f"GZT{i:03d}" for i in range(len(loaded))]
    # The one rejected record is the cut line, after the last complete one.
    assert rejects == [(len(loaded) + 1, "truncated gzip file: the compressed stream ends early",
                        expected_text.rpartition("\n")[2])]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (len(loaded) + 1, len(loaded), 1)


def staging_rows(warehouse: Path, sql: str) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute(sql).fetchall())


def test_every_staging_model_builds_on_hostile_input(staged):
    models = {name: status for name, status in staged.items() if name.startswith("model.")}
    assert models and set(models.values()) == {"success"}, models


def test_timestamps_that_land_are_typed_to_their_instant_in_staging(warehouse, staged):
    responded = staging_rows(warehouse, "select response_id, responded_at from staging.stg_surveys__responses")
    for i, expected in enumerate(TIMESTAMP_FORMATS.values(), start=1):
        assert responded[f"TS{i}"] == expected, f"TS{i}"
    # Far-future and pre-1970 times are kept as they are, not nulled ...
    assert responded["FF1"] == dt.datetime.fromisoformat(FAR_FUTURE).replace(tzinfo=None)
    assert responded["PRE1"] == dt.datetime.fromisoformat(BEFORE_1970).replace(tzinfo=None)


def test_far_future_and_pre_1970_event_times_fail_the_raw_gate_naming_file_and_line(warehouse):
    # ... and the raw gate stops them before staging, naming where they are.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        outcome = validate_raw_partitions(con, "surveys", case_days("far_future_and_pre_1970_times"))
    window = outcome.result("event_time_window")
    assert not window.success
    samples = " ".join(window.sample_texts())
    day = case_days("far_future_and_pre_1970_times")[0].isoformat()
    assert f"surveys/{day}/surveys.csv:2" in samples and f"surveys/{day}/surveys.csv:3" in samples


def test_unknown_enum_values_and_negative_quantities_are_flagged_by_the_gate_and_by_staging_tests(warehouse, staged):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        surveys = validate_raw_partitions(con, "surveys", case_days("unknown_enum_value"))
        items = validate_raw_partitions(con, "order_items", case_days("negative_quantity"))
    assert surveys.result("in_set:survey_type").samples == ["ces"]
    assert surveys.result("in_set:channel").samples == ["fax"]
    assert items.result("range:quantity").samples == [-2]

    # Staging keeps the values as they are, and its tests fail on them.
    types = staging_rows(warehouse, "select response_id, survey_type from staging.stg_surveys__responses")
    channels = staging_rows(warehouse, "select response_id, channel from staging.stg_surveys__responses")
    quantities = staging_rows(warehouse, "select order_id, quantity from staging.stg_shop__order_items")
    assert (types["EN1"], channels["EN2"], quantities["NQ1"]) == ("ces", "fax", -2)
    failed = {name.removeprefix("test.") for name, status in staged.items() if status == "fail"}
    assert any(name.startswith("accepted_values_stg_surveys__responses_survey_type") for name in failed), failed
    assert any(name.startswith("accepted_values_stg_surveys__responses_channel") for name in failed), failed
    assert any(name.startswith("accepted_range_stg_shop__order_items_quantity") for name in failed), failed


def test_a_key_re_sent_with_other_content_is_listed_with_the_differing_columns(warehouse, staged):
    scores = staging_rows(warehouse, "select response_id, score from staging.stg_surveys__responses")
    assert (scores["DK1"], scores["DK2"]) == (9, 9)  # the earliest landed version
    first, resend = (c for c in STAGING_CASES if c.name.startswith("duplicate_key"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        conflicts = con.execute(
            "select record_key, differing_columns, reason, _source_file, _line_number, kept_source_file, "
            "kept_line_number from raw_audit.conflicting_versions where source = 'surveys'"
        ).fetchall()
    assert conflicts == [
        (
            "DK1", ["score"],
            f"primary key re-sent with different score; staging keeps the earliest landed version "
            f"({source_file(first)}:2)",
            source_file(resend), 2, source_file(first), 2,
        )
    ]
