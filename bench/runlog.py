"""What a `voc360 build` recorded: its Dagster runs (step times, asset metadata) and dbt's run_results.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench.measure import peak_rss_by_step
from voc360.settings import BUILD_TAG


def instance_at(dagster_home: Path):
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    return DagsterInstance.from_ref(InstanceRef.from_dir(str(dagster_home)))


def build_runs(instance, build_id: str) -> list:
    """The run records of one build, oldest first."""
    from dagster import RunsFilter

    records = instance.get_run_records(filters=RunsFilter(tags={BUILD_TAG: build_id}))
    return sorted(records, key=lambda r: r.create_timestamp)


def _events(instance, run_id: str, *types) -> list:
    records = instance.get_records_for_run(run_id, of_type=set(types), limit=1_000_000).records
    return [r.event_log_entry for r in records]


def step_intervals(instance, run_id: str) -> dict[str, tuple[float, float]]:
    """Each step's start and its success or failure, in epoch seconds, from the run's event log."""
    from dagster import DagsterEventType as T

    started, intervals = {}, {}
    for entry in _events(instance, run_id, T.STEP_START, T.STEP_SUCCESS, T.STEP_FAILURE):
        if entry.dagster_event.event_type == T.STEP_START:
            started[entry.step_key] = entry.timestamp
        elif entry.step_key in started:
            intervals[entry.step_key] = (started[entry.step_key], entry.timestamp)
    return intervals


def materialization_metadata(instance, run_id: str, asset: str) -> dict:
    """Metadata values of the last materialization of `asset` ("ml/text_insights") in a run."""
    from dagster import DagsterEventType as T

    found = {}
    for entry in _events(instance, run_id, T.ASSET_MATERIALIZATION):
        materialization = entry.dagster_event.event_specific_data.materialization
        if materialization.asset_key.to_user_string() == asset:
            found = {k: v.value for k, v in materialization.metadata.items()}
    return found


def run_summary(instance, record, rss_timeline: list[tuple[float, int]] | None = None) -> dict:
    """A run's status and times; given the RSS timeline of the process that ran it, each step's peak RSS too."""
    run = record.dagster_run
    intervals = step_intervals(instance, run.run_id)
    summary = {
        "job": run.job_name,
        "status": run.status.value,
        "seconds": round(record.end_time - record.start_time, 3) if record.end_time and record.start_time else None,
        "steps": {step: round(end - start, 3) for step, (start, end) in intervals.items()},
    }
    if rss_timeline is not None:
        summary["step_peak_rss_bytes"] = peak_rss_by_step(rss_timeline, intervals)
    return summary


def dbt_results(dbt_project_dir: Path, run_id: str, *, remove: bool = True) -> dict:
    """Per-node seconds from run_results.json of every dbt invocation of a run (dagster-dbt gives each one
    its own target folder, named after the op and the run id). The folders are removed once read."""
    models, tests = {}, {}
    for path in sorted(dbt_project_dir.glob(f"target/*-{run_id[:7]}-*/run_results.json")):
        for result in json.loads(path.read_text())["results"]:
            uid, seconds = result["unique_id"], round(result["execution_time"], 3)
            if uid.startswith("model."):
                models[uid.split(".")[-1]] = seconds
            elif uid.startswith("test."):
                step = path.parent.name.split("-")[0]
                tests[step] = round(tests.get(step, 0.0) + seconds, 3)
        if remove:
            shutil.rmtree(path.parent, ignore_errors=True)
    return {"models": models, "tests_by_step": tests}
