"""The Dagster definitions load without the libraries that only asset, check and sensor functions use.

Loading the code location (`dagster dev`, the daemon, every run's process) imports dagster_project.definitions;
the heavy libraries are imported inside the functions that need them, so that loading stays cheap (benchmark:
definitions load under 3 s). Behaviour only here, no timing: a fresh process must not have imported them.
"""

import json
import os
import subprocess
import sys

from conftest import PROJECT_ROOT

# Imported by asset, check or sensor functions only. numpy is left out: libraries of the code location itself
# may import it.
HEAVY_MODULES = (
    "great_expectations",
    "lightgbm",
    "matplotlib",
    "pandas",
    "pyarrow",
    "scipy",
    "sentence_transformers",
    "sklearn",
    "splink",
    "torch",
    "transformers",
    "ml.identity",
    "ml.steps",
    "voc360.erasure",
)

PROBE = """
import json, sys
from dagster_project.definitions import defs

heavy = json.loads(sys.argv[1])
imported = sorted(m for m in heavy if m in sys.modules)
jobs = {job.name: sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys)
        for job in defs.resolve_all_job_defs()}
resolved = sorted(m for m in heavy if m in sys.modules)
print(json.dumps({"imported": imported, "resolved": resolved, "jobs": jobs}))
"""


def test_definitions_load_without_the_heavy_libraries_and_resolve_every_job(tmp_path):
    env = {**os.environ, "VOC360_WAREHOUSE_DIR": str(tmp_path / "warehouse")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY_MODULES)],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    ).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    assert loaded["imported"] == [], "imported by `import dagster_project.definitions`"
    assert loaded["resolved"] == [], "imported when the jobs are resolved"

    jobs = loaded["jobs"]
    assert {"voc360_build", "voc360_land", "voc360_transform", "voc360_freshness", "voc360_erase"} <= set(jobs)
    assert "raw/orders" in jobs["voc360_land"]
    transform = set(jobs["voc360_transform"])
    assert {"identity/splink_matches", "ml/text_insights", "ml/churn_scores", "ml/customer_clv",
            "publish/serving", "reports/kpi_trends"} <= transform
    assert not any(key.startswith("raw/") for key in transform)
    assert set(jobs["voc360_build"]) == transform | set(jobs["voc360_land"])


def test_splink_config_defaults_are_those_of_ml_identity():
    from dagster_project.assets.identity import SplinkMatchesConfig
    from ml.identity import SplinkSettings

    assert SplinkMatchesConfig().settings() == SplinkSettings()


def test_dbt_models_keep_the_group_owner_and_kinds_of_their_layer():
    from dagster_project.assets.dbt import LAYER_OWNERS, dbt_layer_keys, dbt_models_assets
    from voc360.quality import TABLE_RULES

    gated, layers = set(), {}
    for spec in dbt_models_assets().specs:
        layer = spec.key.path[0]  # the translator keys a model by its folder layer, then its name
        layers.setdefault(layer, set()).add(spec.key)
        assert (spec.group_name, list(spec.owners)) == (layer, [LAYER_OWNERS[layer]]), spec.key
        assert {"dbt", "duckdb"} <= spec.kinds, spec.key
        if "great-expectations" in spec.kinds:
            gated.add(".".join(spec.key.path))
    assert set(layers) == set(LAYER_OWNERS)
    assert all(set(dbt_layer_keys(layer)) == keys for layer, keys in layers.items())
    assert gated == {table for table in TABLE_RULES if table.startswith("marts.")}


def test_the_transform_job_runs_the_dbt_models_in_as_few_dbt_steps_as_the_python_assets_allow():
    """One step before identity resolution, one after it (intermediate and the marts that need no ML), one
    after the text models (features, topic marts), one after the churn and CLV scores."""
    import dagster as dg
    from dagster._core.execution.api import create_execution_plan

    from dagster_project.definitions import defs

    plan = create_execution_plan(defs.resolve_job_def("voc360_transform"))
    steps = [step.key for step in plan.get_steps_to_execute_in_topo_order()]
    dbt_steps = [step for step in steps if step.startswith("dbt_models")]
    assert len(dbt_steps) == 4, dbt_steps
    models = {step: {output.properties.asset_key for output in plan.get_step_by_key(step).step_outputs
                     if output.properties and output.properties.asset_key} for step in dbt_steps}
    first, after_identity, after_text, after_scores = (models[step] for step in dbt_steps)
    assert dg.AssetKey(["staging", "stg_crm__customers"]) in first
    assert dg.AssetKey(["intermediate", "int_person_map"]) in after_identity
    assert dg.AssetKey(["features", "feat_churn_snapshots"]) in after_text
    assert dg.AssetKey(["marts", "at_risk_interventions"]) in after_scores
    assert steps.index(dbt_steps[1]) > steps.index("identity__splink_matches")
    assert steps.index(dbt_steps[2]) > steps.index("ml_text_insights")
    assert steps.index(dbt_steps[3]) > steps.index("ml__churn_scores")


