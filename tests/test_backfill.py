"""Incremental models driven by the partition window: any backfill equals a full build, a re-run partition
changes nothing, a late file for an old day reaches staging through the lookback, and a corrected re-export
or a new identity link reaches the derived models as a full build would have it."""

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import generate_world, world_env
from support.checksums import table_checksums
from support.world_build import dbt

from dagster_project.partitions import DbtWindowConfig, dbt_refresh_args, dbt_window, dbt_window_env
from voc360.landing import load_days
from voc360.registry import load_registry

START = dt.date(2026, 1, 1)
DAYS = 5
# every model the KPI marts read, and the marts themselves (the ML marts need the ML steps, not this test)
MARTS = ["kpi_daily_channel", "kpi_monthly", "kpi_service_daily", "kpi_service_monthly", "kpi_web_funnel_daily",
         "kpi_cohort_retention", "kpi_churn_monthly", "fct_interactions"]
SELECTION = [f"+{m}" for m in MARTS]
STAGED_BY_WINDOW = ["stg_web__events", "stg_app__events", "stg_shop__orders", "stg_shop__order_items",
                    "stg_service__ticket_messages", "stg_service__ticket_status_changes"]
INCREMENTAL = [*STAGED_BY_WINDOW, "int_web_sessions", "int_interactions", "int_identity_components"]


def landed_days(landing: Path) -> list[dt.date]:
    return sorted({dt.date.fromisoformat(p.name) for p in landing.glob("*/*") if p.is_dir()})


