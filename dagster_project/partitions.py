import contextlib
import datetime as dt
import os
from collections.abc import Iterator, Mapping

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
    backfill of voc360_land, give the same range to voc360_transform in those tags: Dagster runs the dbt models
    in several steps (dbt_models, dbt_models_2, ...), and this config is given to one step at a time."""

    min_date: str | None = None
    max_date: str | None = None
    full_refresh: bool = False


# The window reaches dbt as environment variables, not vars: dbt parses the whole project again whenever its
# vars change (about 9 s, at the first dbt step of every run), while the macro reads these only at run time,
# so parsing never depends on them (macros/incremental/landed_window.sql).
WINDOW_ENV = ("VOC360_WINDOW_MIN_DATE", "VOC360_WINDOW_MAX_DATE")


def dbt_window(config: DbtWindowConfig, run_tags: Mapping[str, str]) -> tuple[dt.date, dt.date] | None:
    """The partition window of a run (explicit config first, then the run's partition tags, then its window
    tags), or None for a run over everything."""
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
        return None
    first_day, last_day = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    if first_day > last_day:
        raise dg.Failure(f"partition window {first_day}..{last_day} ends before it starts")
    return first_day, last_day


def dbt_window_env(window: tuple[dt.date, dt.date] | None) -> dict[str, str]:
    """The environment variables that give dbt the window; empty values for a run over everything."""
    days = window or (None, None)
    return {name: day.isoformat() if day else "" for name, day in zip(WINDOW_ENV, days, strict=True)}


@contextlib.contextmanager
def dbt_window_environment(window: tuple[dt.date, dt.date] | None) -> Iterator[None]:
    """The window in this process's environment, which dagster-dbt hands to the dbt process it starts; the
    environment is restored afterwards (steps of the in-process executor run one at a time)."""
    saved = {name: os.environ.get(name) for name in WINDOW_ENV}
    os.environ.update(dbt_window_env(window))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_refresh_args(config: DbtWindowConfig, run_tags: Mapping[str, str]) -> list[str]:
    """--full-refresh when asked and in the rebuild after an erasure, whichever op copy Dagster runs."""
    return ["--full-refresh"] if config.full_refresh or ERASURE_TAG in run_tags else []
