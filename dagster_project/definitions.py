import dagster as dg

from dagster_project.assets.dbt import dbt_layer_keys, dbt_models_assets
from dagster_project.assets.identity import identity_assets, identity_checks
from dagster_project.assets.landing import landing_assets
from dagster_project.assets.ml import ml_assets
from dagster_project.assets.publish import build_publish_asset
from dagster_project.assets.reports import report_assets
from dagster_project.checks.freshness import freshness_checks
from dagster_project.checks.marts import table_checks
from dagster_project.erasure import erase_job, erasure_rebuild
from dagster_project.jobs import (
    build_all_job,
    daily_schedule,
    freshness_job,
    freshness_schedule,
    land_job,
    transform_job,
)
from dagster_project.resources import build_resources
from dagster_project.sensors import landing_sensor

publish_assets = [build_publish_asset(dbt_layer_keys("marts"))]

defs = dg.Definitions(
    assets=[*landing_assets, dbt_models_assets(), *identity_assets, *ml_assets, *publish_assets, *report_assets],
    asset_checks=[*freshness_checks, *identity_checks, *table_checks],
    jobs=[build_all_job, land_job, transform_job, freshness_job, erase_job],
    schedules=[daily_schedule, freshness_schedule],
    sensors=[landing_sensor, erasure_rebuild],
    resources=build_resources(),
)
