"""Raw quality gate: suites generated from the registry, typed frames, run parameters, failures with samples."""

import datetime as dt
import importlib.util
import json

import duckdb
import pytest

from voc360 import quality
from voc360.landing import load_days
from voc360.quality import (
    RAW_SUITES_DIR,
    load_suite,
    raw_expectation_parameters,
    raw_frame,
    render_html_report,
    suite_json_text,
    validate_frame,
    validate_raw_partitions,
)
from voc360.registry import load_registry

DAY = dt.date(2026, 1, 20)
SURVEY_HEADER = "response_id,customer_id,survey_type,score,verbatim,channel,ticket_id,order_id,responded_at"
POS_HEADER = (
    "receipt_id,store_id,store_city,store_timezone,purchased_at,phone,loyalty_card,customer_name,"
    "item_count,total_amount,payment_method"
)


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        yield con


def write(landing, source, day, name, lines):
    folder = landing / source / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def order(order_id, day=DAY, **overrides):
    record = {
        "order_id": order_id, "customer_id": f"C{order_id}", "channel": "web",
        "ordered_at": f"{day.isoformat()}T09:30:00+08:00", "status": "completed", "currency": "CNY",
        "gross_amount": 120.5, "discount_amount": 0, "shipping_amount": 8, "net_amount": 128.5, "is_gift": False,
        "gift_message": None, "shipping_city": "Shanghai", "contact_email": "a@example.com",
        "contact_phone": "13812345678",
    }
    return json.dumps({**record, **overrides}, ensure_ascii=False)


def land_orders(con, landing, day, lines):
    write(landing, "orders", day, "orders.jsonl", lines)
    return load_days(con, load_registry().sources["orders"], [day], landing)


def good_orders(day, n, prefix="O"):
    return [order(f"{prefix}{day:%m%d}-{i}", day=day) for i in range(n)]


def land_history(con, landing, days, rows_per_day):
    for offset in range(days, 0, -1):
        day = DAY - dt.timedelta(days=offset)
        land_orders(con, landing, day, good_orders(day, rows_per_day))


# ---------------------------------------------------------------------------------------------- suite files


