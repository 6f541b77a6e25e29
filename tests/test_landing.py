"""Landing: exact row accounting, quarantine with reasons, idempotent partitions, clear schema errors."""

import datetime as dt
import json

import duckdb
import pytest

from voc360.landing import LandingError, load_days
from voc360.registry import load_registry

DAY = dt.date(2026, 1, 5)
SURVEY_HEADER = "response_id,customer_id,survey_type,score,verbatim,channel,ticket_id,order_id,responded_at"


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        yield con


def write(landing, source, day, name, text):
    folder = landing / source / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode("utf-8") if isinstance(text, str) else text)


def order(order_id, **overrides):
    record = {
        "order_id": order_id, "customer_id": "C1", "channel": "web", "ordered_at": "2026-01-05T09:30:00+08:00",
        "status": "completed", "currency": "CNY", "gross_amount": 120.5, "discount_amount": 0,
        "shipping_amount": 8, "net_amount": 128.5, "is_gift": False, "gift_message": None,
        "shipping_city": "Shanghai", "contact_email": "a@example.com", "contact_phone": "13812345678",
    }
    return json.dumps({**record, **overrides}, ensure_ascii=False)


def test_malformed_csv_loads_good_rows_and_quarantines_the_rest_with_reasons(con, landing):
    lines = [
        SURVEY_HEADER,
        'R1,C1,nps,9,"Great, fast delivery",email,,,2026-01-05T10:00:00+08:00',   # good, quoted comma
        'R2,C2,nps,7,"unterminated quote,email,,,2026-01-05T10:00:00Z',          # broken quoting
        'R3,C3,csat,4,"two\nlines ""quoted""",app,T1,,2026-01-05 11:00:00',     # good, multi-line field
        "R4,C4,nps,abc,fine,email,,,2026-01-05T10:00:00Z",                       # text in a numeric field
        "R5,C5,nps,5,ok,email,,,2026-02-30T10:00:00Z",                           # impossible date
        "R6,C6,nps,5,ok,email,,2026-01-05T10:00:00Z",                            # a field missing
        "R7,C7,nps,10,客服很好,web,,,2026-01-05T12:00:00-05:00",                    # good, Chinese text
    ]
    write(landing, "surveys", DAY, "surveys.csv", "\n".join(lines) + "\n")

    report = load_days(con, load_registry().sources["surveys"], [DAY], landing)

    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (7, 3, 4)
    loaded = con.execute("select response_id, verbatim, _line_number from raw.surveys order by 1").fetchall()
    assert loaded == [("R1", "Great, fast delivery", 2), ("R3", 'two\nlines "quoted"', 4), ("R7", "客服很好", 9)]
    rejects = dict(con.execute("select _line_number, reason from raw_rejects.surveys").fetchall())
    assert rejects[3] == "unbalanced quote"
    # R3 spans lines 4-5, so the rows after it start at line 6.
    assert rejects[6].startswith("column score: abc is not a valid integer")
    assert rejects[7].startswith("column responded_at:")
    assert rejects[8] == "expected 9 fields, found 8"


def test_broken_quote_cannot_swallow_the_next_records_into_a_non_text_field(con, landing):
    header = "change_id,ticket_id,from_status,to_status,changed_at"
    lines = [
        header,
        '"S1,T1,open,pending,2026-01-05T10:00:00Z',   # opening quote never closed on its line ...
        "S2,T2,new,open,2026-01-05T11:00:00Z",
        'S3",T3,open,solved,2026-01-05T12:00:00Z',   # ... and a stray quote here makes the joined text parse
    ]
    write(landing, "ticket_status_changes", DAY, "changes.csv", "\n".join(lines) + "\n")

    report = load_days(con, load_registry().sources["ticket_status_changes"], [DAY], landing)

    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 1, 2)
    assert con.execute("select change_id from raw.ticket_status_changes").fetchall() == [("S2",)]
    assert con.execute("select _line_number, reason from raw_rejects.ticket_status_changes order by 1").fetchall() == [
        (2, "unbalanced quote"),
        (4, "unbalanced quote"),
    ]