class Warehouse:
    def __init__(self, root: Path, env: dict[str, str]):
        self.root, self.path = root, root / "warehouse.duckdb"
        self.landing = Path(env["VOC360_LANDING_DIR"])
        self.env = {**env, "VOC360_WAREHOUSE_PATH": str(self.path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def land(self, days: list[dt.date]) -> None:
        with duckdb.connect(str(self.path)) as con:
            for source in load_registry().sources.values():
                load_days(con, source, days, self.landing)

    def transform(self, first: dt.date | None = None, last: dt.date | None = None, selection=SELECTION) -> None:
        config = DbtWindowConfig(min_date=first and first.isoformat(), max_date=last and last.isoformat())
        env = {**self.env, **dbt_window_env(dbt_window(config, {}))}  # as a Dagster run hands it to dbt
        completed, _ = dbt(env, self.root, "run", "-s", *selection, *dbt_refresh_args(config, {}))
        assert completed.returncode == 0, completed.stdout[-4000:]

    def checksums(self) -> dict[str, tuple[int, str]]:
        return table_checksums(self.path, ["staging", "intermediate", "marts"])

    def rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("backfill")
    env = world_env(root, START.isoformat())
    generate_world(env, customers=100, days=DAYS, seed=5)
    return root, env


@pytest.fixture(scope="module")
def full_build(world):
    root, env = world
    full = Warehouse(root / "full", env)
    full.root.mkdir()
    full.land(landed_days(full.landing))
    full.transform()
    return full


def test_window_comes_from_config_then_partition_tags():
    day = dt.date.fromisoformat
    assert dbt_window(DbtWindowConfig(), {}) is None
    assert dbt_window(DbtWindowConfig(), {"dagster/partition": "2026-01-04"}) == (day("2026-01-04"), day("2026-01-04"))
    by_range = {"dagster/asset_partition_range_start": "2026-01-02", "dagster/asset_partition_range_end": "2026-01-05"}
    assert dbt_window(DbtWindowConfig(), by_range) == (day("2026-01-02"), day("2026-01-05"))
    explicit = DbtWindowConfig(min_date="2026-01-01", max_date="2026-01-03")
    assert dbt_window(explicit, {"dagster/partition": "2026-01-04"}) == (day("2026-01-01"), day("2026-01-03"))
    with pytest.raises(Exception, match="ends before it starts"):
        dbt_window(DbtWindowConfig(min_date="2026-01-05", max_date="2026-01-01"), {})
    with pytest.raises(Exception, match="give both"):
        dbt_window(DbtWindowConfig(min_date="2026-01-05"), {})
    assert dbt_refresh_args(DbtWindowConfig(full_refresh=True), by_range) == ["--full-refresh"]
    assert dbt_refresh_args(DbtWindowConfig(), by_range) == []


def test_the_cli_window_reaches_the_dbt_steps_of_the_transform_run_through_its_tags():
    """voc360 build --start/--end tags its transform run with the window: a dbt step reads it from the run's
    tags, so every copy of a layer's op that Dagster runs gets it. Without a range: everything."""
    from voc360.cli import transform_tags

    tags = transform_tags("b1", (dt.date(2026, 1, 2), dt.date(2026, 1, 4)))
    assert tags["voc360/build"] == "b1"
    assert dbt_window(DbtWindowConfig(), tags) == (dt.date(2026, 1, 2), dt.date(2026, 1, 4))
    explicit = DbtWindowConfig(min_date="2026-01-03", max_date="2026-01-03")
    assert dbt_window(explicit, tags) == (dt.date(2026, 1, 3), dt.date(2026, 1, 3))
    assert transform_tags("b1", None) == {"voc360/build": "b1"}
    assert dbt_window(DbtWindowConfig(), transform_tags("b1", None)) is None


def test_the_window_reaches_dbt_in_its_environment_and_is_restored_after(monkeypatch):
    from dagster_project.partitions import WINDOW_ENV, dbt_window_environment

    monkeypatch.setenv(WINDOW_ENV[0], "2020-01-01")
    monkeypatch.delenv(WINDOW_ENV[1], raising=False)
    with dbt_window_environment((dt.date(2026, 1, 2), dt.date(2026, 1, 4))):
        assert [os.environ[n] for n in WINDOW_ENV] == ["2026-01-02", "2026-01-04"]
    assert os.environ[WINDOW_ENV[0]] == "2020-01-01" and WINDOW_ENV[1] not in os.environ
    with dbt_window_environment(None):  # a run over everything does not inherit a window from its caller
        assert [os.environ[n] for n in WINDOW_ENV] == ["", ""]


def test_a_new_window_does_not_make_dbt_parse_the_project_again(tmp_path, world):
    """dbt parses the whole project again when its vars change; the window in the environment is read only at
    run time, so a run for the next day reuses the parse of the run before."""
    _, env = world
    state = tmp_path / "state"

    def parse(window: tuple[dt.date, dt.date]) -> str:
        completed, _ = dbt({**env, **dbt_window_env(window)}, state, "--debug", "parse", "--log-format", "json")
        assert completed.returncode == 0, completed.stdout[-4000:]
        return completed.stdout

    first = parse((dt.date(2026, 1, 2), dt.date(2026, 1, 2)))
    assert "UnableToPartialParse" in first  # no state yet: a full parse
    again = parse((dt.date(2026, 1, 3), dt.date(2026, 1, 3)))
    assert "PartialParsingSkipParsing" in again, again[-4000:]


def test_models_of_the_large_event_tables_are_incremental(full_build):
    manifest = json.loads((full_build.root / "target" / "manifest.json").read_text())
    incremental = sorted(n["name"] for n in manifest["nodes"].values()
                         if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental")
    assert incremental == sorted(INCREMENTAL)


def test_backfill_in_windows_equals_a_full_build(world, full_build):
    """Days are landed and transformed two at a time, as a backfill of ranges does: late rows of a window's
    last days arrive with the next window."""
    root, env = world
    backfill = Warehouse(root / "backfill", env)
    backfill.root.mkdir()
    days = landed_days(backfill.landing)
    assert len(days) == DAYS
    windows = [days[i:i + 2] for i in range(0, len(days), 2)]
    for window in windows:
        backfill.land(window)
        backfill.transform(window[0], window[-1])
    expected = full_build.checksums()
    assert len(expected) > 30 and all(f"staging.{m}" in expected for m in STAGED_BY_WINDOW)
    assert all(expected[f"staging.{m}"][0] > 0 for m in STAGED_BY_WINDOW)
    assert expected["intermediate.int_web_sessions"][0] > 0 and expected["intermediate.int_interactions"][0] > 0
    assert backfill.checksums() == expected


def test_rerunning_a_partition_is_idempotent_and_a_late_file_is_caught_by_the_lookback(world, full_build):
    root, env = world
    rerun = Warehouse(root / "rerun", env)
    shutil.copytree(full_build.root, rerun.root, ignore=shutil.ignore_patterns("target", "logs"))
    day = landed_days(rerun.landing)[3]
    rerun.land([day])
    rerun.transform(day, day)
    assert rerun.checksums() == full_build.checksums()

    # a file arrives late in the folder of an old export day; the sensor re-lands that day ...
    old_day = day - dt.timedelta(days=2)
    late = {"event_id": "late-web-1", "session_id": "s-late", "anonymous_id": "anon-late",
            "login_id": None, "occurred_at": f"{old_day}T12:00:00Z", "event_type": "page_view", "page_url": "/",
            "product_id": None, "dwell_seconds": 3.5, "referrer": None, "device_type": "mobile"}
    (rerun.landing / "web_events" / old_day.isoformat() / "resent_late.jsonl").write_text(json.dumps(late) + "\n")
    try:
        rerun.land([old_day])
        find = "select occurred_date, _partition_date from staging.stg_web__events where event_id = 'late-web-1'"
        # ... a run for a later window without lookback misses it, the default lookback of 3 days catches it
        completed, _ = dbt(rerun.env, rerun.root, "run", "-s", *STAGED_BY_WINDOW,
                           "--vars", f"{{min_date: '{day}', max_date: '{day}', lookback_days: 0}}")
        assert completed.returncode == 0, completed.stdout[-4000:]
        assert rerun.rows(find) == []
        rerun.transform(day, day, selection=STAGED_BY_WINDOW)
        assert rerun.rows(find) == [(old_day, old_day)]
    finally:
        (rerun.landing / "web_events" / old_day.isoformat() / "resent_late.jsonl").unlink()


def test_a_corrected_export_and_new_identity_links_reach_the_derived_models_as_a_full_build_would(
        world, full_build, tmp_path):
    """The last day is exported again: without one session that only it held, and with two new signed-in
    events. One signs in a visitor that browsed anonymously on the first day, the other gives a second login
    to a visitor signed in on the first day, which unlinks it. The run for the last day alone must rebuild the
    withdrawn session and re-resolve the first day's touches of both visitors, outside its window."""
    root, env = world
    landing = tmp_path / "landing"
    shutil.copytree(env["VOC360_LANDING_DIR"], landing)
    corrected = Warehouse(tmp_path / "corrected", {**env, "VOC360_LANDING_DIR": str(landing)})
    shutil.copytree(full_build.root, corrected.root, ignore=shutil.ignore_patterns("target", "logs"))
    days = landed_days(landing)
    first, day = days[0], days[-1]

    def one(sql: str):
        rows = corrected.rows(sql)
        assert rows, sql
        return rows[0][0]

    def first_day_visitor(logins: int) -> str:
        return one(f"select anonymous_id from staging.stg_web__events group by anonymous_id "
                   f"having count(distinct login_id) = {logins} and count(*) > count(login_id) "
                   f"and max(_partition_date) = '{first}' "
                   f"order by anonymous_id limit 1")

    withdrawn = one(f"select session_id from staging.stg_web__events group by session_id "
                    f"having min(_partition_date) = '{day}' order by session_id limit 1")
    anonymous, signed_in = first_day_visitor(0), first_day_visitor(1)
    customers = [r[0] for r in corrected.rows("select customer_id from staging.stg_crm__customers "
                                              "order by customer_id limit 2")]
    person_of = ("select count(distinct person_id), min(person_id) from intermediate.int_interactions "
                 "where interaction_id in (select 'web_events:' || event_id from staging.stg_web__events "
                 "where anonymous_id = '{}' and login_id is null)")
    assert corrected.rows(person_of.format(anonymous)) == [(0, None)]
    assert corrected.rows(person_of.format(signed_in))[0][0] == 1

    for path in (landing / "web_events" / day.isoformat()).glob("*.jsonl"):
        # the export's malformed lines stay as they are: they are rejected again
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(line for line in lines if f'"session_id":"{withdrawn}"' not in line.replace(" ", "")))
    new_logins = [(anonymous, customers[0]), (signed_in, customers[1])]
    (landing / "web_events" / day.isoformat() / "signed_in.jsonl").write_text("".join(
        json.dumps({"event_id": f"new-login-{i}", "session_id": f"s-new-login-{i}", "anonymous_id": visitor,
                    "login_id": login, "occurred_at": f"{day}T12:00:00Z", "event_type": "page_view",
                    "page_url": "/", "product_id": None, "dwell_seconds": 2.0, "referrer": None,
                    "device_type": "desktop"}) + "\n"
        for i, (visitor, login) in enumerate(new_logins)))
    corrected.land([day])
    corrected.transform(day, day)

    assert corrected.rows(f"select count(*) from intermediate.int_web_sessions where session_id = '{withdrawn}'") \
        == [(0,)]
    customer_person = one(f"select person_id from intermediate.int_person_map "
                          f"where record_type = 'crm_customer' and record_key = '{customers[0]}'")
    assert corrected.rows(person_of.format(anonymous)) == [(1, customer_person)]
    assert corrected.rows(person_of.format(signed_in)) == [(0, None)]

    refreshed = Warehouse(tmp_path / "refreshed", corrected.env)
    shutil.copytree(corrected.root, refreshed.root, ignore=shutil.ignore_patterns("target", "logs"))
    completed, _ = dbt(refreshed.env, refreshed.root, "run", "--full-refresh", "-s", *SELECTION)
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert corrected.checksums() == refreshed.checksums()
