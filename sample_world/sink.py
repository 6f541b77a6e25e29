"""Where simulated records go: formatted lines per source and day, plus the ground-truth rows about them."""

from __future__ import annotations

import os
import random
import tempfile

import numpy as np
import pyarrow as pa

from voc360.registry import Registry

from sample_world.config import WorldConfig
from sample_world.formats import DAY, Z_CN, Z_UTC, Z_UTC_NUM, Clock, CsvLine, json_line, pick_zone, split_lines
from sample_world.text import Text

# Sources built record by record by the life simulation; the others are generated per day in bulk.
RECORD_SOURCES = (
    "crm_customers", "orders", "pos_receipts", "social_posts", "account_bindings", "tickets", "ticket_messages",
    "ticket_status_changes", "surveys", "reviews", "memberships",
)
BULK_SOURCES = ("order_items", "web_events", "app_events")

# The offset each export usually writes its timestamps in (Chinese systems in Beijing time, SaaS tools in UTC).
USUAL_ZONE = {
    "crm_customers": Z_CN, "orders": Z_CN, "order_items": Z_CN, "web_events": Z_UTC, "app_events": Z_UTC,
    "social_posts": Z_UTC_NUM, "account_bindings": Z_UTC, "tickets": Z_UTC, "ticket_messages": Z_UTC,
    "ticket_status_changes": Z_UTC, "surveys": Z_UTC_NUM, "reviews": Z_CN, "memberships": Z_CN,
}

# For each source, the column whose value names the true person in identity_map.csv.
IDENTITY_KEY = {
    "crm_customers": "customer_id", "orders": "order_id", "order_items": "order_id", "pos_receipts": "receipt_id",
    "web_events": "anonymous_id", "app_events": "device_id", "social_posts": "post_id",
    "account_bindings": "binding_event_id", "tickets": "ticket_id", "ticket_messages": "message_id",
    "ticket_status_changes": "change_id", "surveys": "response_id", "reviews": "review_id",
    "memberships": "membership_event_id",
}


class Truth:
    """Ground-truth rows collected while generating; written by `sample_world.truth`."""

    def __init__(self) -> None:
        self.identity: list[tuple[str, str, str, str]] = []  # source, key_column, key, person_id
        self.texts: list[tuple] = []
        self.tickets: list[tuple] = []
        self.handles: list[tuple] = []
        self.malformed: list[tuple] = []  # source, file, line, kind, key
        self.messiness: list[tuple] = []  # source, kind, file, line, key, event_date, first_file
        self.files: list[tuple] = []  # source, file, day, kind, lines, records


# Estimated bytes of record lines kept in memory before they are spilled to disk (a line costs its characters
# plus about this many bytes of Python objects).
SPILL_BUDGET = 64 * 2**20
LINE_OVERHEAD = 120