def test_malformed_jsonl_loads_good_rows_and_quarantines_the_rest(con, landing):
    lines = [
        order("O1"),
        order("O2")[:60],                        # truncated line
        order("O3", gross_amount="12,5 EUR"),    # text in a numeric field
        "[1, 2, 3]",                             # a JSON array, not an object
        order("O4", ordered_at="yesterday"),     # bad timestamp
        order("O5", loyalty_tier="gold"),        # undeclared field: kept in _extra
    ]
    write(landing, "orders", DAY, "orders.jsonl", "\n".join(lines) + "\n")

    report = load_days(con, load_registry().sources["orders"], [DAY], landing)

    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (6, 2, 4)
    assert con.execute("select order_id, _extra from raw.orders order by 1").fetchall() == [
        ("O1", None),
        ("O5", '{"loyalty_tier": "gold"}'),
    ]
    reasons = dict(con.execute("select _line_number, reason from raw_rejects.orders").fetchall())
    assert reasons[2].startswith("malformed JSON")
    assert reasons[3].startswith("column gross_amount: 12,5 EUR is not a valid double")
    assert reasons[4] == "JSON line is list, expected an object"
    assert reasons[5].startswith("column ordered_at: yesterday")
    # Values keep their JSON text: numbers and booleans are not reformatted.
    assert con.execute("select gross_amount, is_gift from raw.orders where order_id = 'O1'").fetchone() == ("120.5", "false")


def test_rerunning_a_partition_replaces_it(con, landing):
    source = load_registry().sources["orders"]
    other_day = DAY + dt.timedelta(days=1)
    write(landing, "orders", DAY, "orders.jsonl", "\n".join([order("O1"), order("O2"), "{broken"]) + "\n")
    write(landing, "orders", other_day, "orders.jsonl", order("O9") + "\n")
    load_days(con, source, [DAY, other_day], landing)
    first = con.execute("select * exclude (_loaded_at) from raw.orders order by order_id").fetchall()

    load_days(con, source, [DAY], landing)
    assert con.execute("select * exclude (_loaded_at) from raw.orders order by order_id").fetchall() == first
    assert con.execute("select count(*) from raw_rejects.orders").fetchone()[0] == 1

    # A corrected re-export of the day replaces what was there, and leaves other days alone.
    write(landing, "orders", DAY, "orders.jsonl", order("O1") + "\n")
    load_days(con, source, [DAY], landing)
    assert [r[0] for r in con.execute("select order_id from raw.orders order by 1").fetchall()] == ["O1", "O9"]
    assert con.execute("select count(*) from raw_rejects.orders").fetchone()[0] == 0
    audit = con.execute("select partition_date, rows_read, rows_loaded, rows_rejected from raw_audit.loads order by 1")
    assert audit.fetchall() == [(DAY, 1, 1, 0), (other_day, 1, 1, 0)]


def test_missing_required_column_fails_the_partition_and_keeps_what_was_loaded(con, landing):
    source = load_registry().sources["surveys"]
    write(landing, "surveys", DAY, "surveys.csv", SURVEY_HEADER + "\nR1,C1,nps,9,,email,,,2026-01-05T10:00:00Z\n")
    load_days(con, source, [DAY], landing)

    header_without_score = SURVEY_HEADER.replace(",score", "")
    write(landing, "surveys", DAY, "surveys.csv", header_without_score + "\nR2,C1,nps,,email,,,2026-01-05T10:00:00Z\n")
    with pytest.raises(LandingError, match=r"surveys/2026-01-05/surveys.csv: missing required column\(s\) score"):
        load_days(con, source, [DAY], landing)
    assert con.execute("select response_id from raw.surveys").fetchall() == [("R1",)]


def test_extra_csv_column_is_kept_and_optional_column_may_be_absent(con, landing):
    source = load_registry().sources["orders"]
    without_coupon = order("O1")
    with_coupon = order("O2", coupon_code="WELCOME10")
    write(landing, "orders", DAY, "orders.jsonl", without_coupon + "\n" + with_coupon + "\n")
    load_days(con, source, [DAY], landing)
    assert con.execute("select order_id, coupon_code from raw.orders order by 1").fetchall() == [
        ("O1", None),
        ("O2", "WELCOME10"),
    ]

    write(landing, "surveys", DAY, "surveys.csv", SURVEY_HEADER + ",panel\nR1,C1,nps,9,,email,,,2026-01-05T10:00:00Z,B\n")
    load_days(con, load_registry().sources["surveys"], [DAY], landing)
    assert con.execute("select _extra from raw.surveys").fetchone() == ('{"panel": "B"}',)


