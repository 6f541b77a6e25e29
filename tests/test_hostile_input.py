"""Hostile input (tests/support/hostile_corpus.py) through the landing loader, the raw gate and staging.

For every file: the good rows load, every other line is in raw_rejects.<source> with its reason, nothing
crashes, and rows read = rows loaded + rows rejected. Encodings that can be told apart are decoded, not
rejected. Values that are well-formed but wrong (an unknown enum value, a negative quantity, a time far in
the future or before 1970, a key re-sent with different content) land in raw and are flagged by the raw
gate or in staging, never turned into NULL.
"""

from __future__ import annotations

import datetime as dt
import zlib

import duckdb
import pytest

from support.hostile_corpus import (
    CHINESE,
    TIMESTAMP_FORMATS,
    TRUNCATED_GZIP_ROWS,
    Case,
    big_field_cases,
    cases,
    truncated_gzip_case,
    write_case,
)
from voc360.landing import load_days
from voc360.registry import load_registry

CASES = cases()
BIG_FIELD_CASES_DAY = max(c.day for c in CASES) + dt.timedelta(days=1)
CASE_NAMES = [c.name for c in CASES] + ["ten_mb_field_csv", "ten_mb_field_jsonl"]


@pytest.fixture(scope="module")
def landed(tmp_path_factory):
    """The whole corpus landed as the landing assets land it: one call per source over all its days."""
    root = tmp_path_factory.mktemp("hostile")
    landing = root / "landing"
    corpus = CASES + big_field_cases(BIG_FIELD_CASES_DAY)
    for case in corpus:
        write_case(landing, case)
    registry = load_registry()
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        for source in sorted({c.source for c in corpus}):
            days = sorted({c.day for c in corpus if c.source == source})
            load_days(con, registry.sources[source], days, landing)
        yield con, {c.name: c for c in corpus}


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
