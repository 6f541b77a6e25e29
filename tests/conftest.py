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


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    """A small generated world, built end to end through Dagster by `voc360 build`."""
    root = tmp_path_factory.mktemp("small_world")
    env = world_env(root, "2026-01-01")
    generate_world(env, customers=120, days=8)
    result = subprocess.run(
        [str(BIN / "voc360"), "build"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    return root, env, result
