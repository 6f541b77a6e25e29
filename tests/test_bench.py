"""The benchmark harness's own logic: the engine floor's order, medians over repetitions, the target verdicts."""

import json

import pytest

from bench.floor import PYTHON_STEPS, PythonStep, plan
from bench.report import render_markdown
from bench.run import medians
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


def test_report_marks_targets_met_and_missed():
    result = {
        "scale": "small", "customers": 10, "days": 2, "command": "python -m bench.run", "started_at": "now",
        "status": "complete", "git": {"commit": "0" * 40, "dirty_files": 0},
        "machine": {"cpu_model": "cpu", "logical_cores": 2, "ram_gib": 4, "load_average_at_start": [0, 0, 0]},
        "repetitions": [{"repetition": 1}],
        "median": {"ratios.transform_excl_embeddings_over_floor_excl_embeddings": 2.0,
                   "definitions_load.import_seconds": 1.2},
    }
    text = render_markdown(result)
    ratio_row = next(line for line in text.splitlines() if "both excluding embeddings" in line)
    load_row = next(line for line in text.splitlines() if "definitions load (import" in line)
    assert "**missed**" in ratio_row
    assert "met" in load_row and "missed" not in load_row
