"""Where simulated records go: formatted lines per source and day, plus the ground-truth rows about them."""

from __future__ import annotations

import random

from voc360.registry import Registry

from sample_world.config import WorldConfig
from sample_world.formats import DAY, Z_CN, Z_UTC, Z_UTC_NUM, Clock, CsvLine, json_line, pick_zone
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
        self.lines: dict[str, list[list[tuple[int, str]]]] = {s: [[] for _ in range(cfg.days)] for s in RECORD_SOURCES}
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
        self.lines[source][day].append((ws, line))
        key_col = IDENTITY_KEY[source]
        self.truth.identity.append((source, key_col, str(row[key_col]), person_id))
        if texts:
            key = "|".join(str(row[c]) for c in self.primary_key[source])
            for column, author, text in texts:
                self.truth.texts.append((source, key, column, author, person_id, text))
        return True
