import datetime as dt
from collections.abc import Mapping

import dagster as dg

from voc360.settings import ERASURE_TAG, WINDOW_END_TAG, WINDOW_START_TAG, get_settings

# One partition per export day, in UTC, from the first day of history; the latest is yesterday.
daily_partitions = dg.DailyPartitionsDefinition(start_date=get_settings().start_date.isoformat())

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG, RANGE_END_TAG = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


class DbtWindowConfig(dg.Config):
    """The landing partitions whose records the incremental models rebuild (inclusive export days).

    Empty: the partition or range of the run when it has one, then its window tags (WINDOW_START_TAG and
    WINDOW_END_TAG, which voc360 build --start/--end gives its voc360_transform run), else everything. After a
    backfill of voc360_land, give the same range to voc360_transform here or in those tags."""

    min_date: str | None = None
    max_date: str | None = None
    full_refresh: bool = False


def dbt_window_args(config: DbtWindowConfig, run_tags: Mapping[str, str]) -> list[str]:
    """dbt arguments for a run: --vars with the partition window (explicit config first, then the run's
    partition tags, then its window tags), none for a run over everything; --full-refresh when asked and in
    the rebuild after an erasure."""
    if config.min_date or config.max_date:
        if not (config.min_date and config.max_date):
            raise dg.Failure("give both min_date and max_date, or neither")
        first, last = config.min_date, config.max_date
    elif PARTITION_TAG in run_tags:
        first = last = run_tags[PARTITION_TAG]
    elif RANGE_START_TAG in run_tags and RANGE_END_TAG in run_tags:
        first, last = run_tags[RANGE_START_TAG], run_tags[RANGE_END_TAG]
    elif WINDOW_START_TAG in run_tags and WINDOW_END_TAG in run_tags:
        first, last = run_tags[WINDOW_START_TAG], run_tags[WINDOW_END_TAG]
    else:
        first = last = None
    # The rebuild after an erasure refreshes every incremental model, in whichever op copy Dagster runs it.
    args = ["--full-refresh"] if config.full_refresh or ERASURE_TAG in run_tags else []
    if first is None:
        return args
    first_day, last_day = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    if first_day > last_day:
        raise dg.Failure(f"partition window {first_day}..{last_day} ends before it starts")
    return [*args, "--vars", f"{{min_date: '{first_day}', max_date: '{last_day}'}}"]
