import dagster as dg

from voc360.settings import get_settings

# One partition per export day, in UTC, from the first day of history; the latest is yesterday.
daily_partitions = dg.DailyPartitionsDefinition(start_date=get_settings().start_date.isoformat())
