"""Schema drift at landing, beyond tests/test_landing.py: JSON lines that lack a required key fail their day
naming the key and the file, a failing day fails its range without touching what was loaded, and an imported
real dump keeps its undeclared column in _extra."""

import datetime as dt
import json

import duckdb
import pytest

from voc360.importing import import_file
from voc360.landing import LandingError, load_days
from voc360.registry import load_registry

DAY = dt.date(2026, 1, 5)
MESSAGE = {"message_id": "M1", "ticket_id": "T1", "author_type": "customer", "agent_id": None, "is_public": True,
           "sent_at": "2026-01-05T10:00:00Z", "body": "hello"}


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        yield con


def write(landing, day, name, records):
    folder = landing / "ticket_messages" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in records))


def test_jsonl_without_a_required_key_fails_its_range_naming_key_and_file(tmp_path, con):
    landing, source = tmp_path / "landing", load_registry().sources["ticket_messages"]
    write(landing, DAY, "good.jsonl", [MESSAGE])
    load_days(con, source, [DAY], landing)

    next_day = DAY + dt.timedelta(days=1)
    write(landing, DAY, "good.jsonl", [MESSAGE, {**MESSAGE, "message_id": "M2", "channel_hint": "app"}])
    write(landing, next_day, "drifted.jsonl", [{k: v for k, v in MESSAGE.items() if k != "is_public"}])
    with pytest.raises(LandingError, match=r"ticket_messages/2026-01-06/drifted.jsonl: missing required column\(s\) is_public"):
        load_days(con, source, [DAY, next_day], landing)
    # the range is one transaction: the day loaded before is as it was, the corrected one was not half-written
    assert con.execute("select message_id, _extra from raw.ticket_messages").fetchall() == [("M1", None)]

    (landing / "ticket_messages" / next_day.isoformat() / "drifted.jsonl").unlink()
    load_days(con, source, [DAY, next_day], landing)
    assert con.execute("select message_id, _extra from raw.ticket_messages order by 1").fetchall() == [
        ("M1", None), ("M2", '{"channel_hint": "app"}')]


def test_an_imported_dump_keeps_its_undeclared_column_and_splits_by_event_day(tmp_path, con):
    dump = tmp_path / "tweets.csv"
    dump.write_text(
        ",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
        "0,1,brand,False,Tue Oct 31 22:10:47 +0000 2017,@1 we can help,,2.0\n"
        "1,2,115712,True,Tue Oct 31 23:59:59 -0100 2017,@brand help,1,\n"
        "2,3,115712,True,yesterday,@brand hello?,,\n"
    )
    landing, source = tmp_path / "landing", load_registry().sources["twcs_tweets"]
    written = import_file(source, dump, landing, time_format="%a %b %d %H:%M:%S %z %Y")
    assert written == {dt.date(2017, 10, 31): 1, dt.date(2017, 11, 1): 2}  # 23:59 at -01:00 is Nov 1 in UTC
    report = load_days(con, source, sorted(written), landing)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 2, 1)
    assert con.execute("select tweet_id, created_at, _extra from raw.twcs_tweets order by 1").fetchall() == [
        ("1", "2017-10-31T22:10:47Z", '{"": "0"}'), ("2", "2017-11-01T00:59:59Z", '{"": "1"}')]
    # the row without a readable time is not dropped: landing rejects it with the reason
    assert con.execute("select reason from raw_rejects.twcs_tweets").fetchone()[0].startswith("column created_at")
