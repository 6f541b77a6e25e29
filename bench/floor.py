"""The engine floor: every dbt model's compiled SQL and the Python steps between the layers, executed in one
DuckDB connection in dependency order, with no orchestration, no dbt tests, no gates and no publish.

    python -m bench.floor --database <copy>/voc360.duckdb --manifest <compiled manifest> --ground-truth-dir <dir> --out <json>

`prepare` makes that copy from a built warehouse: it copies the database file and the embedding cache, compiles
the dbt project against the copy (`dbt compile`, so SQL that introspects the database sees built tables), then
drops every schema the models and steps write, leaving the landed raw data. `run` writes (--out) the seconds of
every step in the order they ran. Incremental models are built whole, as in a full build.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voc360.dbt_salt import set_salt
from voc360.settings import PROJECT_ROOT, get_settings

EXECUTABLE_MATERIALIZATIONS = {"table": "table", "incremental": "table", "view": "view"}


@dataclass(frozen=True)
class PythonStep:
    """A Python asset between the dbt layers: the models it reads and the tables (dbt sources) it writes."""

    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    run: Callable[[object, dict], dict]


def _splink(con, context: dict) -> dict:
    from ml import identity

    result = identity.deduplicate(identity.splink_input(con), identity.SplinkSettings())
    return {"pairs_written": identity.write_matches(con, result.matches)}


def _text_insights(con, context: dict) -> dict:
    from ml.embeddings import default_model_path
    from ml.steps import TextSettings, text_insights

    model = Path(context["embedding_model"]) if context.get("embedding_model") else default_model_path()
    settings = TextSettings(Path(context["warehouse_dir"]), Path(context["ground_truth_dir"]), model, 0,
                            context["embedding_encoder"])
    metadata = text_insights(con, settings)
    return {k: metadata[k] for k in ("texts", "embedded_new", "embedded_from_cache", "embedding_seconds",
                                     "phase_seconds")}


def _churn(con, context: dict) -> dict:
    from ml.steps import churn_model_path, churn_scores

    model_path = churn_model_path(Path(context["warehouse_dir"]))
    return {"scored_rows": churn_scores(con, model_path, seed=0, retrain=True)["scored_rows"]}


def _clv(con, context: dict) -> dict:
    from ml.steps import customer_clv

    return {"customers": customer_clv(con)["customers"]}


# The Python assets of dagster_project/assets (identity.py, ml.py) with the same inputs; a dbt source that the
# manifest marks as a Dagster asset and no step here writes stops the floor (see plan()).
PYTHON_STEPS = (
    PythonStep("identity/splink_matches", ("stg_crm__customers", "stg_pos__receipts"), ("identity.splink_matches",),
               _splink),
    PythonStep("ml/text_insights", ("int_feedback_texts",), ("ml.text_insights", "ml.topics"), _text_insights),
    PythonStep("ml/churn_scores", ("feat_churn_snapshots", "feat_topic_exposure"), ("ml.churn_scores",), _churn),
    PythonStep("ml/customer_clv", ("fct_orders", "int_calendar_days"), ("ml.customer_clv",), _clv),
)


def _source_table(source: dict) -> str:
    return f"{source['schema']}.{source.get('identifier') or source['name']}"


def _is_asset_source(source: dict) -> bool:
    meta = source.get("meta") or source.get("config", {}).get("meta") or {}
    return "asset_key" in meta.get("dagster", {})


def plan(manifest: dict, steps: tuple[PythonStep, ...] = PYTHON_STEPS) -> list[str]:
    """Models (unique ids) and Python steps (names) in an order where everything runs after what it reads.

    Ties are broken by name, so the order is the same on every run."""
    models = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    by_name = {n["name"]: uid for uid, n in models.items()}
    writer = {table: step.name for step in steps for table in step.writes}
    deps: dict[str, set[str]] = {}
    for uid, node in models.items():
        needed = set()
        for dep in node["depends_on"]["nodes"]:
            if dep in models:
                needed.add(dep)
            elif dep in manifest.get("sources", {}):
                source = manifest["sources"][dep]
                table = _source_table(source)
                if table in writer:
                    needed.add(writer[table])
                elif _is_asset_source(source):
                    raise ValueError(f"{node['name']} reads {table}, written by a Dagster asset the floor does not run")
            else:
                raise ValueError(f"{node['name']} depends on {dep}, which the floor cannot build")
        deps[uid] = needed
    for step in steps:
        missing = [m for m in step.reads if m not in by_name]
        if missing:
            raise ValueError(f"{step.name} reads models that the manifest does not have: {missing}")
        deps[step.name] = {by_name[m] for m in step.reads}

    order, done = [], set()
    while len(order) < len(deps):
        ready = sorted(n for n, d in deps.items() if n not in done and d <= done)
        if not ready:
            raise ValueError(f"dependency cycle among {sorted(set(deps) - done)}")
        order.extend(ready)
        done.update(ready)
    return order


def written_schemas(manifest: dict, steps: tuple[PythonStep, ...] = PYTHON_STEPS) -> set[str]:
    schemas = {n["schema"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    return schemas | {table.split(".")[0] for step in steps for table in step.writes}


def prepare(build_warehouse: Path, floor_dir: Path, env: dict[str, str], project: Path = PROJECT_ROOT) -> Path:
    """Copy a built warehouse to `floor_dir`, compile the dbt project against it, drop what the build wrote.

    Returns the compiled manifest. The database keeps its file name: compiled SQL names its catalog."""
    import duckdb

    shutil.rmtree(floor_dir, ignore_errors=True)
    floor_dir.mkdir(parents=True)
    database = floor_dir / "voc360.duckdb"
    shutil.copy2(build_warehouse / "voc360.duckdb", database)
    if (build_warehouse / "embeddings").exists():
        shutil.copytree(build_warehouse / "embeddings", floor_dir / "embeddings")
    target = floor_dir / "target"
    subprocess.run(
        # --full-refresh: the incremental models compile to the SQL of a first build, which the floor repeats
        [str(Path(sys.executable).parent / "dbt"), "compile", "--quiet", "--full-refresh",
         "--project-dir", str(project / "dbt"), "--profiles-dir", str(project / "dbt"), "--target-path", str(target)],
        env={**env, "VOC360_WAREHOUSE_PATH": str(database)}, cwd=project, check=True,
    )
    manifest_path = target / "manifest.json"
    with duckdb.connect(str(database)) as con:
        for schema in sorted(written_schemas(json.loads(manifest_path.read_text()))):
            con.execute(f'drop schema if exists "{schema}" cascade')
    return manifest_path


def run(database: Path, manifest_path: Path, context: dict) -> dict:
    import duckdb

    manifest = json.loads(manifest_path.read_text())
    steps = {s.name: s for s in PYTHON_STEPS}
    timings: list[dict] = []
    started = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set memory_limit = ?", [get_settings().duckdb_memory_limit])  # as the pipeline's connections
        set_salt(con)  # as the dbt profile's plugin does for dbt's connections
        for schema in sorted(written_schemas(manifest)):
            con.execute(f'create schema if not exists "{schema}"')
        for name in plan(manifest):
            t0 = time.perf_counter()
            if name in steps:
                info = steps[name].run(con, context)
                timings.append({"step": name, "kind": "python", "seconds": time.perf_counter() - t0, **info})
                continue
            node = manifest["nodes"][name]
            materialized = node["config"]["materialized"]
            if materialized == "ephemeral":  # inlined into the models that read it
                continue
            kind = EXECUTABLE_MATERIALIZATIONS.get(materialized)
            if kind is None:
                raise ValueError(f"{node['name']}: materialization {materialized} is not supported by the floor")
            relation = f'"{node["schema"]}"."{node["alias"]}"'
            con.execute(f"create or replace {kind} {relation} as\n{node['compiled_code']}\n")
            timings.append({"step": node["name"], "kind": "dbt", "layer": node["fqn"][1],
                            "seconds": time.perf_counter() - t0})
    return {"seconds": time.perf_counter() - started, "steps": timings}


def command(database: Path, manifest: Path, ground_truth_dir: str, out: Path, embedding_model: str = "",
            embedding_encoder: str = "transformer") -> list[str]:
    """This module as a process of its own (the floor is timed without the harness's imports)."""
    return [sys.executable, "-m", "bench.floor", "--database", str(database), "--manifest", str(manifest),
            "--ground-truth-dir", ground_truth_dir, "--embedding-model", embedding_model,
            "--embedding-encoder", embedding_encoder, "--out", str(out)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--ground-truth-dir", type=Path, required=True)
    parser.add_argument("--embedding-model", default="")
    parser.add_argument("--embedding-encoder", default="transformer", help="as the build's VOC360_EMBEDDING_ENCODER")
    parser.add_argument("--out", type=Path, required=True, help="where the JSON result is written")
    args = parser.parse_args()
    context = {"warehouse_dir": str(args.database.parent), "ground_truth_dir": str(args.ground_truth_dir),
               "embedding_model": args.embedding_model, "embedding_encoder": args.embedding_encoder}
    args.out.write_text(json.dumps(run(args.database, args.manifest, context)))


if __name__ == "__main__":
    main()
