"""One generated world, landed, staged, identity-resolved and built through every dbt layer with the ML steps
between them, as the Dagster layer and ML assets run it. Test modules that read the marts share it:
`shared_world` builds it once per process for a given size and seed (module-scoped fixtures call it), so
modules that run on the same worker build it once."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from conftest import generate_world, world_env
from ml import identity
from ml.embeddings import default_model_path
from ml.steps import TextSettings, churn_model_path, churn_scores, customer_clv, text_insights
from voc360.landing import load_days
from voc360.registry import load_registry
from voc360.settings import DBT_PROJECT_DIR

START = "2026-01-01"
CUSTOMERS, DAYS, SEED = 600, 120, 11
LATE_DAYS = 3
DBT = Path(sys.executable).with_name("dbt")


def dbt(env: dict[str, str], root: Path, *args: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """Run dbt on the project with target and logs under `root`; the completed process and its node results."""
    target = root / "target"
    completed = subprocess.run(
        [
            str(DBT), *args,
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target), "--log-path", str(root / "logs"),
        ],
        env=env, capture_output=True, text=True, check=False,
    )
    results_file = target / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    return completed, results


@dataclass
class Build:
    root: Path
    warehouse: Path
    truth_dir: Path
    results: list[dict]
    env: dict[str, str]
    text_settings: TextSettings
    ml_runs: dict[str, dict]  # the metadata each ML step returned, by step

    def df(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).df()


def build_world(
    root: Path, start: str = START, customers: int = CUSTOMERS, days: int = DAYS, seed: int = SEED
) -> Build:
    """Generate a world under `root`, land every source, then build staging, identity, intermediate, the text
    models, features, churn and CLV, and marts, each dbt layer with every dbt test; asserts that each dbt
    invocation succeeded. On a short history the churn and CLV steps write their tables empty."""
    env = world_env(root, start)
    generate_world(env, customers=customers, days=days, seed=seed)
    warehouse = root / "warehouse" / "voc360.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    first = dt.date.fromisoformat(start)
    landed = [first + dt.timedelta(days=i) for i in range(days + LATE_DAYS)]
    with duckdb.connect(str(warehouse)) as con:
        for source in load_registry().sources.values():
            load_days(con, source, landed, Path(env["VOC360_LANDING_DIR"]))
    env = {**env, "VOC360_WAREHOUSE_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    results: list[dict] = []

    def build(*selection: str) -> None:
        # a test that also reads a later layer runs with that layer ("buildable")
        completed, layer_results = dbt(env, root, "build", "-s", *selection, "--indirect-selection", "buildable")
        assert completed.returncode == 0, completed.stdout[-4000:]
        results.extend(layer_results)

    # the order the Dagster graph runs them in; CLV reads fct_orders, which the marts layer rebuilds
    build("path:models/staging")
    with duckdb.connect(str(warehouse)) as con:
        identity.write_matches(con, identity.deduplicate(identity.splink_input(con)).matches)
    build("path:models/intermediate", "fct_orders")
    text = TextSettings(root / "warehouse", Path(env["VOC360_GROUND_TRUTH_DIR"]), default_model_path())
    with duckdb.connect(str(warehouse)) as con:
        ml_runs = {"text_insights": text_insights(con, text)}
    build("path:models/features")
    with duckdb.connect(str(warehouse)) as con:
        ml_runs["churn_scores"] = churn_scores(con, churn_model_path(root / "warehouse"))
        ml_runs["customer_clv"] = customer_clv(con)
    build("path:models/marts")
    return Build(root, warehouse, Path(env["VOC360_GROUND_TRUTH_DIR"]), results, env, text, ml_runs)


_BUILDS: dict[tuple, Build] = {}


def shared_world(tmp_path_factory, start: str = START, customers: int = CUSTOMERS, days: int = DAYS,
                 seed: int = SEED) -> Build:
    """The world of these parameters, built once per test process."""
    key = (start, customers, days, seed)
    if key not in _BUILDS:
        _BUILDS[key] = build_world(tmp_path_factory.mktemp("marts_world"), start, customers, days, seed)
    return _BUILDS[key]
