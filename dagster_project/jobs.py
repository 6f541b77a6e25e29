import dagster as dg

from dagster_project.checks.freshness import freshness_checks

# Every asset (daily partitioned, from the landing assets): the landing partitions of the chosen day(s), then everything downstream of them. Freshness is
# watched by its own schedule: it says whether data arrived, not whether this build is good.
build_all_job = dg.define_asset_job(
    "voc360_build",
    selection=dg.AssetSelection.all() - dg.AssetSelection.checks(*freshness_checks),
    description="Land the chosen day(s) of every source, then rebuild every model downstream of raw.",
    # DuckDB allows one writing process: run steps one after another in the run's own process.
    executor_def=dg.in_process_executor,
)

daily_schedule = dg.build_schedule_from_partitioned_job(build_all_job, hour_of_day=2, minute_of_hour=0)

# A long history is built in two runs: Dagster records every asset of a partitioned run once per partition,
# so the unpartitioned models downstream run in a run of their own (voc360 build does this).
landing = dg.AssetSelection.groups("landing")
land_job = dg.define_asset_job(
    "voc360_land",
    selection=landing - dg.AssetSelection.checks(*freshness_checks),
    description="Land the chosen day(s) of every source, each behind its quality gate.",
    executor_def=dg.in_process_executor,
)
transform_job = dg.define_asset_job(
    "voc360_transform",
    selection=dg.AssetSelection.all() - landing - dg.AssetSelection.checks(*freshness_checks),
    description="Rebuild everything downstream of raw: staging, identity, intermediate, ML, marts, publish.",
    executor_def=dg.in_process_executor,
)

freshness_job = dg.define_asset_job(
    "voc360_freshness",
    selection=dg.AssetSelection.checks(*freshness_checks),
    description="Is every source's newest export loaded? (warns, never blocks)",
)
freshness_schedule = dg.ScheduleDefinition(job=freshness_job, cron_schedule="0 * * * *")
