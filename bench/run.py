"""Benchmark: generate a world at a named scale, build it through Dagster, and measure.

    python -m bench.run --scale small --repeat 3          (or: make bench SCALE=small REPEAT=3)

Each repetition, in its own folder: generate the world (one day more than the scale's history); full build of the
history (`voc360 build` over its days: landing run, then transform run); the engine floor on the same raw data
(bench/floor.py); one incremental day (`voc360 build` over the extra day); definitions load in fresh processes.
Writes bench/results/<scale>-<date>.json and .md with the medians over repetitions. A wall-clock budget
(--budget-minutes) stops the phase that runs over it; what was measured until then is written, marked partial.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.measure import DeadlineExceeded, describe_machine, directory_bytes, run_measured
from bench.report import render_markdown
from voc360.settings import DEFAULT_CUSTOMERS, DEFAULT_DAYS, DEFAULT_START_DATE, PROJECT_ROOT

BIN = Path(sys.executable).parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SCALES = {  # customers, days of history
    "small": (2_000, 60),
    "default": (DEFAULT_CUSTOMERS, DEFAULT_DAYS),  # what `make demo` generates
    "medium": (100_000, 365),
    "large": (1_000_000, 365),
}
# The text step's encoder per scale (VOC360_EMBEDDING_ENCODER): at about 150 texts/s the transformer would spend
# hours on the million texts of medium, so the larger scales take the static table distilled from it.
SCALE_ENCODERS = {"small": "transformer", "default": "transformer", "medium": "static", "large": "static"}
EVENT_SOURCES = ("web_events", "app_events")
DEFINITIONS_PROBE = (
    "import time; t = time.perf_counter(); import dagster_project.definitions; print(time.perf_counter() - t)"
)


def snapshot(workdir: Path, revision: str) -> Path:
    """A commit exported to `workdir/src`, with this harness copied in (each repetition parses dbt in it).

    Benchmarks measure a known commit, not whatever is half-edited in the working tree."""
    src = workdir / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    (src / "bench").mkdir(exist_ok=True)
    for module in Path(__file__).resolve().parent.glob("*.py"):
        shutil.copy2(module, src / "bench" / module.name)
    return src


def world_env(root: Path, project: Path, embedding_encoder: str = "transformer") -> dict[str, str]:
    """An environment whose landing area, warehouse, ground truth and Dagster instance all live under `root`,
    running the code of `project` (its packages come first on the path) with the given text encoder."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {
        **os.environ,
        "PYTHONPATH": str(project),
        "VOC360_LANDING_DIR": str(root / "landing"),
        "VOC360_WAREHOUSE_DIR": str(root / "warehouse"),
        "VOC360_GROUND_TRUTH_DIR": str(root / "ground_truth"),
        "VOC360_WAREHOUSE_PATH": str(root / "warehouse" / "voc360.duckdb"),
        "VOC360_START_DATE": DEFAULT_START_DATE.isoformat(),
        "VOC360_EMBEDDING_ENCODER": embedding_encoder,
        "DAGSTER_HOME": str(home),
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "GX_ANALYTICS_ENABLED": "false",
        "TQDM_DISABLE": "1",
    }


def _checked(measured, what: str):
    if measured.returncode != 0:
        tail = "\n".join((measured.stdout + measured.stderr).splitlines()[-40:])
        raise RuntimeError(f"{what} failed (exit {measured.returncode}):\n{tail}")
    return measured


# -- phases ---------------------------------------------------------------------------------------------------------
def generate(root: Path, env: dict, customers: int, days: int, deadline: float | None) -> dict:
    project = Path(env["PYTHONPATH"])
    measured = _checked(run_measured(
        [str(BIN / "voc360-world"), "--seed", "42", "--customers", str(customers), "--days", str(days),
         "--start-date", env["VOC360_START_DATE"], "--out", env["VOC360_LANDING_DIR"],
         "--truth", env["VOC360_GROUND_TRUTH_DIR"], "--quiet", "--timings", str(root / "generation_timings.json")],
        env=env, cwd=project, deadline=deadline), "generating the world")
    summary = json.loads((root / "ground_truth" / "summary.json").read_text())
    lines = {name: counts["lines"] for name, counts in summary["rows"].items()}
    total, events = sum(lines.values()), sum(lines.get(s, 0) for s in EVENT_SOURCES)
    return {
        "days_generated": days, "seconds": round(measured.seconds, 3), "peak_rss_bytes": measured.peak_rss_bytes,
        "lines": lines, "total_lines": total, "event_lines": events,
        "lines_per_second": round(total / measured.seconds), "event_lines_per_second": round(events / measured.seconds),
        "landing_bytes": directory_bytes(root / "landing"),
        "phase_seconds": json.loads((root / "generation_timings.json").read_text())["phases"],
    }


