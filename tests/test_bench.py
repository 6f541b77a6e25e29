"""The benchmark harness's own logic: the engine floor's order, medians over repetitions, the target verdicts,
peak memory per Dagster step."""

import json
import os

import dagster as dg
import pytest

from bench import runlog
from bench.floor import PYTHON_STEPS, PythonStep, plan
from bench.measure import PeakMemory, peak_rss_by_step
from bench.report import GIB, render_markdown
from bench.run import medians, ratios
from voc360.settings import DBT_PROJECT_DIR


def _model(name: str, *deps: str) -> dict:
    return {"resource_type": "model", "name": name, "depends_on": {"nodes": list(deps)}}


def _source(schema: str, name: str, asset: bool = False) -> dict:
    meta = {"dagster": {"asset_key": [schema, name]}} if asset else {}
    return {"schema": schema, "name": name, "identifier": name, "meta": meta}


def _noop(con, context):
    return {}


STEP = PythonStep("ml/scores", reads=("int_b",), writes=("ml.scores",), run=_noop)


def _manifest() -> dict:
    return {
        "nodes": {
            "model.p.mart_c": _model("mart_c", "source.p.ml.scores", "model.p.stg_a"),
            "model.p.int_b": _model("int_b", "model.p.stg_a"),
            "model.p.stg_a": _model("stg_a", "source.p.raw.a"),
            "test.p.not_null": {"resource_type": "test", "name": "not_null", "depends_on": {"nodes": []}},
        },
        "sources": {"source.p.raw.a": _source("raw", "a"), "source.p.ml.scores": _source("ml", "scores", asset=True)},
    }


def test_floor_runs_python_steps_between_the_models_they_read_and_the_models_that_read_them():
    order = plan(_manifest(), (STEP,))
    assert order == ["model.p.stg_a", "model.p.int_b", "ml/scores", "model.p.mart_c"]


def test_floor_refuses_a_source_written_by_an_asset_it_does_not_run():
    with pytest.raises(ValueError, match="ml.scores"):
        plan(_manifest(), ())


def test_floor_reports_a_cycle():
    manifest = _manifest()
    manifest["nodes"]["model.p.stg_a"]["depends_on"]["nodes"].append("model.p.mart_c")
    with pytest.raises(ValueError, match="cycle"):
        plan(manifest, (STEP,))


