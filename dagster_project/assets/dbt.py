"""dbt models as Dagster assets; dbt tests become asset checks."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from voc360.settings import DBT_PROJECT_DIR, get_settings

get_settings()  # exports the warehouse path and salt that profiles.yml reads

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# `dagster dev` re-parses on start; elsewhere the manifest comes from `dbt parse` (make parse).
dbt_project.prepare_if_dev()


class Voc360DbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt layer folders (staging, intermediate, marts); kinds name the engine."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id)
        if node["resource_type"] == "source":
            return spec
        layer = node["fqn"][1] if len(node["fqn"]) > 2 else "dbt"
        return spec.replace_attributes(group_name=layer, kinds={"dbt", "duckdb"})


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=Voc360DbtTranslator())
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    # `dbt build` runs each model's tests right after it: a failing test (severity error) stops its dependants.
    yield from dbt.cli(["build"], context=context).stream().fetch_row_counts()