def parse(env: dict) -> None:
    """`dbt parse` with the world's warehouse path, as `make parse` before `make build`: dbt's partial parsing
    keys on the connection settings, so a manifest parsed for another path is parsed again in every dbt run."""
    project = Path(env["PYTHONPATH"])
    subprocess.run([str(BIN / "dbt"), "parse", "--quiet", "--project-dir", "dbt", "--profiles-dir", "dbt"],
                   cwd=project, env=env, check=True)


def build(root: Path, env: dict, first: dt.date, last: dt.date, deadline: float | None) -> dict:
    """`voc360 build` over [first, last], with what its Dagster runs and dbt invocations recorded."""
    from bench import runlog

    project = Path(env["PYTHONPATH"])
    measured = _checked(run_measured(
        [str(BIN / "voc360"), "build", "--start", first.isoformat(), "--end", last.isoformat()],
        env=env, cwd=project, deadline=deadline), f"voc360 build {first}..{last}")
    build_id = re.search(r"^Build (\S+):", measured.stdout, re.M).group(1)
    instance = runlog.instance_at(root / "dagster_home")
    runs = runlog.build_runs(instance, build_id)
    result = {"seconds": round(measured.seconds, 3), "peak_rss_bytes": measured.peak_rss_bytes, "build_id": build_id,
              "runs": {}, "dbt_models": {}, "dbt_tests_seconds_by_step": {}}
    for record in runs:
        summary = runlog.run_summary(instance, record, measured.rss_timeline)
        result["runs"][summary.pop("job")] = summary
        dbt = runlog.dbt_results(project / "dbt", record.dagster_run.run_id)
        result["dbt_models"].update(dbt["models"])
        result["dbt_tests_seconds_by_step"].update(dbt["tests_by_step"])
        text = runlog.materialization_metadata(instance, record.dagster_run.run_id, "ml/text_insights")
        if text:
            result["embedding"] = {k: text.get(k) for k in
                                   ("texts", "embedded_new", "embedded_from_cache", "embedding_seconds",
                                    "embedding_texts_per_second", "embedding_model", "phase_seconds")}
    return result


def raw_rows(warehouse: Path) -> dict:
    import duckdb

    with duckdb.connect(str(warehouse / "voc360.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select source, sum(rows_read), sum(rows_loaded), sum(rows_rejected) from raw_audit.loads "
            "group by source order by source"
        ).fetchall()
    return {s: {"read": int(r), "loaded": int(ld), "rejected": int(rj)} for s, r, ld, rj in rows}


def warehouse_bytes(warehouse: Path) -> dict:
    sizes = {"total": directory_bytes(warehouse)}
    for name in ("voc360.duckdb", "serving.duckdb"):
        sizes[name] = (warehouse / name).stat().st_size if (warehouse / name).exists() else 0
    for name in ("serving_parquet", "embeddings"):
        sizes[name] = directory_bytes(warehouse / name)
    return sizes


def floor(root: Path, env: dict, deadline: float | None) -> dict:
    from bench import floor as engine_floor

    floor_dir, project = root / "floor", Path(env["PYTHONPATH"])
    manifest = engine_floor.prepare(root / "warehouse", floor_dir, env, project)
    out = floor_dir / "result.json"
    measured = _checked(run_measured(
        engine_floor.command(floor_dir / "voc360.duckdb", manifest, env["VOC360_GROUND_TRUTH_DIR"], out,
                             env.get("VOC360_EMBEDDING_MODEL", ""), env["VOC360_EMBEDDING_ENCODER"]),
        env=env, cwd=project, deadline=deadline), "the engine floor")
    result = json.loads(out.read_text())
    steps = result.pop("steps")
    text = next((s for s in steps if s["step"] == "ml/text_insights"), {})
    shutil.rmtree(floor_dir, ignore_errors=True)
    return {
        **result, "process_seconds": round(measured.seconds, 3), "peak_rss_bytes": measured.peak_rss_bytes,
        "dbt_seconds": round(sum(s["seconds"] for s in steps if s["kind"] == "dbt"), 3),
        "python_seconds": round(sum(s["seconds"] for s in steps if s["kind"] == "python"), 3),
        "embedding_seconds": text.get("embedding_seconds") or 0.0,
        "embedded_new": text.get("embedded_new"),
        "text_phase_seconds": text.get("phase_seconds") or {},
        "steps": {s["step"]: round(s["seconds"], 3) for s in steps},
    }


def definitions_load(env: dict, repeat: int = 3) -> dict:
    """Import of dagster_project.definitions (which loads the dbt manifest) in fresh processes."""
    project = Path(env["PYTHONPATH"])
    imports, processes = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", DEFINITIONS_PROBE], env=env, cwd=project,
                             capture_output=True, text=True, check=True).stdout
        processes.append(time.perf_counter() - t0)
        imports.append(float(out.strip().splitlines()[-1]))
    return {"import_seconds": round(statistics.median(imports), 3),
            "process_seconds": round(statistics.median(processes), 3)}


