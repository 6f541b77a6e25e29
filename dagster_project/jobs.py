import dagster as dg

from dagster_project.partitions import daily_partitions

# Every asset: the landing partitions of the chosen day(s), then everything downstream of them.
build_all_job = dg.define_asset_job(
    "voc360_build",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Land the chosen day(s) of every source, then rebuild every model downstream of raw.",
    # DuckDB allows one writing process: run steps one after another in the run's own process.
    executor_def=dg.in_process_executor,
)

daily_schedule = dg.build_schedule_from_partitioned_job(build_all_job, hour_of_day=2, minute_of_hour=0)
