import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")


def world_env(root: Path, start_date: str) -> dict[str, str]:
    """Environment of a pipeline whose landing area, warehouse and Dagster instance all live under `root`."""
    (root / "dagster_home").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "VOC360_LANDING_DIR": str(root / "landing"),
        "VOC360_WAREHOUSE_DIR": str(root / "warehouse"),
        "VOC360_GROUND_TRUTH_DIR": str(root / "ground_truth"),
        "VOC360_START_DATE": start_date,
        "DAGSTER_HOME": str(root / "dagster_home"),
    }


def generate_world(env: dict[str, str], customers: int, days: int, seed: int = 7) -> None:
    subprocess.run(
        [
            str(BIN / "voc360-world"), "--seed", str(seed), "--customers", str(customers), "--days", str(days),
            "--start-date", env["VOC360_START_DATE"], "--out", env["VOC360_LANDING_DIR"],
            "--truth", env["VOC360_GROUND_TRUTH_DIR"], "--quiet",
        ],
        check=True,
        env=env,
    )


def run_build(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    """`voc360 build` (the whole graph through Dagster) in a world's environment."""
    return subprocess.run(
        [str(BIN / "voc360"), "build", *extra], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True
    )


def dagster_instance(env: dict[str, str]):
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    return DagsterInstance.from_ref(InstanceRef.from_dir(env["DAGSTER_HOME"]))


def check_evaluations(instance, run_id: str) -> list:
    from dagster import DagsterEventType

    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000)
    return [r.event_log_entry.dagster_event.event_specific_data for r in records.records]


def materialized_keys(instance, run_id: str) -> set[str]:
    from dagster import DagsterEventType

    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION, limit=100_000)
    return {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in records.records}


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    """A small generated world, built end to end through Dagster by `voc360 build`."""
    root = tmp_path_factory.mktemp("small_world")
    env = world_env(root, "2026-01-01")
    generate_world(env, customers=120, days=8)
    return root, env, run_build(env)


# Modules that build worlds through Dagster, longest first (minutes on 2 cores: Spark build and erasure about
# 35-50, fault injection 15-28, the others 5-20). `make test` runs them first (pytest -n 2 --dist loadfile
# --no-loadscope-reorder) so that neither worker starts a long module when the other is nearly done.
LONGEST_FIRST = (
    "test_spark.py",
    "test_faults_and_load.py",
    "test_gates_e2e.py",
    "test_erasure.py",
    "test_pipeline_e2e.py",
    "test_privacy.py",
    "test_ml_pipeline.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # a stable sort: the tests of each module keep their order, the other modules theirs
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST)))