def test_floor_order_of_the_project_respects_every_dependency():
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    order = plan(manifest)
    position = {name: i for i, name in enumerate(order)}
    models = {uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    assert set(order) == models | {s.name for s in PYTHON_STEPS}
    for uid in models:
        for dep in manifest["nodes"][uid]["depends_on"]["nodes"]:
            if dep in models:
                assert position[dep] < position[uid], (dep, uid)
    by_name = {manifest["nodes"][uid]["name"]: uid for uid in models}
    for step in PYTHON_STEPS:
        assert all(position[by_name[m]] < position[step.name] for m in step.reads)


def test_medians_over_repetitions_take_each_measure_where_it_was_measured():
    reps = [
        {"repetition": 1, "full_build": {"seconds": 10.0, "runs": {"land": {"seconds": 4}}}, "note": "x"},
        {"repetition": 2, "full_build": {"seconds": 30.0, "runs": {"land": {"seconds": 6}}}, "ok": True},
        {"repetition": 3, "full_build": {"seconds": 20.0}},
    ]
    result = medians(reps)
    assert result == {"full_build.seconds": 20.0, "full_build.runs.land.seconds": 5.0}


def _result(median: dict, repetitions: list[dict] | None = None) -> dict:
    return {
        "scale": "small", "customers": 10, "days": 2, "command": "python -m bench.run", "started_at": "now",
        "status": "complete", "git": {"commit": "0" * 40, "dirty_files": 0},
        "machine": {"cpu_model": "cpu", "logical_cores": 2, "ram_gib": 4, "load_average_at_start": [0, 0, 0]},
        "repetitions": repetitions or [{"repetition": 1}], "median": median,
    }


def test_report_marks_targets_met_and_missed():
    text = render_markdown(_result({"ratios.transform_excl_embeddings_and_distillation_over_floor": 2.0,
                                    "definitions_load.import_seconds": 1.2}))
    ratio_row = next(line for line in text.splitlines() if "both excluding embeddings" in line)
    load_row = next(line for line in text.splitlines() if "definitions load (import" in line)
    assert "**missed**" in ratio_row
    assert "met" in load_row and "missed" not in load_row



def test_report_names_the_generation_phases_and_the_workers_share():
    text = render_markdown(_result({"generation.seconds": 250.0, "generation.phase_seconds.simulation": 120.0,
                                    "generation.phase_seconds.files": 100.0,
                                    "generation.phase_seconds.files_worker_web_events": 80.5}))
    line = next(line for line in text.splitlines() if line.startswith("Generation, seconds per phase"))
    assert line.endswith("simulation 120 s, files 100 s, files_worker_web_events 80.5 s")
    assert "Generation, seconds per phase" not in render_markdown(_result({"generation.seconds": 250.0}))


def test_ratio_to_the_floor_leaves_out_the_embeddings_and_the_distillation_on_each_side():
    """The build distils the static table and embeds new texts; the floor starts from both, kept."""
    rep = {
        "full_build": {"seconds": 500.0, "runs": {"voc360_transform": {"seconds": 400.0}},
                       "embedding": {"embedding_seconds": 30.0, "phase_seconds": {"encoder": 50.0, "mask": 9.0}}},
        "floor": {"seconds": 220.0, "embedding_seconds": 10.0, "text_phase_seconds": {"encoder": 10.0}},
        "incremental": {"seconds": 50.0},
    }
    out = ratios(rep)
    assert out["transform_over_floor"] == round(400 / 220, 3)
    assert out["transform_excl_embeddings_over_floor_excl_embeddings"] == round(370 / 210, 3)
    assert out["transform_excl_embeddings_and_distillation_over_floor"] == round(320 / 200, 3)
    assert out["incremental_over_full_build"] == 0.1


def test_report_shows_the_text_phases_of_build_and_floor_side_by_side():
    text = render_markdown(_result({"full_build.embedding.phase_seconds.encoder": 50.0,
                                    "full_build.embedding.phase_seconds.sentiment": 70.0,
                                    "floor.text_phase_seconds.encoder": 1.5}))
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert rows["encoder"] == "| encoder | 50 | 1.5 |"
    assert rows["sentiment"] == "| sentiment | 70 |  |"

# -- peak memory per Dagster step -----------------------------------------------------------------------------------
def test_a_memory_spike_goes_to_the_step_it_falls_in_not_the_one_before():
    timeline = [(100.0, 1 * GIB), (105.0, 2 * GIB), (111.0, 2 * GIB), (115.0, 5 * GIB), (119.0, 1 * GIB)]
    peaks = peak_rss_by_step(timeline, {"a": (100.0, 110.0), "b": (110.5, 120.0)})
    assert peaks == {"a": 2 * GIB, "b": 5 * GIB}


def test_a_step_without_samples_gets_the_level_before_it_and_a_step_before_any_sample_is_left_out():
    timeline = [(100.0, 3 * GIB), (100.2, 4 * GIB), (100.4, 1 * GIB)]
    peaks = peak_rss_by_step(timeline, {"early": (90.0, 99.0), "short": (100.25, 100.3), "after": (101.0, 102.0)})
    assert peaks == {"short": 4 * GIB, "after": 1 * GIB}


def test_the_kept_timeline_gives_every_step_the_peak_of_all_samples():
    memory = PeakMemory(os.getpid(), resolution=8 * 2**20)
    samples = []
    for i in range(2_000):  # levels held for a while, with jitter under the resolution, then jumps up and down
        level = (1 + (i // 150) % 5) * GIB if i % 400 < 390 else 6 * GIB
        samples.append((i * 0.2, level + (i * 7919 % 5) * 2**20))
    for at, rss in samples:
        memory.record(at, rss)
    assert len(memory.timeline) < len(samples) / 5
    assert memory.peak == max(rss for _, rss in samples)
    # Every interval on a grid, including those that start in a held level and end after it drops.
    intervals = {f"{s}-{s + d}": (s * 0.1, (s + d) * 0.1) for s in range(0, 4_000, 13) for d in (1, 7, 40, 333)}
    kept, every = peak_rss_by_step(memory.timeline, intervals), peak_rss_by_step(samples, intervals)
    assert kept.keys() == every.keys() == intervals.keys()
    assert all(abs(kept[step] - every[step]) <= memory.resolution for step in intervals)
    # A level held up to just before a drop: its last sample is kept, so a step starting late in it sees it.
    drop = next(i for i in range(1, len(samples)) if samples[i][1] < samples[i - 1][1] - GIB)
    late_start = samples[drop - 1][0] - 0.1
    assert peak_rss_by_step(memory.timeline, {"s": (late_start, late_start + 5)})["s"] > samples[drop][1] + GIB // 2


def test_run_summary_gives_each_step_of_a_run_the_peak_within_its_events():
    @dg.op
    def load():
        return 1

    @dg.op
    def explode(value):
        raise RuntimeError(value)

    @dg.job(executor_def=dg.in_process_executor)
    def two_steps():
        explode(load())

    instance = dg.DagsterInstance.ephemeral()
    two_steps.execute_in_process(instance=instance, raise_on_error=False)
    (record,) = instance.get_run_records()
    intervals = runlog.step_intervals(instance, record.dagster_run.run_id)
    assert intervals.keys() == {"load", "explode"}  # a failed step has an interval too
    assert intervals["load"][1] <= intervals["explode"][0]
    timeline = [(sum(intervals["load"]) / 2, 2 * GIB), (sum(intervals["explode"]) / 2, 5 * GIB)]
    summary = runlog.run_summary(instance, record, timeline)
    assert summary["step_peak_rss_bytes"] == {"load": 2 * GIB, "explode": 5 * GIB}
    assert "step_peak_rss_bytes" not in runlog.run_summary(instance, record)


def _build(steps: dict[str, tuple[float, float]]) -> dict:
    """A phase of a repetition as bench.run.build writes it: step -> (seconds, peak RSS in GiB)."""
    return {"runs": {"voc360_transform": {"steps": {s: t for s, (t, _) in steps.items()},
                                          "step_peak_rss_bytes": {s: int(g * GIB) for s, (_, g) in steps.items()}}}}


def test_report_shows_the_median_peak_of_each_step_and_names_the_highest_in_each_phase():
    reps = [
        {"repetition": 1, "full_build": _build({"dbt_models": (30.0, 2.0), "ml_text_insights": (40.0, 5.0)}),
         "incremental": _build({"dbt_models": (9.0, 3.0), "ml_text_insights": (4.0, 1.0)})},
        {"repetition": 2, "full_build": _build({"dbt_models": (32.0, 2.5), "ml_text_insights": (44.0, 6.0)}),
         "incremental": _build({"dbt_models": (11.0, 4.0), "ml_text_insights": (6.0, 1.5)})},
    ]
    lines = render_markdown(_result(medians(reps), reps)).splitlines()
    header = next(line for line in lines if line.startswith("| step |"))
    assert header == ("| step | full build | incremental day | peak RSS, full build (GiB) "
                      "| peak RSS, incremental day (GiB) |")
    assert "| ml_text_insights | 42 | 5 | 5.5 | 1.25 |" in lines
    assert "| dbt_models | 31 | 10 | 2.25 | 3.5 |" in lines
    highest = next(line for line in lines if line.startswith("Step with the highest peak RSS"))
    assert "full build `ml_text_insights` 5.5 GiB" in highest
    assert "incremental day `dbt_models` 3.5 GiB" in highest


def test_report_of_a_result_without_step_peaks_has_no_empty_peak_columns():
    reps = [{"repetition": 1, "full_build": {"runs": {"voc360_transform": {"steps": {"dbt_models": 30.0}}}}}]
    text = render_markdown(_result(medians(reps), reps))
    assert "| step | full build | incremental day |\n" in text
    assert "peak RSS, full build (GiB)" not in text and "highest peak" not in text