class DayLines:
    """The record lines of every source and day, with the second (`ws`) of their event.

    The simulation emits a person's whole life at once, so a day's file can only be written when every person
    has been simulated. Lines are kept in memory up to `SPILL_BUDGET` and then appended to a temporary spill
    file, so memory does not grow with the number of customers.
    """

    def __init__(self, sources, days: int) -> None:
        self._ws: dict[str, list[list[float]]] = {s: [[] for _ in range(days)] for s in sources}
        self._lines: dict[str, list[list[str]]] = {s: [[] for _ in range(days)] for s in sources}
        self._pending = 0
        self._dir: tempfile.TemporaryDirectory | None = None
        self._spills: list[int] = []  # open spill file descriptors
        # (source, day) -> spilled segments: (spill file, byte offset, byte length, event seconds)
        self._segments: dict[tuple[str, int], list[tuple[int, int, int, np.ndarray]]] = {}

    def add(self, source: str, day: int, ws: float, line: str) -> None:
        self._ws[source][day].append(ws)
        self._lines[source][day].append(line)
        self._pending += len(line) + LINE_OVERHEAD
        if self._pending > SPILL_BUDGET:
            self.spill()

    def spill(self) -> None:
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="voc360-world-")
        path = os.path.join(self._dir.name, f"lines-{len(self._spills)}")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        self._spills.append(fd)
        offset = 0
        with os.fdopen(os.dup(fd), "wb") as fh:
            for source, days in self._lines.items():
                for day, lines in enumerate(days):
                    if not lines:
                        continue
                    data = ("\n".join(lines) + "\n").encode()
                    if data.count(b"\n") != len(lines):
                        raise ValueError(f"{source}: a record line contains a line break")
                    fh.write(data)
                    ws = np.array(self._ws[source][day], dtype=np.float64)
                    self._segments.setdefault((source, day), []).append((fd, offset, len(data), ws))
                    offset += len(data)
                    days[day] = []
                    self._ws[source][day] = []
        self._pending = 0

    def take(self, source: str, day: int) -> pa.LargeStringArray:
        """The day's lines (each with its newline) in event order (emission order among equal seconds); they are
        forgotten."""
        parts, seconds = [], []
        for fd, offset, length, ws in self._segments.pop((source, day), []):
            parts.append(os.pread(fd, length, offset))
            seconds.append(ws)
        lines = self._lines[source][day]
        if lines:
            parts.append(("\n".join(lines) + "\n").encode())
            seconds.append(np.array(self._ws[source][day], dtype=np.float64))
            self._lines[source][day] = []
            self._ws[source][day] = []
        if not parts:
            return pa.array([], type=pa.large_string())
        order = np.argsort(np.concatenate(seconds), kind="stable")
        return split_lines(b"".join(parts)).take(order)

    def close(self) -> None:
        for fd in self._spills:
            os.close(fd)
        self._spills = []
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


class Sink:
    def __init__(self, cfg: WorldConfig, clock: Clock, registry: Registry, truth: Truth, zone_rnd: random.Random):
        self.cfg = cfg
        self.clock = clock
        self.truth = truth
        self.days = cfg.days
        self.zone_rnd = zone_rnd
        self.tz_rate = cfg.messiness.mixed_timezone_rate
        self.columns = {name: src.column_names for name, src in registry.sources.items()}
        self.primary_key = {name: src.primary_key for name, src in registry.sources.items()}
        self.formats = {name: src.format for name, src in registry.sources.items()}
        self.orders_early_columns = [c for c in self.columns["orders"] if c != "coupon_code"]
        self.lines = DayLines(RECORD_SOURCES, cfg.days)
        # inputs of the bulk generators, per day
        self.items: list[list[tuple]] = [[] for _ in range(cfg.days)]
        self.web_purchases: list[list[tuple]] = [[] for _ in range(cfg.days)]
        self.app_purchases: list[list[tuple]] = [[] for _ in range(cfg.days)]
        self._csv = CsvLine()

    def zone(self, source: str) -> int:
        r = self.zone_rnd
        return pick_zone(r.random(), r.random(), USUAL_ZONE[source], self.tz_rate)

    def ts(self, ws: int, zone: int) -> str:
        return self.clock.iso(ws, zone)

    def emit(
        self,
        source: str,
        ws: int,
        row: dict,
        person_id: str,
        texts: tuple[tuple[str, str, Text], ...] = (),
    ) -> bool:
        """Format and keep one record whose event happens at `ws`; False (and nothing kept) outside the world."""
        day = ws // DAY
        if not 0 <= day < self.days:
            return False
        cols = self.columns[source]
        if source == "orders" and day < self.cfg.drift_day:
            cols = self.orders_early_columns
        if len(row) != len(self.columns[source]):
            raise AssertionError(f"{source}: row has columns {sorted(row)}")
        if self.formats[source] == "jsonl":
            line = json_line(cols, row)
        else:
            line = self._csv([row[c] for c in cols])
        self.lines.add(source, day, ws, line)
        key_col = IDENTITY_KEY[source]
        self.truth.identity.append((source, key_col, str(row[key_col]), person_id))
        if texts:
            key = "|".join(str(row[c]) for c in self.primary_key[source])
            for column, author, text in texts:
                self.truth.texts.append((source, key, column, author, person_id, text))
        return True
