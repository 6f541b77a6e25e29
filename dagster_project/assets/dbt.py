"""dbt models as Dagster assets, one definition per layer; dbt tests become asset checks.

The layers are separate definitions because Python assets sit between them (identity resolution after
staging, ML after intermediate), and each runs `dbt build` over its own selection.
"""

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from voc360.settings import DBT_PROJECT_DIR, get_settings

get_settings()  # exports the warehouse path and salt that profiles.yml reads

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# `dagster dev` re-parses on start; elsewhere the manifest comes from `dbt parse` (make parse).
dbt_project.prepare_if_dev()

LAYERS = ("staging", "intermediate", "marts")


class Voc360DbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt layer folders; kinds name the engine."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] not in ("model", "seed", "snapshot"):
            return spec
        layer = node["fqn"][1] if len(node["fqn"]) > 2 else "dbt"
        return spec.replace_attributes(group_name=layer, kinds={"dbt", "duckdb"})


def build_layer_assets(layer: str) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        select=f"path:models/{layer}",
        name=f"dbt_{layer}",
        dagster_dbt_translator=Voc360DbtTranslator(),
    )
    def layer_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        # `dbt build` runs each model's tests right after it: a failing error-severity test stops its dependants.
        yield from dbt.cli(["build"], context=context).stream().fetch_row_counts()

    return layer_models


def dbt_layer_assets() -> dict[str, dg.AssetsDefinition]:
    """Layer name -> its assets, for the layers that have models (an empty selection is not a valid definition)."""
    nodes = json.loads(dbt_project.manifest_path.read_text())["nodes"].values()
    present = {n["fqn"][1] for n in nodes if n["resource_type"] == "model" and len(n["fqn"]) > 2}
    return {layer: build_layer_assets(layer) for layer in LAYERS if layer in present}