def test_undecodable_line_is_quarantined_and_a_day_without_files_loads_nothing(con, landing):
    source = load_registry().sources["surveys"]
    good = "R1,C1,nps,9,,email,,,2026-01-05T10:00:00Z"
    write(landing, "surveys", DAY, "surveys.csv", (SURVEY_HEADER + "\n" + good + "\n").encode() + b"R2,\xff\xfe,nps\n")
    report = load_days(con, source, [DAY, DAY + dt.timedelta(days=1)], landing)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.files) == (2, 1, 1, 1)
    assert con.execute("select reason from raw_rejects.surveys").fetchone() == ("invalid UTF-8",)


def test_a_window_landed_in_many_batches_holds_none_of_them_in_memory_before_it_commits(con, landing, monkeypatch):
    import pyarrow as pa

    from voc360 import landing as landing_module

    days = [DAY + dt.timedelta(days=i) for i in range(4)]
    for day in days:
        rows = [f"R{day:%d}-{i},C{i},nps,{i % 11},{'words ' * 40},email,,,{day}T10:00:00Z" for i in range(500)]
        write(landing, "surveys", day, "surveys.csv", "\n".join([SURVEY_HEADER, *rows]) + "\n")
    monkeypatch.setattr(landing_module, "FLUSH_ROWS", 500)  # one batch per day
    held = []
    record = landing_module.record_conflicting_versions

    def arrow_held_then_record(con, source, window):  # runs inside the transaction, after the last batch
        held.append(pa.total_allocated_bytes())
        return record(con, source, window)

    monkeypatch.setattr(landing_module, "record_conflicting_versions", arrow_held_then_record)
    before = pa.total_allocated_bytes()

    report = load_days(con, load_registry().sources["surveys"], days, landing)

    assert report.rows_loaded == 2000
    one_batch = 500 * 40 * len("words ")
    assert held[0] - before < one_batch, "the Arrow batches already written are still held by the connection"


def test_a_backfill_parsed_in_worker_processes_lands_what_one_process_lands(tmp_path, landing, monkeypatch):
    from voc360 import landing as landing_module

    source = load_registry().sources["surveys"]
    days = [DAY + dt.timedelta(days=i) for i in range(6)]
    for day in days:
        rows = [f"R{day:%d}-{i},C{i},nps,{i % 11},fine,email,,,{day}T10:00:00Z" for i in range(40)]
        rows += [f"R{day:%d}-bad,C1,nps,abc,fine,email,,,{day}T10:00:00Z", '"unterminated,x']
        write(landing, "surveys", day, "surveys.csv", "\n".join([SURVEY_HEADER, *rows]) + "\n")
        write(landing, "surveys", day, "surveys_resend.csv", f"{SURVEY_HEADER}\nR{day:%d}-0,C0,nps,3,,web,,,{day}\n")
    monkeypatch.setattr(landing_module, "_parse_workers", lambda: 2)

    def land(min_files: int, name: str):
        monkeypatch.setattr(landing_module, "PARALLEL_PARSE_MIN_FILES", min_files)
        with duckdb.connect(str(tmp_path / name)) as con:
            report = load_days(con, source, days, landing)
            raw = con.execute("select * exclude (_loaded_at) from raw.surveys order by all").fetchall()
            rejects = con.execute("select * exclude (_loaded_at) from raw_rejects.surveys order by all").fetchall()
        return [(d.partition_date, d.files, d.rows_read, d.rows_loaded, d.rows_rejected) for d in report.days], raw, rejects

    in_workers, here = land(2, "workers.duckdb"), land(10**6, "here.duckdb")
    assert in_workers == here
    assert in_workers[0][0] == (DAY, 2, 43, 41, 2) and len(in_workers[1]) == 6 * 41

    # a file that cannot be landed fails the whole window from a worker too, and nothing of it is kept
    write(landing, "surveys", days[3], "surveys.csv", SURVEY_HEADER.replace(",score", "") + "\nR,C,nps,,web,,,x\n")
    monkeypatch.setattr(landing_module, "PARALLEL_PARSE_MIN_FILES", 2)
    with duckdb.connect(str(tmp_path / "workers.duckdb")) as con:
        with pytest.raises(LandingError, match="missing required column"):
            load_days(con, source, days, landing)
        assert con.execute("select * exclude (_loaded_at) from raw.surveys order by all").fetchall() == here[1]
