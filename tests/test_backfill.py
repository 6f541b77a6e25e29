"""Incremental staging driven by the partition window: any backfill equals a full build, a re-run partition
changes nothing, and a late file for an old day reaches staging through the lookback."""

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import generate_world, world_env
from support.checksums import table_checksums
from support.world_build import dbt

from dagster_project.partitions import DbtWindowConfig, dbt_window_args
from voc360.landing import load_days
from voc360.registry import load_registry

START = dt.date(2026, 1, 1)
DAYS = 5
# every model the KPI marts read, and the marts themselves (the ML marts need the ML steps, not this test)
MARTS = ["kpi_daily_channel", "kpi_monthly", "kpi_service_daily", "kpi_service_monthly", "kpi_web_funnel_daily",
         "kpi_cohort_retention", "kpi_churn_monthly", "fct_interactions"]
SELECTION = [f"+{m}" for m in MARTS]
INCREMENTAL = ["stg_web__events", "stg_app__events", "stg_shop__orders", "stg_shop__order_items",
               "stg_service__ticket_messages", "stg_service__ticket_status_changes"]


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
        completed, _ = dbt(self.env, self.root, "run", "-s", *selection, *dbt_window_args(config, {}))
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


def test_window_args_come_from_config_then_partition_tags():
    assert dbt_window_args(DbtWindowConfig(), {}) == []
    by_tag = dbt_window_args(DbtWindowConfig(), {"dagster/partition": "2026-01-04"})
    assert by_tag == ["--vars", "{min_date: '2026-01-04', max_date: '2026-01-04'}"]
    by_range = dbt_window_args(DbtWindowConfig(full_refresh=True), {
        "dagster/asset_partition_range_start": "2026-01-02", "dagster/asset_partition_range_end": "2026-01-05"})
    assert by_range == ["--full-refresh", "--vars", "{min_date: '2026-01-02', max_date: '2026-01-05'}"]
    explicit = dbt_window_args(DbtWindowConfig(min_date="2026-01-01", max_date="2026-01-03"),
                               {"dagster/partition": "2026-01-04"})
    assert explicit[-1] == "{min_date: '2026-01-01', max_date: '2026-01-03'}"
    with pytest.raises(Exception, match="ends before it starts"):
        dbt_window_args(DbtWindowConfig(min_date="2026-01-05", max_date="2026-01-01"), {})


def test_the_cli_window_is_valid_run_config_of_the_transform_job():
    from dagster import validate_run_config

    from dagster_project.definitions import defs
    from voc360.cli import transform_run_config

    job = defs.resolve_job_def("voc360_transform")
    config = validate_run_config(job, transform_run_config({"min_date": "2026-01-02", "max_date": "2026-01-04"}))
    assert config["ops"]["dbt_staging"]["config"] == {"min_date": "2026-01-02", "max_date": "2026-01-04",
                                                      "full_refresh": False}
    assert transform_run_config(None) is None  # no range: the transform rebuilds everything


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
    assert len(expected) > 30 and all(f"staging.{m}" in expected for m in INCREMENTAL)
    assert all(expected[f"staging.{m}"][0] > 0 for m in INCREMENTAL)
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
        completed, _ = dbt(rerun.env, rerun.root, "run", "-s", *INCREMENTAL,
                           "--vars", f"{{min_date: '{day}', max_date: '{day}', lookback_days: 0}}")
        assert completed.returncode == 0, completed.stdout[-4000:]
        assert rerun.rows(find) == []
        rerun.transform(day, day, selection=INCREMENTAL)
        assert rerun.rows(find) == [(old_day, old_day)]
    finally:
        (rerun.landing / "web_events" / old_day.isoformat() / "resent_late.jsonl").unlink()
