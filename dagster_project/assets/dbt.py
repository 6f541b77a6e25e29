"""dbt models as Dagster assets, one definition for the whole project; dbt tests become asset checks.

Python assets sit between the models (identity resolution after staging, ML after intermediate, the marts
that read churn scores after those), so Dagster splits the definition into steps, each a `dbt build` over
the models it can run at that point. One definition lets Dagster make as few of those steps as the graph
allows: with one definition per folder layer, every edge between layers also counted as a boundary, and a
run took eight dbt invocations where four suffice.
"""

import functools
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets, get_asset_key_for_model
from dagster_duckdb import DuckDBResource

from dagster_project.assets.table_metadata import table_metadata
from dagster_project.partitions import DbtWindowConfig, dbt_refresh_args, dbt_window, dbt_window_environment
from dagster_project.tables import warehouse_tables
from voc360.quality import TABLE_RULES
from voc360.settings import DBT_PROJECT_DIR, get_settings

get_settings()  # exports the warehouse path and salt that profiles.yml reads

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# `dagster dev` re-parses on start; elsewhere the manifest comes from `dbt parse` (make parse).
dbt_project.prepare_if_dev()

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# dagster-dbt gives each dbt invocation its own target folder, <op>-<first 7 of the run id>-<7 random>.
INVOCATION_TARGET_RE = re.compile(r"^.+-(?P<run>[0-9a-f]{7})-[0-9a-f]{7}$")

# Who answers for a layer's models: the platform team builds the plumbing, analytics owns what analysts read.
LAYER_OWNERS = {"staging": "team:data-platform", "intermediate": "team:data-platform",
                "features": "team:data-platform", "marts": "team:analytics"}


