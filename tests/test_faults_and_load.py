"""A run killed at any point leaves the serving database as it was, the next run repairs everything, and
twenty analysts querying the serving database through a build and its publication neither fail nor wait.

One small world, built through Dagster: first without interruption (the reference publication), then one
build after another killed with SIGKILL on its whole process group: during landing (while raw partitions
are being replaced), during dbt, during the ML steps, and while a publication writes its new copy. Each of
these runs starts from what the previous kill left, so each is also the re-run of the previous one and has
to get past the point where that one died. After every kill the serving database is the reference
publication, unchanged and complete. A last build runs to the end and publishes marts identical to the
reference's, while twenty analyst processes (tests/support/analyst.py) query the serving database read-only
in a loop: none fails, none sees a half-built mart, each reads the old publication and then the new one, and
none waits to open the database (the publication swaps the file with os.replace and holds no lock that
readers take).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import BIN, PROJECT_ROOT, generate_world, run_build, world_env
from support.analyst import observe
from support.checksums import table_checksums
from voc360.publish import read_publication

PUBLISHING_GLOB = ".serving.duckdb.publishing-*"  # the copy voc360.publish writes before the swap
ANALYSTS = 20
ANALYST_PAUSE_SECONDS = 1.0


@dataclass(frozen=True)
class KillPoint:
    name: str
    marker: str  # the Dagster log line that starts the phase
    delay: float | None  # seconds after the marker; None: as soon as a publication's copy exists


KILL_POINTS = [
    KillPoint("landing", 'Started execution of step "raw__orders"', 0.5),
    KillPoint("dbt", 'Started execution of step "dbt_models_2"', 4.0),  # intermediate, after identity
    KillPoint("ml", 'Started execution of step "ml_text_insights"', 3.0),
    KillPoint("publish", 'Started execution of step "publish__serving"', None),
]


@dataclass
class Kill:
    point: str
    reached: bool  # the run got to its kill point, i.e. past every earlier kill point
    killed_while_running: bool
    serving_checksums: dict
    serving_build: str
    serving_complete: bool


@dataclass
class Outcome:
    root: Path
    reference_checksums: dict
    reference_build: str
    kills: list[Kill]
    final: subprocess.CompletedProcess
    analyst_reports: list[dict]

    @property
    def serving(self) -> Path:
        return self.root / "warehouse" / "serving.duckdb"


def build_killed_at(env: dict[str, str], point: KillPoint) -> tuple[bool, bool]:
    """Run `voc360 build` and SIGKILL its process group at `point`: (marker reached, still running then)."""
    process = subprocess.Popen(
        [str(BIN / "voc360"), "build"], env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    reached, finished_reading = threading.Event(), threading.Event()

    def watch() -> None:
        for line in process.stdout:
            if point.marker in line:
                reached.set()
        finished_reading.set()

    threading.Thread(target=watch, daemon=True).start()
    while not (reached.is_set() or finished_reading.is_set()):
        time.sleep(0.01)
    if point.delay is None:
        warehouse = Path(env["VOC360_WAREHOUSE_DIR"])
        while process.poll() is None and not any(warehouse.glob(PUBLISHING_GLOB)):
            time.sleep(0.005)
    else:
        time.sleep(point.delay)
    running = process.poll() is None
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished_reading.wait(timeout=60)
    return reached.is_set(), running


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> Outcome:
    root = tmp_path_factory.mktemp("fault_injection")
    env = world_env(root, "2026-01-01")
    generate_world(env, customers=120, days=8)
    first = run_build(env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    serving = root / "warehouse" / "serving.duckdb"
    reference_checksums = table_checksums(serving, ["marts"])
    reference_build = read_publication(serving)["build_id"]

    kills = []
    for point in KILL_POINTS:
        reached, running = build_killed_at(env, point)
        kills.append(Kill(point.name, reached, running, table_checksums(serving, ["marts"]),
                          read_publication(serving)["build_id"], observe(serving)["consistent"]))
    stop = root / "stop_analysts"
    analysts = [
        subprocess.Popen(
            [sys.executable, str(Path(__file__).parent / "support" / "analyst.py"), str(serving), str(stop),
             str(ANALYST_PAUSE_SECONDS)],
            stdout=subprocess.PIPE, text=True,
        )
        for _ in range(ANALYSTS)
    ]
    try:
        final = run_build(env)
    finally:
        stop.touch()
        reports = [json.loads(analyst.communicate(timeout=300)[0]) for analyst in analysts]
    return Outcome(root, reference_checksums, reference_build, kills, final, reports)


def test_each_build_got_past_the_previous_kill_and_was_killed_while_running(outcome):
    assert [(k.point, k.reached, k.killed_while_running) for k in outcome.kills] == [
        (p.name, True, True) for p in KILL_POINTS
    ]


def test_a_killed_build_leaves_the_serving_database_as_it_was(outcome):
    for kill in outcome.kills:
        assert (kill.serving_build, kill.serving_complete) == (outcome.reference_build, True), kill.point
        assert kill.serving_checksums == outcome.reference_checksums, kill.point


def test_the_build_after_the_kills_publishes_marts_identical_to_the_uninterrupted_build(outcome):
    assert outcome.final.returncode == 0, outcome.final.stdout[-3000:] + outcome.final.stderr[-3000:]
    assert read_publication(outcome.serving)["build_id"] != outcome.reference_build
    assert observe(outcome.serving)["consistent"]
    assert table_checksums(outcome.serving, ["marts"]) == outcome.reference_checksums
    # the copy the killed publication was writing is gone: the next publication removed it
    assert list(outcome.serving.parent.glob(PUBLISHING_GLOB)) == []


def test_twenty_analysts_query_through_the_build_and_its_publication_without_errors_or_waits(outcome):
    assert outcome.final.returncode == 0, outcome.final.stdout[-3000:] + outcome.final.stderr[-3000:]
    new_build = read_publication(outcome.serving)["build_id"]
    reports = outcome.analyst_reports
    assert len(reports) == ANALYSTS
    assert [error for report in reports for error in report["errors"]] == []
    observations = [o for report in reports for o in report["observations"]]
    assert all(o["consistent"] for o in observations), [o["mismatched"] for o in observations if not o["consistent"]]
    # every analyst read the old publication and then the new one: they were querying across the swap
    for report in reports:
        seen = [o["build_id"] for o in report["observations"]]
        assert (seen[0], seen[-1]) == (outcome.reference_build, new_build)
        assert set(seen) == {outcome.reference_build, new_build}
    # A lock held by the publication would make opening the database fail (DuckDB refuses rather than waits:
    # the errors above) or hang. The bound only catches a hang: twenty analysts and a build share two cores,
    # and opening takes over a second when other work loads them too.
    longest_open = max(o["connect_seconds"] for o in observations)
    print(f"{len(observations)} analyst observations; longest open {longest_open:.3f} s, longest observation "
          f"{max(o['seconds'] for o in observations):.3f} s")
    assert longest_open < 10.0
