"""Bring an external CSV export of a registered source into the landing layout, landing/<source>/<day>/.

A history dump (one file over many days) is split by the day of its event time, so that each day becomes a
partition as a daily export would; a snapshot source (no event time in the registry) lands whole on the day
given. Rows are written as they are, except the event time when the dump writes it in another format
(`time_format`, strptime): it is rewritten as ISO 8601, which landing and staging read. A row whose event
time cannot be read is not dropped: it goes to <file>_unplaced.csv on the last day, where landing rejects it
with its reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from pathlib import Path

from voc360.registry import Source


class SourceImportError(Exception):
    """The file cannot be imported as this source (wrong format, no event-time column, no day)."""


def _event_day(value: str, time_format: str | None) -> tuple[dt.date, str]:
    """(UTC day, ISO text) of an event time; ValueError when it does not parse."""
    if time_format:
        moment = dt.datetime.strptime(value, time_format)
    else:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
        return moment.date(), moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.date(), moment.isoformat(sep=" ")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def import_file(
    source: Source, file: Path, landing_dir: Path, time_format: str | None = None, day: dt.date | None = None
) -> dict[dt.date, int]:
    """Write `file` into the source's day folders; rows written per day. Re-importing rewrites the same files."""
    if source.format != "csv":
        raise SourceImportError(f"{source.name}: only CSV exports are imported (the source is {source.format})")
    stem = file.stem
    if source.event_time is None:
        if day is None:
            raise SourceImportError(f"{source.name} has no event time: give the export day (--day)")
        target = landing_dir / source.day_glob(day.isoformat()).rsplit("/", 1)[0] / f"{stem}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.read_bytes())
        return {day: sum(1 for _ in csv.reader(io.StringIO(file.read_text(encoding="utf-8-sig")))) - 1}

    with file.open(encoding="utf-8-sig", newline="") as handle:
        records = [row for row in csv.reader(handle) if row]
    header, rows = records[0], records[1:]
    if source.event_time not in header:
        raise SourceImportError(f"{file}: no column {source.event_time} (the event time of {source.name})")
    position = header.index(source.event_time)
    by_day: dict[dt.date, list[list[str]]] = defaultdict(list)
    unplaced = []
    for row in rows:
        try:
            event_day, iso = _event_day(row[position], time_format)
        except (IndexError, ValueError):
            unplaced.append(row)
            continue
        by_day[event_day].append([*row[:position], iso, *row[position + 1:]])
    if not by_day and day is None:
        raise SourceImportError(f"{file}: no row has a readable {source.event_time}")
    written = {}
    for event_day, day_rows in sorted(by_day.items()):
        _write(landing_dir / source.day_glob(event_day.isoformat()).rsplit("/", 1)[0] / f"{stem}.csv", header, day_rows)
        written[event_day] = len(day_rows)
    if unplaced:
        last = day or max(by_day)
        _write(landing_dir / source.day_glob(last.isoformat()).rsplit("/", 1)[0] / f"{stem}_unplaced.csv", header, unplaced)
        written[last] = written.get(last, 0) + len(unplaced)
    return written