def test_a_dbt_step_leaves_its_parse_state_for_the_next_step_of_the_run(tmp_path):
    from dagster_project.assets.dbt import PARTIAL_PARSE_FILE, keep_partial_parse

    project_target, step_target = tmp_path / "target", tmp_path / "target" / "dbt_models-run1"
    project_target.mkdir()
    (project_target / PARTIAL_PARSE_FILE).write_bytes(b"parsed by dbt parse, without vars")

    keep_partial_parse(step_target, project_target)  # a step that failed before dbt wrote its state
    assert (project_target / PARTIAL_PARSE_FILE).read_bytes() == b"parsed by dbt parse, without vars"

    step_target.mkdir()
    (step_target / PARTIAL_PARSE_FILE).write_bytes(b"parsed with the run's vars")
    keep_partial_parse(step_target, project_target)
    assert (project_target / PARTIAL_PARSE_FILE).read_bytes() == b"parsed with the run's vars"
    assert sorted(p.name for p in project_target.iterdir()) == ["dbt_models-run1", PARTIAL_PARSE_FILE]


def test_a_dbt_step_keeps_the_dbt_artifacts_of_its_own_run_and_of_the_latest_others(tmp_path):
    from dagster_project.assets.dbt import prune_invocation_targets

    target = tmp_path / "target"
    folders = {  # folder: modification time; dagster-dbt names them <op>-<run id[:7]>-<random>
        "dbt_models-aaaaaaa-1111111": 100, "dbt_models_2-aaaaaaa-2222222": 110,
        "dbt_models-bbbbbbb-3333333": 200,
        "dbt_models-ccccccc-4444444": 300,
        "dbt_models_3-ddddddd-5555555": 50,  # the running step's own run, older than all
    }
    for name, mtime in folders.items():
        (target / name).mkdir(parents=True)
        (target / name / "run_results.json").write_text("{}")
        os.utime(target / name, (mtime, mtime))
    for project_file in ("manifest.json", "partial_parse.msgpack"):
        (target / project_file).write_text("{}")
    (target / "compiled").mkdir()

    removed = prune_invocation_targets(target / "dbt_models_3-ddddddd-5555555", keep_runs=2)
    assert sorted(p.name for p in removed) == ["dbt_models-aaaaaaa-1111111", "dbt_models-bbbbbbb-3333333",
                                                "dbt_models_2-aaaaaaa-2222222"]
    assert sorted(p.name for p in target.iterdir()) == [
        "compiled", "dbt_models-ccccccc-4444444", "dbt_models_3-ddddddd-5555555", "manifest.json",
        "partial_parse.msgpack"]

    prune_invocation_targets(target / "dbt_models_3-ddddddd-5555555", keep_runs=1)
    assert sorted(p.name for p in target.iterdir() if p.name.startswith("dbt_models")) == [
        "dbt_models_3-ddddddd-5555555"]


def test_the_dbt_resource_runs_dbt_without_asking_its_version_or_opening_an_adapter(monkeypatch, tmp_path):
    """dagster-dbt would start `dbt --version` and load a dbt adapter in this process before every dbt command
    (about 10 s per dbt step); the project's resource does neither, and the version it assumes is the one its
    executable reports."""
    import re

    import dagster_dbt.core.resource as dagster_dbt_resource

    from dagster_project.resources import build_resources

    assumed = build_resources()["dbt"]
    reported = subprocess.run([assumed.dbt_executable, "--version"], capture_output=True, text=True, check=True).stdout
    assert str(assumed._cli_version) == re.search(r"installed:\s*(\S+)", reported).group(1)

    def refuse(command, *args, **kwargs):
        raise AssertionError(f"started {command} before the dbt command")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", refuse)
    invocation = build_resources()["dbt"].cli(["list", "--select", "stg_shop__orders", "--output", "name"], target_path=tmp_path / "target")
    assert invocation.is_successful()
    assert invocation.adapter is None