def _generator():
    spec = importlib.util.spec_from_file_location("generate_raw_suites", RAW_SUITES_DIR.parent / "generate_raw_suites.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_suite_files_equal_what_the_generator_writes_from_the_registry():
    sources = load_registry().sources
    assert sorted(p.stem for p in RAW_SUITES_DIR.glob("*.json")) == sorted(sources)
    assert _generator().stale_suites() == [], "run: python expectations/generate_raw_suites.py"
    for name in sources:
        path = RAW_SUITES_DIR / f"{name}.json"
        suite = load_suite(path)  # loadable by GX, and round-trips to the same file
        assert suite.name == f"raw.{name}"
        assert suite_json_text(suite) == path.read_text(encoding="utf-8")


def test_suite_content_follows_the_registry():
    suite = load_suite(RAW_SUITES_DIR / "orders.json")
    checks = {e.meta["check"]: e for e in suite.expectations}
    for column in ("order_id", "customer_id", "channel", "ordered_at", "status", "gross_amount", "net_amount"):
        assert f"not_null:{column}" in checks
    assert "not_null:gift_message" not in checks  # nullable
    assert checks["in_set:channel"].value_set == ["web", "app", "mini_program"]
    assert checks["range:gross_amount"].min_value == 0 and checks["range:gross_amount"].max_value is None
    # the run-dependent rules are GX suite parameters
    assert checks["volume_vs_history"].min_value == {"$PARAMETER": "row_count_min"}
    assert checks["event_time_window"].column == quality.EVENT_TIME_COLUMN
    assert "row_count_min" in suite.meta["runtime_parameters"]
    assert all(getattr(e, "mostly", 1) == 1 for e in suite.expectations)
    pos = {e.meta["check"] for e in load_suite(RAW_SUITES_DIR / "pos_receipts.json").expectations}
    assert "event_time_resolvable" in pos


# ---------------------------------------------------------------------------------------- frame and params


def test_raw_frame_is_typed_and_event_time_is_utc(con, landing):
    write(landing, "pos_receipts", DAY, "pos.csv", [
        POS_HEADER,
        "P1,S1,Shanghai,Asia/Shanghai,2026-01-20 10:00:00,,,,3,99.5,card",        # local wall time
        "P2,S2,New York,America/New_York,2026-01-20T10:00:00-05:00,,,,1,5,cash",  # explicit offset wins
        "P3,S3,Nowhere,Mars/Olympus,2026-01-20 10:00:00,,,,1,5,cash",           # unknown zone
    ])
    load_days(con, load_registry().sources["pos_receipts"], [DAY], landing)
    df = raw_frame(con, "pos_receipts", [DAY])
    assert str(df["item_count"].dtype) == "Int64" and str(df["total_amount"].dtype) == "float64"
    times = dict(zip(df["receipt_id"], df["_event_time_utc"]))
    assert times["P1"].to_pydatetime() == dt.datetime(2026, 1, 20, 2, 0)
    assert times["P2"].to_pydatetime() == dt.datetime(2026, 1, 20, 15, 0)
    assert times["P3"] is None or str(times["P3"]) == "NaT"
    assert list(df["_line_number"]) == [2, 3, 4]

    outcome = validate_raw_partitions(con, "pos_receipts", [DAY])
    assert [r.check for r in outcome.failures] == ["event_time_resolvable"]
    assert outcome.result("event_time_resolvable").sample_rows[0]["_line_number"] == 4


def test_parameters_from_history_and_window(con, landing):
    land_history(con, landing, days=14, rows_per_day=20)
    land_orders(con, landing, DAY, good_orders(DAY, 20) + ["{broken"])
    params = raw_expectation_parameters(con, "orders", [DAY])
    assert (params["row_count_min"], params["row_count_max"]) == (6, 60)
    # 5% of 21 rows is 1.05; at that volume up to 5 rejects are still consistent with a 5% true share.
    assert (params["rows_read"], params["max_rejected_rows"]) == (21, 5)
    assert params["event_time_min"] == dt.datetime(2026, 1, 15) - dt.timedelta(hours=quality.SKEW_HOURS)
    assert params["event_time_max"] == dt.datetime(2026, 1, 21) + dt.timedelta(hours=quality.SKEW_HOURS)
    assert params["_skip"] == {}


def test_a_resent_late_record_passes_the_event_time_window_and_an_older_one_fails(con, landing):
    """A record three days late, repeated two days later by a resend file, is five days old on its day: a daily
    run must accept it (a range of days always did). Six days is beyond what late delivery and resends explain."""
    land_history(con, landing, days=14, rows_per_day=20)
    resent = DAY - dt.timedelta(days=quality.LATENESS_DAYS + quality.RESEND_DAYS)
    write(landing, "orders", DAY, "orders_resend.jsonl", [order("R-1", day=resent)])
    land_orders(con, landing, DAY, good_orders(DAY, 20))
    assert validate_raw_partitions(con, "orders", [DAY]).success

    write(landing, "orders", DAY, "orders_resend.jsonl", [order("R-1", day=resent - dt.timedelta(days=1))])
    land_orders(con, landing, DAY, good_orders(DAY, 20))
    outcome = validate_raw_partitions(con, "orders", [DAY])
    assert [r.check for r in outcome.failures] == ["event_time_window"]
    assert outcome.result("event_time_window").sample_rows[0]["_source_file"].endswith("orders_resend.jsonl")


# ------------------------------------------------------------------------------------------------- outcomes


def test_good_batch_passes(con, landing):
    land_history(con, landing, days=5, rows_per_day=25)
    land_orders(con, landing, DAY, good_orders(DAY, 25))
    outcome = validate_raw_partitions(con, "orders", [DAY])
    assert outcome.success, outcome.to_markdown()
    assert outcome.statistics["skipped_expectations"] == 0
    assert outcome.result("volume_vs_history").observed_value == 25
    assert outcome.source == "orders" and outcome.partitions == [DAY.isoformat()] and outcome.row_count == 25


def test_bad_batch_fails_with_the_failing_expectations_and_samples(con, landing, tmp_path):
    lines = good_orders(DAY, 4)
    lines += [order(f"N{i}", customer_id=None) for i in range(4)]                 # 40% null customer keys
    lines += [order("NEG", gross_amount=-5, net_amount=-12.5)]                    # negative amounts
    lines += [order("FAX", channel="fax")]                                        # unknown enum value
    lines += [order("OLD", ordered_at="2020-02-01T10:00:00Z")]                    # far outside the window
    land_orders(con, landing, DAY, lines)
    outcome = validate_raw_partitions(con, "orders", [DAY])

    assert not outcome.success
    failed = {r.check: r for r in outcome.failures}
    assert set(failed) == {"not_null:customer_id", "range:gross_amount", "range:net_amount", "in_set:channel", "event_time_window"}
    assert all(r.exception is None for r in failed.values())
    nulls = failed["not_null:customer_id"]
    assert nulls.unexpected_count == 4 and nulls.element_count == 11
    assert {row["_line_number"] for row in nulls.sample_rows} == {5, 6, 7, 8}
    assert all(row["_source_file"] == f"orders/{DAY}/orders.jsonl" for row in nulls.sample_rows)
    assert failed["range:gross_amount"].samples == [-5.0]
    assert failed["range:net_amount"].samples == [-12.5]
    assert failed["in_set:channel"].samples == ["fax"]
    assert failed["event_time_window"].samples == ["2020-02-01T10:00:00"]
    # the volume check has no history here: skipped with a note, not passed silently
    volume = outcome.result("volume_vs_history")
    assert volume.skipped and volume.status == "SKIPPED" and "0 landed partition(s)" in volume.note
    assert outcome.statistics["skipped_expectations"] == 1

    report = render_html_report(outcome, tmp_path / "reports" / "orders.html")
    page = report.read_text(encoding="utf-8")
    assert "raw.orders" in page and DAY.isoformat() in page and "FAILED" in page
    for check in failed:
        assert check in page
    assert "fax" in page and f"orders/{DAY}/orders.jsonl" in page and "SKIPPED" in page
    assert "|" in outcome.to_markdown() and json.dumps(outcome.to_dict())


def test_a_window_validated_in_chunks_of_partitions_gives_the_outcome_of_one_frame(con, landing):
    """A window too large for one frame is validated a few partitions at a time: the same statuses, counts,
    percentages and samples (in frame order) as one frame of the whole window."""
    land_history(con, landing, days=14, rows_per_day=40)  # 5 days of about 10 rows: under the volume bound
    window = [DAY + dt.timedelta(days=i) for i in range(5)]
    defects = {
        0: [order("N0", customer_id=None)],
        1: [order("FAX", channel="fax"), order("N1", customer_id=None), order("G1", gross_amount=None)],
        3: [order("NEG", gross_amount=-5, net_amount=-12.5), order("OLD", ordered_at="2020-02-01T10:00:00Z")],
        4: [order(f"N4-{i}", customer_id=None) for i in range(12)] + ["{truncated"],
    }
    for i, day in enumerate(window):
        land_orders(con, landing, day, good_orders(day, 6) + defects.get(i, []))

    whole = validate_raw_partitions(con, "orders", window)
    chunks = quality.partition_chunks(con, load_registry().sources["orders"], window, max_rows=14)
    assert [len(c) for c in chunks] == [1, 1, 2, 1]  # 7, 9, 6+8, 18 rows: a larger day stands alone
    chunked = validate_raw_partitions(con, "orders", window, max_frame_rows=14)

    assert not whole.success and not chunked.success
    assert chunked.row_count == whole.row_count == 48
    assert chunked.partitions == whole.partitions and chunked.statistics == whole.statistics
    failing = {"not_null:customer_id", "not_null:gross_amount", "in_set:channel", "range:gross_amount",
               "range:net_amount", "event_time_window", "volume_vs_history"}
    assert {r.check for r in whole.failures} == failing
    fields = ("check", "status", "observed_value", "element_count", "unexpected_count", "unexpected_percent",
              "missing_count", "samples", "sample_rows", "note", "kwargs")
    for one, added in zip(whole.results, chunked.results, strict=True):
        assert [getattr(added, f) for f in fields] == [getattr(one, f) for f in fields], one.check
    nulls = chunked.result("not_null:customer_id")
    assert nulls.unexpected_count == 14 and len(nulls.sample_rows) == quality.SAMPLE_SIZE
    assert chunked.result("range:gross_amount").missing_count == 1


def test_nps_out_of_range_fails_but_csat_range_is_separate(con, landing):
    write(landing, "surveys", DAY, "surveys.csv", [
        SURVEY_HEADER,
        f"R1,C1,nps,11,,email,,,{DAY}T10:00:00Z",
        f"R2,C2,nps,10,,email,,,{DAY}T10:00:00Z",
        f"R3,C3,csat,5,,app,T1,,{DAY}T11:00:00Z",
        f"R4,C4,nps,,,web,,,{DAY}T11:00:00Z",         # unrated: allowed
        f"R5,C5,poll,3,,web,,,{DAY}T11:00:00Z",       # unknown survey type
    ])
    load_days(con, load_registry().sources["surveys"], [DAY], landing)
    outcome = validate_raw_partitions(con, "surveys", [DAY])
    failed = {r.check: r for r in outcome.failures}
    assert set(failed) == {"range:score[survey_type=nps]", "in_set:survey_type"}
    assert failed["range:score[survey_type=nps]"].samples == [11]
    assert failed["in_set:survey_type"].samples == ["poll"]


def test_volume_fails_for_a_day_ten_times_below_the_median_and_is_skipped_with_short_history(con, landing):
    land_history(con, landing, days=2, rows_per_day=30)
    land_orders(con, landing, DAY, good_orders(DAY, 3))
    short = validate_raw_partitions(con, "orders", [DAY])
    assert short.success and short.result("volume_vs_history").skipped
    assert "2 landed partition(s)" in short.result("volume_vs_history").note

    land_history(con, landing, days=14, rows_per_day=30)
    low = validate_raw_partitions(con, "orders", [DAY])
    volume = low.result("volume_vs_history")
    assert not low.success and [r.check for r in low.failures] == ["volume_vs_history"]
    assert volume.observed_value == 3 and not volume.skipped and "median 30" in volume.note
    assert volume.kwargs == {"min_value": 9, "max_value": 90}


def test_volume_is_skipped_when_the_baseline_is_too_small_for_a_ratio(con, landing):
    land_history(con, landing, days=5, rows_per_day=4)
    land_orders(con, landing, DAY, good_orders(DAY, 1))
    volume = validate_raw_partitions(con, "orders", [DAY]).result("volume_vs_history")
    assert volume.skipped and "baseline of 4 rows/day" in volume.note


def test_rejected_share_above_five_percent_fails(con, landing):
    land_orders(con, landing, DAY, good_orders(DAY, 19) + ["{truncated"])     # 1 of 20 rejected: 5%
    assert validate_raw_partitions(con, "orders", [DAY]).success
    land_orders(con, landing, DAY, good_orders(DAY, 2) + ["{truncated"])      # a single reject is tolerated
    assert validate_raw_partitions(con, "orders", [DAY]).success
    land_orders(con, landing, DAY, good_orders(DAY, 18) + ["{truncated", "[]"])  # 2 of 20: chance at 5%
    assert validate_raw_partitions(con, "orders", [DAY]).success

    land_orders(con, landing, DAY, good_orders(DAY, 12) + ["{truncated", "[]"] * 4)  # 8 of 20: a broken export
    outcome = validate_raw_partitions(con, "orders", [DAY])
    assert [r.check for r in outcome.failures] == ["rejected_share"]
    assert "8 of 20 rows rejected" in outcome.result("rejected_share").note
    assert validate_raw_partitions(con, "orders", [DAY], max_rejected_share=0.4).success

    # At volume the tolerance tightens: 8% of 1,000 rows is well above what a 5% share gives by chance.
    land_orders(con, landing, DAY, good_orders(DAY, 920) + ["{truncated"] * 80)
    assert [r.check for r in validate_raw_partitions(con, "orders", [DAY]).failures] == ["rejected_share"]


def test_expectation_errors_are_failures_not_passes(con, landing):
    land_orders(con, landing, DAY, good_orders(DAY, 5))
    suite = load_suite(RAW_SUITES_DIR / "orders.json")
    df = raw_frame(con, "orders", [DAY]).drop(columns=["channel"])
    params = raw_expectation_parameters(con, "orders", [DAY])
    del params["rows_read"]
    outcome = validate_frame(df, suite, params)

    assert not outcome.success
    errored = {r.check: r for r in outcome.results if r.status == "ERROR"}
    assert set(errored) == {"not_null:channel", "in_set:channel", "rejected_share"}
    assert all(not r.success for r in errored.values())
    assert 'column "channel"' in errored["in_set:channel"].exception
    assert "rows_read" in errored["rejected_share"].exception
    assert outcome.statistics["errored_expectations"] == 3
    assert outcome.result("not_null:order_id").success  # the rest still ran

    page = render_html_report([outcome], landing.parent / "errors.html").read_text(encoding="utf-8")
    assert "ERROR" in page and "in_set:channel" in page and "does not exist" in page


def test_validation_that_raises_as_a_whole_is_reported_as_errors(monkeypatch):
    import pandas as pd

    suite = load_suite(RAW_SUITES_DIR / "orders.json")
    import great_expectations as gx

    def broken(*args, **kwargs):
        raise RuntimeError("context unavailable")

    monkeypatch.setattr(gx, "get_context", broken)
    params = {"row_count_min": 0, "row_count_max": 10, "rows_read": 0, "max_rejected_rows": 0,
              "event_time_min": dt.datetime(2026, 1, 1), "event_time_max": dt.datetime(2026, 1, 2)}
    outcome = validate_frame(pd.DataFrame({"order_id": ["O1"]}), suite, params)
    assert not outcome.success
    assert all(r.status == "ERROR" and "context unavailable" in r.exception for r in outcome.results)


def test_table_suite_files_equal_what_the_rules_generate():
    for table in quality.TABLE_RULES:
        path = quality.table_suite_path(table)
        assert path.read_text(encoding="utf-8") == quality.suite_json_text(quality.build_table_suite(table)), (
            "run: python expectations/generate_table_suites.py"
        )


def test_mart_suite_fails_on_implausible_kpis_and_passes_on_plausible_ones(tmp_path):
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.kpi_monthly as select * from (values "
            "(date '2026-01-01', 'web', 10, 25.0, 1.2, 40.0::double), (date '2026-01-01', 'all', 12, 30.0, 1.1, 35.5)) "
            "t(month_start, channel, orders, aov, purchase_frequency, nps)"
        )
        assert quality.validate_table(con, "marts.kpi_monthly").success

        con.execute("update marts.kpi_monthly set nps = 150 where channel = 'web'")
        outcome = quality.validate_table(con, "marts.kpi_monthly")
        assert [r.check for r in outcome.failures] == ["between:nps"]
        assert 150 in outcome.result("between:nps").samples


def test_ml_suites_catch_clear_personal_data_in_masked_text_and_scores_out_of_range(tmp_path):
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        con.execute("create schema ml")
        con.execute(
            "create table ml.text_insights as select * from (values "
            "('t1', 3, 'neutral', 0.1::double, 'mail me at <EMAIL> or call <PHONE>'), "
            "('t2', -1, null, null, 'order O123 arrived late')) "
            "t(text_id, topic_id, sentiment, sentiment_score, masked_text)"
        )
        con.execute("create table ml.churn_scores as select 'P1' as person_id, 0.4::double as churn_score, "
                    "'few orders' as reason_1")
        assert quality.validate_table(con, "ml.text_insights").success
        assert quality.validate_table(con, "ml.churn_scores").success

        con.execute("insert into ml.text_insights values ('t3', 3, 'positive', 0.9, 'write to li.wei@example.cn, "
                    "or 13812345678')")
        con.execute("update ml.churn_scores set churn_score = 1.3")
        text_outcome = quality.validate_table(con, "ml.text_insights")
        assert sorted(r.check for r in text_outcome.failures) == [
            "not_match:masked_text:cn_mobile", "not_match:masked_text:email"]
        assert [r.check for r in quality.validate_table(con, "ml.churn_scores").failures] == ["between:churn_score"]
