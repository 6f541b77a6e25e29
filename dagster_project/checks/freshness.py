"""Freshness per source: the latest loaded partition (and the latest day with files) against yesterday."""

import datetime as dt

import dagster as dg

from voc360.landing import day_files
from voc360.registry import Source, load_registry
from voc360.settings import get_settings

# A source whose newest loaded export day is more than this many days before yesterday is stale.
ALLOWED_LAG_DAYS = 1


def latest_day_with_files(source: Source, not_after: dt.date, lookback_days: int = 60) -> dt.date | None:
    landing_dir = get_settings().landing_dir
    for back in range(lookback_days + 1):
        day = not_after - dt.timedelta(days=back)
        if day_files(landing_dir, source, day):
            return day
    return None


def build_freshness_check(source: Source) -> dg.AssetChecksDefinition:
    key = dg.AssetKey(["raw", source.name])

    @dg.asset_check(
        asset=key,
        name="freshness",
        description=f"The newest loaded partition of raw/{source.name} is at most {ALLOWED_LAG_DAYS} day(s) "
        "behind yesterday (UTC). Reads Dagster's record of loaded partitions and the landing folder, never the "
        "warehouse, so it can run beside a build.",
    )
    def freshness(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        expected = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
        loaded = sorted(context.instance.get_materialized_partitions(key))
        latest_loaded = dt.date.fromisoformat(loaded[-1]) if loaded else None
        latest_files = latest_day_with_files(source, expected)
        lag = (expected - latest_loaded).days if latest_loaded else None
        return dg.AssetCheckResult(
            passed=lag is not None and lag <= ALLOWED_LAG_DAYS,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "expected_partition": expected.isoformat(),
                "latest_loaded_partition": latest_loaded.isoformat() if latest_loaded else "none",
                "latest_day_with_files": latest_files.isoformat() if latest_files else "none in 60 days",
                "lag_days": lag if lag is not None else -1,
            },
        )

    return freshness


freshness_checks = [build_freshness_check(source) for source in load_registry().sources.values()]
