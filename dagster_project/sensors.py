"""The landing sensor: new or changed files in the landing area -> a voc360_land run for their export day."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from pathlib import Path

import dagster as dg

from dagster_project.jobs import land_job
from dagster_project.partitions import daily_partitions
from voc360.registry import Source, load_registry
from voc360.settings import get_settings


def landed_files(landing_dir: Path, source: Source) -> dict[str, list[Path]]:
    """Export day (YYYY-MM-DD) -> the source's files of that day, from its registry path pattern."""
    day_part = source.path.split("/").index("{date}")
    days: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(landing_dir.glob(source.path.format(date="*"))):
        day = path.relative_to(landing_dir).parts[day_part]
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            continue
        days[day].append(path)
    return days


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def stat_signature(files: list[Path]) -> str:
    """Cheap: changes when a file is added, removed, rewritten or touched (name, size, mtime)."""
    return _digest([f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files])


def content_digest(files: list[Path]) -> str:
    """What a landing run reads: names and bytes. A re-sent identical file keeps it."""
    return _digest([f"{p.name}:{hashlib.sha256(p.read_bytes()).hexdigest()}" for p in files])


def landing_requests(
    landing_dir: Path, cursor: dict[str, list[str]], partition_keys: set[str]
) -> tuple[list[dg.RunRequest], dict[str, list[str]], list[str]]:
    """Run requests for the export days whose files changed in content since the cursor, the new cursor
    ("<source>/<day>" -> [stat signature, content digest]) and notes on files outside the partitions.

    One run per day lands every source whose files of that day changed; its run key is the day and the
    content digests, so the same files never land twice, however often they are re-sent or touched."""
    changed: dict[str, list[tuple[str, str]]] = defaultdict(list)
    new_cursor, notes = {}, []
    for source in load_registry().sources.values():
        for day, files in landed_files(landing_dir, source).items():
            key = f"{source.name}/{day}"
            if day not in partition_keys:  # before the first partition, or today's (not a partition yet)
                notes.append(f"{key}: not a partition (yet); looked at again on the next tick")
                continue
            signature = stat_signature(files)
            previous = cursor.get(key)
            if previous and previous[0] == signature:
                new_cursor[key] = previous
                continue
            digest = content_digest(files)
            new_cursor[key] = [signature, digest]
            if not previous or previous[1] != digest:
                changed[day].append((source.name, digest))
    requests = [
        dg.RunRequest(
            run_key=f"{day}:" + ",".join(f"{name}={digest}" for name, digest in sorted(sources)),
            partition_key=day,
            asset_selection=[dg.AssetKey(["raw", name]) for name, _ in sorted(sources)],
            tags={"voc360/trigger": "landing_sensor"},
        )
        for day, sources in sorted(changed.items())
    ]
    return requests, new_cursor, notes


@dg.sensor(
    job=land_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Lands the export days whose files are new or changed (by content) in the landing area. "
    "The first tick lands every day already there; re-sent identical files land nothing.",
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    cursor = json.loads(context.cursor) if context.cursor else {}
    partition_keys = set(daily_partitions.get_partition_keys(dynamic_partitions_store=context.instance))
    requests, new_cursor, notes = landing_requests(get_settings().landing_dir, cursor, partition_keys)
    for note in notes[:20]:
        context.log.info(note)
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(new_cursor, sort_keys=True))
