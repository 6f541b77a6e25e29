"""The landing sensor requests a voc360_land run for each export day whose files changed in content."""

import datetime as dt
import json
import os
from types import SimpleNamespace

import dagster as dg
import pytest

from dagster_project import sensors
from dagster_project.partitions import daily_partitions

FIRST = daily_partitions.start.date()
DAY1, DAY2 = FIRST + dt.timedelta(days=3), FIRST + dt.timedelta(days=4)


@pytest.fixture
def landing(tmp_path, monkeypatch):
    root = tmp_path / "landing"
    monkeypatch.setattr(sensors, "get_settings", lambda: SimpleNamespace(landing_dir=root))
    return root


def put(landing, source, day, name, text, mtime=None):
    path = landing / source / day.isoformat() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def tick(cursor=None):
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, cursor=cursor)
        result = sensors.landing_sensor(context)
    return result.run_requests, result.cursor


def test_new_files_request_their_days_and_resent_files_do_not(landing):
    put(landing, "orders", DAY1, "orders.jsonl", '{"order_id": "O1"}\n')
    put(landing, "surveys", DAY2, "surveys.csv", "response_id\nR1\n")
    put(landing, "surveys", FIRST - dt.timedelta(days=1), "surveys.csv", "response_id\nR0\n")  # before partition 1
    put(landing, "orders", DAY1, "notes.txt", "not a file of the source's pattern")

    requests, cursor = tick()
    assert [(r.partition_key, r.asset_selection) for r in requests] == [
        (DAY1.isoformat(), [dg.AssetKey(["raw", "orders"])]),
        (DAY2.isoformat(), [dg.AssetKey(["raw", "surveys"])]),
    ]
    assert all(r.job_name in (None, "voc360_land") for r in requests)
    first_keys = {r.run_key for r in requests}

    assert tick(cursor)[0] == []  # nothing changed

    # the same bytes re-sent (a new mtime) request nothing, so nothing is counted twice
    before = json.loads(cursor)[f"orders/{DAY1}"]
    put(landing, "orders", DAY1, "orders.jsonl", '{"order_id": "O1"}\n', mtime=1_900_000_000)
    requests, cursor = tick(cursor)
    assert requests == []
    after = json.loads(cursor)[f"orders/{DAY1}"]
    assert after[0] != before[0] and after[1] == before[1]  # seen as touched, same content

    # a late file for the old day asks for that day again, for that source only, under a new run key
    put(landing, "orders", DAY1, "orders_late.jsonl", '{"order_id": "O2"}\n')
    requests, cursor = tick(cursor)
    assert [(r.partition_key, r.asset_selection) for r in requests] == [(DAY1.isoformat(), [dg.AssetKey(["raw", "orders"])])]
    assert requests[0].run_key not in first_keys

    # the run key names the content: the same state of the day gives the same key on a fresh cursor
    assert requests[0].run_key in {r.run_key for r in tick()[0]}


def test_sensor_is_part_of_the_definitions_and_targets_the_landing_job():
    from dagster_project.definitions import defs

    sensor = defs.resolve_sensor_def("landing_sensor")
    assert sensor.job_name == "voc360_land"