class Voc360DbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt layer folders; owners the layer; kinds name the engine (and the Great Expectations
    gate of the key marts). Descriptions and column schemas come from the dbt YAML."""

    def __init__(self) -> None:
        super().__init__()
        # dagster-dbt asks for a node's spec again for each node downstream of it: the layer's attributes are
        # set once per node
        self._specs: dict[tuple[int, str, int], dg.AssetSpec] = {}

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        key = (id(manifest), unique_id, id(project))
        if key not in self._specs:
            self._specs[key] = self._layer_spec(manifest, unique_id, project)
        return self._specs[key]

    def _layer_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] not in ("model", "seed", "snapshot"):
            return spec
        layer = node["fqn"][1] if len(node["fqn"]) > 2 else "dbt"
        kinds = {"dbt", "duckdb", *(["great-expectations"] if f"marts.{node['name']}" in TABLE_RULES else [])}
        owners = [LAYER_OWNERS.get(layer, "team:data-platform")]
        return spec.replace_attributes(group_name=layer, kinds=kinds, owners=owners)


# One translator for every layer, so that its specs serve them all: each layer also resolves the nodes upstream of it.
dbt_translator = Voc360DbtTranslator()


@functools.cache  # parsed once for every layer's definition
def dbt_manifest() -> dict[str, Any]:
    return json.loads(dbt_project.manifest_path.read_text())


@functools.cache  # one definition, shared by every module that needs its keys
def dbt_models_assets() -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=dbt_manifest(),
        project=dbt_project,
        name="dbt_models",
        dagster_dbt_translator=dbt_translator,
    )
    def dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource, config: DbtWindowConfig
    ):
        # `dbt build` runs each model's tests right after it: a failing error-severity test stops its dependants.
        # "buildable": a test that also reads a model of a later step runs with that step, not before it exists.
        # Unit tests check the SQL, not the data: they run with the test suite (make test), not in every build.
        # The partition window reaches the incremental models through dbt's environment.
        args = ["build", "--indirect-selection", "buildable", "--exclude-resource-type", "unit_test",
                *dbt_refresh_args(config, context.run.tags)]
        with dbt_window_environment(dbt_window(config, context.run.tags)):
            invocation = dbt.cli(args, context=context)
        # DuckDB admits one process at a time, so row counts are read once dbt has exited (dagster-dbt's
        # fetch_row_counts would open the file while dbt still writes it).
        events, failure = [], None
        try:
            events.extend(invocation.stream())
        except Exception as exc:  # the models built before the failure are still reported, then it is raised
            failure = exc
            # Nobody reads dbt's output any more: stop it rather than let it block on a full pipe.
            invocation.process.terminate()
        invocation.process.wait()
        keep_partial_parse(invocation.target_path, dbt_project.project_dir / dbt_project.target_path)
        prune_invocation_targets(invocation.target_path, get_settings().dbt_artifact_runs)
        yield from with_table_metadata(events, invocation.manifest, warehouse)
        if failure is not None:
            raise failure

    return dbt_models


def dbt_model_key(model: str) -> dg.AssetKey:
    """The asset key of a dbt model, as the translator names it."""
    return get_asset_key_for_model([dbt_models_assets()], model)


def dbt_layer_keys(layer: str) -> list[dg.AssetKey]:
    """The asset keys of the models of one layer (folder under models/, and the asset group)."""
    return [spec.key for spec in dbt_models_assets().specs if spec.group_name == layer]


def keep_partial_parse(invocation_target: Path, project_target: Path) -> None:
    """Make dbt's parse state of this invocation the project's, which dagster-dbt copies into every invocation.

    A parse made with other vars or another profile (another warehouse path) is parsed again in full: without
    this, each of a run's dbt steps would spend seconds re-parsing the whole project. dbt checks the state
    against the files, vars and profile, so a stale or foreign one only costs a full parse. The
    copy is renamed into place: a step starting meanwhile reads the old file or the new one, never half of it."""
    produced = invocation_target / PARTIAL_PARSE_FILE
    if not produced.exists():
        return
    project_target.mkdir(parents=True, exist_ok=True)
    staged = project_target / f".{PARTIAL_PARSE_FILE}.{uuid.uuid4().hex}"
    shutil.copyfile(produced, staged)
    os.replace(staged, project_target / PARTIAL_PARSE_FILE)


def prune_invocation_targets(invocation_target: Path, keep_runs: int) -> list[Path]:
    """Remove the target folders of dbt invocations of all but the `keep_runs` latest runs; returns them.

    Each folder holds the invocation's manifest, parse state, compiled SQL and run_results.json (about 12 MB for
    this project), and nothing removes them: four per transform run, 17 GB a year of daily runs. A run's age is
    that of its newest folder. The folders of the invocation's own run stay whatever `keep_runs` says, and
    anything beside them that dagster-dbt did not name (the project's manifest, partial parse, `compiled`) too."""
    parent = invocation_target.parent
    current = INVOCATION_TARGET_RE.match(invocation_target.name)
    runs: dict[str, list[Path]] = {}
    for folder in parent.iterdir() if parent.is_dir() else []:
        named = INVOCATION_TARGET_RE.match(folder.name)
        if named and folder.is_dir():
            runs.setdefault(named["run"], []).append(folder)
    if current:
        runs.pop(current["run"], None)
        keep_runs -= 1
    by_age = sorted(runs.values(), key=lambda folders: max(f.stat().st_mtime for f in folders), reverse=True)
    removed = [folder for folders in by_age[max(keep_runs, 0):] for folder in folders]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def with_table_metadata(events: list, manifest: Mapping[str, Any], warehouse: DuckDBResource) -> Iterator:
    """dbt's events, each model's output with its row count, its columns as built (DuckDB types, descriptions
    from the YAML, so a column the YAML does not list still shows) and a preview of its first rows."""
    outputs = [e for e in events if isinstance(e, dg.Output) and "unique_id" in e.metadata]
    added = {}
    if outputs:
        with warehouse_tables(warehouse, read_only=True) as con:
            for event in outputs:
                unique_id = event.metadata["unique_id"].value
                node = manifest["nodes"][unique_id]
                # schema and alias only: the database name in the manifest is that of the file dbt parsed with
                relation = f'"{node["schema"]}"."{node["alias"]}"'
                descriptions = {name: column.get("description") for name, column in node.get("columns", {}).items()}
                added[unique_id] = table_metadata(con, relation, descriptions)
    for event in events:
        if isinstance(event, dg.Output) and "unique_id" in event.metadata:
            event = event.with_metadata({**event.metadata, **added[event.metadata["unique_id"].value]})
        yield event
