import dagster as dg

from dagster_project.assets.dbt import dbt_layer_assets
from dagster_project.assets.landing import landing_assets
from dagster_project.jobs import build_all_job, daily_schedule
from dagster_project.resources import build_resources

defs = dg.Definitions(
    assets=[*landing_assets, *dbt_layer_assets()],
    jobs=[build_all_job],
    schedules=[daily_schedule],
    resources=build_resources(),
)