def bare_embedding(env: dict, deadline: float | None) -> dict:
    """bench/embedding_speed.py outside the pipeline: transformer into a cold cache, cache hits, static table."""
    project = Path(env["PYTHONPATH"])
    measured = _checked(run_measured(
        [sys.executable, str(Path(__file__).resolve().parent / "embedding_speed.py"), "--texts", "2000",
         "--static-texts", "50000", "--static-dir", str(Path(env["VOC360_WAREHOUSE_DIR"]).parent / "static")],
        env=env, cwd=project, deadline=deadline), "bench/embedding_speed.py")
    out = measured.stdout
    stats = json.loads(out[out.index("{"):])
    return {
        "model": stats["model"],
        "transformer_texts_per_second": stats["transformer_cold"]["texts_per_second"],
        "cache_hit_texts_per_second": stats["cache_hit"]["texts_per_second"],
        "static_texts_per_second": stats["static_encode"]["texts_per_second"],
        "seconds": round(measured.seconds, 3),
    }


def incremental_models(project: Path) -> int:
    nodes = json.loads((project / "dbt" / "target" / "manifest.json").read_text())["nodes"].values()
    return sum(1 for n in nodes if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental")


def _distill_seconds(phase_seconds: dict | None) -> float:
    """The text step's "encoder" phase: distilling the static table, the first time, is embedding too (the
    transformer embeds the vocabulary and a sample of texts); later it only loads the kept table."""
    return (phase_seconds or {}).get("encoder") or 0.0


def ratios(rep: dict) -> dict:
    """The pipeline against the floor, and the incremental day against the full build."""
    out = {}
    full, fl, inc = rep.get("full_build"), rep.get("floor"), rep.get("incremental")
    if full and fl:
        transform = full["runs"].get("voc360_transform", {}).get("seconds")
        text = full.get("embedding") or {}
        embedding = text.get("embedding_seconds") or 0.0
        if transform:
            out["transform_over_floor"] = round(transform / fl["seconds"], 3)
            out["transform_excl_embeddings_over_floor_excl_embeddings"] = round(
                (transform - embedding) / (fl["seconds"] - fl["embedding_seconds"]), 3)
            # The floor starts from the build's embedding cache and static table: it neither embeds nor distils.
            out["transform_excl_embeddings_and_distillation_over_floor"] = round(
                (transform - embedding - _distill_seconds(text.get("phase_seconds")))
                / (fl["seconds"] - fl["embedding_seconds"] - _distill_seconds(fl.get("text_phase_seconds"))), 3)
    if full and inc:
        out["incremental_over_full_build"] = round(inc["seconds"] / full["seconds"], 4)
    return out


def progress_at_stop(root: Path) -> dict:
    """What a stopped repetition had got through: files landed, and the steps its Dagster runs finished."""
    from bench import runlog

    landing = [f for f in (root / "landing").rglob("*") if f.is_file()]
    progress: dict = {"landing_files": len(landing), "landing_bytes": sum(f.stat().st_size for f in landing)}
    if (root / "dagster_home" / "storage").exists():
        instance = runlog.instance_at(root / "dagster_home")
        progress["runs"] = [runlog.run_summary(instance, record) for record in instance.get_run_records()]
    return progress


def repetition(name: str, customers: int, days: int, index: int, workdir: Path, project: Path,
               deadline: float | None, save, embedding_encoder: str = "transformer") -> dict:
    """One repetition; `save(rep)` is called after every phase so that a stopped run keeps what it measured."""
    root = workdir / f"{name}-{index}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    env = world_env(root, project, embedding_encoder)
    first = DEFAULT_START_DATE
    history_end, extra_day = first + dt.timedelta(days=days - 1), first + dt.timedelta(days=days)
    rep: dict = {"repetition": index, "completed": []}
    phases = [
        ("generation", lambda: generate(root, env, customers, days + 1, deadline)),
        ("full_build", lambda: parse(env) or build(root, env, first, history_end, deadline)),
        ("raw_rows", lambda: raw_rows(root / "warehouse")),
        ("warehouse_bytes", lambda: warehouse_bytes(root / "warehouse")),
        ("floor", lambda: floor(root, env, deadline)),
        ("incremental", lambda: {**build(root, env, extra_day, extra_day, deadline),
                                 "day": extra_day.isoformat(), "incremental_models": incremental_models(project)}),
        ("definitions_load", lambda: definitions_load(env)),
    ]
    try:
        for name, phase in phases:
            rep["running"] = name
            save(rep)
            rep[name] = phase()
            rep["completed"].append(name)
            rep["ratios"] = ratios(rep)
    except DeadlineExceeded as exc:
        rep["stopped"] = f"{rep['running']}: {exc}"
        rep["progress_at_stop"] = progress_at_stop(root)
    except Exception as exc:  # noqa: BLE001 - written into the result, then the run stops
        rep["failed"] = f"{rep['running']}: {exc}"
    finally:
        rep.pop("running", None)
        save(rep)
    return rep


# -- aggregation ----------------------------------------------------------------------------------------------------
def _numbers(tree, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of nested dicts as {"a.b.c": value}."""
    flat = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            flat.update(_numbers(value, f"{prefix}{key}."))
    elif isinstance(tree, (int, float)) and not isinstance(tree, bool):
        flat[prefix[:-1]] = tree
    return flat


def medians(reps: list[dict]) -> dict[str, float]:
    """Median over repetitions of every numeric measurement (those a repetition lacks are left out of it)."""
    values: dict[str, list[float]] = {}
    for rep in reps:
        for key, value in _numbers({k: v for k, v in rep.items() if k != "repetition"}).items():
            values.setdefault(key, []).append(value)
    return {key: round(statistics.median(v), 4) for key, v in sorted(values.items())}


def git_state(revision: str) -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "HEAD" if revision == "worktree" else revision)
    return {"commit": commit, "subject": git("log", "-1", "--format=%s", commit),
            "dirty_files": len(git("status", "--porcelain").splitlines())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--days", type=int, default=None,
                        help="days of history instead of the scale's (to see how the incremental day grows with it)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "voc360-bench")
    parser.add_argument("--budget-minutes", type=float, default=None,
                        help="stop the phase running when this much wall-clock time has passed; keep what was measured")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--keep", action="store_true", help="keep the generated worlds and warehouses")
    parser.add_argument("--no-bare-embeddings", dest="bare_embeddings", action="store_false",
                        help="skip the embedding speed outside the pipeline (bench/embedding_speed.py, once per run)")
    parser.add_argument("--embedding-encoder", choices=sorted(set(SCALE_ENCODERS.values())), default=None,
                        help="the text step's encoder (default: the scale's, see SCALE_ENCODERS)")
    parser.add_argument("--code", default="HEAD",
                        help="a git revision to export and measure (default HEAD), or 'worktree' for the tree as it is")
    args = parser.parse_args(argv)

    deadline = time.monotonic() + args.budget_minutes * 60 if args.budget_minutes else None
    customers, days = SCALES[args.scale]
    name = args.scale if args.days in (None, days) else f"{args.scale}-{args.days}d"
    days = args.days or days
    encoder = args.embedding_encoder or SCALE_ENCODERS[args.scale]
    started = dt.datetime.now(dt.UTC)
    stem = f"{name}-{started:%Y-%m-%d}"
    result = {
        "scale": args.scale, "customers": customers, "days": days, "embedding_encoder": encoder,
        "command": "python -m bench.run " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "started_at": started.isoformat(timespec="seconds"), "machine": describe_machine(), "git": git_state(args.code),
        "repetitions": [],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    project = PROJECT_ROOT if args.code == "worktree" else snapshot(args.workdir, args.code)
    result["code"] = args.code

    def save(rep: dict | None = None) -> None:
        reps = result["repetitions"]
        if rep is not None:
            reps[:] = [r for r in reps if r["repetition"] != rep["repetition"]] + [rep]
        result["median"] = medians(reps)
        result["machine"]["load_average_last"] = [round(x, 2) for x in os.getloadavg()]
        result["status"] = ("failed" if any("failed" in r for r in reps)
                            else "partial" if any("stopped" in r for r in reps)
                            else "running" if any("running" in r for r in reps) else "complete")
        (args.out / f"{stem}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        (args.out / f"{stem}.md").write_text(render_markdown(result))

    for index in range(1, args.repeat + 1):
        rep = repetition(name, customers, days, index, args.workdir, project, deadline, save, encoder)
        if not args.keep:
            shutil.rmtree(args.workdir / f"{name}-{index}", ignore_errors=True)
        if "stopped" in rep or "failed" in rep:
            break
    if args.bare_embeddings and result["status"] == "complete":
        try:
            result["bare_embedding"] = bare_embedding(world_env(args.workdir / "bare", project), deadline)
        except (DeadlineExceeded, RuntimeError) as exc:
            result["bare_embedding"] = {"error": str(exc).splitlines()[0]}
    save()
    print(f"{result['status']}: {args.out / stem}.json and .md")
    return 0 if result["status"] == "complete" else 2


if __name__ == "__main__":
    sys.exit(main())
