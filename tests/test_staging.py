"""Staging layer (dbt/models/staging): built once per module on a small hand-made raw layer.

The raw tables follow the landing contract (registry columns as VARCHAR, then the lineage columns) and
hold the mess that real exports have: exact duplicates, records re-sent in a later file, late rows, POS
times in store-local time, and e-mails and phone numbers in several writings. Each test pins one
promise of the staging layer against values written here by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from voc360.registry import load_registry
from voc360.settings import DBT_PROJECT_DIR

SALT = "staging-test-salt"
LINEAGE_COLUMNS = [
    ("_extra", "varchar"),
    ("_source_file", "varchar"),
    ("_line_number", "bigint"),
    ("_partition_date", "date"),
    ("_loaded_at", "timestamp"),
]
JAN_05, JAN_06, JAN_07 = "2026-01-05", "2026-01-06", "2026-01-07"

# Every row: the export day (partition), the line in that day's file, and the registry columns it sets
# (the others are NULL, as for an optional column a file lacks).
Row = tuple[str, int, dict[str, str]]

RAW_ROWS: dict[str, list[Row]] = {
    "crm_customers": [
        (JAN_05, 1, {"customer_id": "c1", "first_name": "Meiling", "last_name": "Zhou",
                     "email": "Meiling.Zhou@Example.com", "phone": "+86 138 1234 5678", "city": "Shanghai",
                     "birth_date": "1990-04-01", "gender": "f", "loyalty_card": "L-0001",
                     "marketing_opt_in": "true", "signup_at": "2025-11-02T09:00:00+08:00",
                     "updated_at": "2026-01-05T10:00:00+08:00"}),
        # c1 moves city: a new version, written twice in the same file (exact duplicate)
        (JAN_06, 1, {"customer_id": "c1", "first_name": "Meiling", "last_name": "Zhou",
                     "email": "Meiling.Zhou@Example.com", "phone": "0086-138-1234-5678", "city": "Nanjing",
                     "birth_date": "1990-04-01", "gender": "f", "loyalty_card": "L-0001",
                     "marketing_opt_in": "false", "signup_at": "2025-11-02T09:00:00+08:00",
                     "updated_at": "2026-01-06T09:00:00Z"}),
        (JAN_06, 2, {"customer_id": "c1", "first_name": "Meiling", "last_name": "Zhou",
                     "email": "Meiling.Zhou@Example.com", "phone": "0086-138-1234-5678", "city": "Nanjing",
                     "birth_date": "1990-04-01", "gender": "f", "loyalty_card": "L-0001",
                     "marketing_opt_in": "false", "signup_at": "2025-11-02T09:00:00+08:00",
                     "updated_at": "2026-01-06T09:00:00Z"}),
        # the same person as a second CRM record, everything written differently
        (JAN_05, 2, {"customer_id": "c2", "first_name": "ZHOU", "last_name": " meiling",
                     "email": "  meiling.zhou@EXAMPLE.COM ", "phone": "13812345678", "city": "Shanghai",
                     "signup_at": "2026-01-05 03:00:00", "updated_at": "2026-01-05 03:00:00"}),
        (JAN_05, 3, {"customer_id": "c3", "first_name": "Bob", "last_name": "Marley",
                     "email": "bob.marley@example.org", "phone": "+1 (415) 555-0100", "city": "Boston",
                     "gender": "m", "signup_at": "2026-01-05T08:00:00-05:00",
                     "updated_at": "2026-01-05T08:00:00-05:00"}),
        (JAN_05, 4, {"customer_id": "c4", "gender": "x", "signup_at": "2026-01-05T12:00:00Z",
                     "updated_at": "2026-01-05T12:00:00Z"}),
    ],
    "orders": [
        (JAN_05, 1, {"order_id": "o1", "customer_id": "c1", "channel": "app",
                     "ordered_at": "2026-01-05T09:00:00+08:00", "status": "completed", "currency": "CNY",
                     "gross_amount": "120.0", "discount_amount": "10.0", "shipping_amount": "0",
                     "net_amount": "110.0", "is_gift": "true", "gift_message": "Happy birthday!",
                     "shipping_city": "Shanghai", "contact_email": "MEILING.ZHOU@example.com",
                     "contact_phone": "138 1234 5678"}),
        # o1 re-sent two days later with another status: the first landed copy wins
        (JAN_07, 1, {"order_id": "o1", "customer_id": "c1", "channel": "app",
                     "ordered_at": "2026-01-05T09:00:00+08:00", "status": "refunded", "currency": "CNY",
                     "gross_amount": "120.0", "net_amount": "110.0"}),
        (JAN_05, 2, {"order_id": "o2", "customer_id": "c3", "channel": "web",
                     "ordered_at": "2026-01-05T15:00:00Z", "status": "completed", "currency": "USD",
                     "gross_amount": "40", "net_amount": "40", "is_gift": "false", "shipping_city": "Boston",
                     "contact_phone": "(415) 555-0100"}),
        (JAN_05, 3, {"order_id": "o2", "customer_id": "c3", "channel": "web",
                     "ordered_at": "2026-01-05T15:00:00Z", "status": "completed", "currency": "USD",
                     "gross_amount": "40", "net_amount": "40", "is_gift": "false", "shipping_city": "Boston",
                     "contact_phone": "(415) 555-0100"}),
        # late row: placed on 2026-01-03 (UTC), exported with the files of 2026-01-05
        (JAN_05, 4, {"order_id": "o3", "customer_id": "c2", "channel": "mini_program",
                     "ordered_at": "2026-01-03T22:00:00Z", "status": "cancelled", "currency": "CNY",
                     "gross_amount": "15.5", "net_amount": "15.5"}),
        (JAN_06, 1, {"order_id": "o4", "customer_id": "c1", "channel": "web",
                     "ordered_at": "2026-01-06T01:00:00", "status": "completed", "currency": "CNY",
                     "gross_amount": "80", "net_amount": "72", "discount_amount": "8", "coupon_code": "NY2026"}),
    ],
    "order_items": [
        (JAN_05, 1, {"order_id": "o1", "line_number": "1", "product_id": "p1", "product_category": "tea",
                     "quantity": "2", "unit_price": "50.0", "ordered_at": "2026-01-05T09:00:00+08:00"}),
        (JAN_05, 2, {"order_id": "o1", "line_number": "2", "product_id": "p2", "quantity": "1",
                     "unit_price": "20.0", "ordered_at": "2026-01-05T09:00:00+08:00"}),
        (JAN_05, 3, {"order_id": "o2", "line_number": "1", "product_id": "p3", "quantity": "1",
                     "unit_price": "40", "ordered_at": "2026-01-05T15:00:00Z"}),
        (JAN_06, 1, {"order_id": "o2", "line_number": "1", "product_id": "p3", "quantity": "1",
                     "unit_price": "40", "ordered_at": "2026-01-05T15:00:00Z"}),
        (JAN_05, 4, {"order_id": "o3", "line_number": "1", "product_id": "p1", "quantity": "1",
                     "unit_price": "15.5", "ordered_at": "2026-01-03T22:00:00Z"}),
        (JAN_06, 2, {"order_id": "o4", "line_number": "1", "product_id": "p4", "quantity": "4",
                     "unit_price": "20", "ordered_at": "2026-01-06T01:00:00"}),
        # o5's item landed on the newest day; its order will arrive late, so the build must not stop on it
        (JAN_07, 1, {"order_id": "o5", "line_number": "1", "product_id": "p2", "quantity": "1",
                     "unit_price": "20", "ordered_at": "2026-01-07T08:00:00Z"}),
    ],
    "pos_receipts": [
        # 07:30 in Shanghai (UTC+8) is 23:30 UTC on the previous day
        (JAN_05, 1, {"receipt_id": "r1", "store_id": "s-sha-1", "store_city": "Shanghai",
                     "store_timezone": "Asia/Shanghai", "purchased_at": "2026-01-05 07:30:00",
                     "phone": "+86-138-1234-5678", "customer_name": "Zhou Meiling", "item_count": "3",
                     "total_amount": "88.0", "payment_method": "mobile_wallet"}),
        (JAN_05, 2, {"receipt_id": "r1", "store_id": "s-sha-1", "store_city": "Shanghai",
                     "store_timezone": "Asia/Shanghai", "purchased_at": "2026-01-05 07:30:00",
                     "phone": "+86-138-1234-5678", "customer_name": "Zhou Meiling", "item_count": "3",
                     "total_amount": "88.0", "payment_method": "mobile_wallet"}),
        # 20:00 in New York in winter (UTC-5) is 01:00 UTC the next day
        (JAN_06, 1, {"receipt_id": "r2", "store_id": "s-nyc-1", "store_city": "New York",
                     "store_timezone": "America/New_York", "purchased_at": "2026-01-05 20:00:00",
                     "loyalty_card": "L-0003", "item_count": "1", "total_amount": "-12.5",
                     "payment_method": "card"}),
        (JAN_05, 3, {"receipt_id": "r3", "store_id": "s-sha-1", "store_city": "Shanghai",
                     "store_timezone": "Asia/Shanghai", "purchased_at": "2026-01-05 18:45:10",
                     "item_count": "0", "total_amount": "5", "payment_method": "cash"}),
    ],
    "web_events": [
        (JAN_05, 1, {"event_id": "w1", "session_id": "ss1", "anonymous_id": "anon-1",
                     "occurred_at": "2026-01-05T10:00:00Z", "event_type": "page_view",
                     "page_url": "https://shop.example.com/", "device_type": "desktop", "dwell_seconds": "12.5"}),
        (JAN_05, 2, {"event_id": "w1", "session_id": "ss1", "anonymous_id": "anon-1",
                     "occurred_at": "2026-01-05T10:00:00Z", "event_type": "page_view",
                     "page_url": "https://shop.example.com/", "device_type": "desktop", "dwell_seconds": "12.5"}),
        # late row: happened on 2026-01-04, exported on 2026-01-06
        (JAN_06, 1, {"event_id": "w2", "session_id": "ss0", "anonymous_id": "anon-2", "login_id": "c1",
                     "occurred_at": "2026-01-04T23:59:00+00:00", "event_type": "add_to_cart",
                     "product_id": "p1", "device_type": "mobile"}),
    ],
    "app_events": [
        (JAN_05, 1, {"event_id": "a1", "device_id": "d1", "user_id": "c1", "occurred_at": "2026-01-05T01:00:00Z",
                     "event_type": "crash", "screen": "checkout", "app_version": "3.2.0", "os": "ios",
                     "crash_reason": "NullPointer"}),
        (JAN_05, 2, {"event_id": "a2", "device_id": "d2", "occurred_at": "2026-01-05T02:00:00Z",
                     "event_type": "app_open", "os": "harmonyos"}),
    ],
    "social_posts": [
        (JAN_05, 1, {"post_id": "sp1", "platform": "weibo", "handle": "@Petal_Fan",
                     "author_display_name": "Meiling Zhou", "author_bio": "Tea lover in Shanghai",
                     "is_brand_account": "false", "posted_at": "2026-01-05T12:00:00+08:00",
                     "text": "Love the gift packaging!", "language": "en", "like_count": "10",
                     "share_count": "2"}),
        (JAN_06, 1, {"post_id": "sp2", "platform": "weibo", "handle": "brand_official", "is_brand_account": "true",
                     "posted_at": "2026-01-05T05:00:00Z", "text": "Thank you!", "language": "en",
                     "like_count": "1", "share_count": "0", "reply_to_post_id": "sp1"}),
    ],
    "account_bindings": [
        (JAN_05, 1, {"binding_event_id": "b1", "customer_id": "c1", "platform": "weibo", "handle": "petal_fan",
                     "action": "bind", "consent": "true", "occurred_at": "2026-01-05T03:00:00Z"}),
        (JAN_06, 1, {"binding_event_id": "b2", "customer_id": "c1", "platform": "weibo", "handle": "@PETAL_FAN",
                     "action": "revoke", "consent": "false", "occurred_at": "2026-01-06T03:00:00Z"}),
    ],
    "tickets": [
        (JAN_05, 1, {"ticket_id": "t1", "customer_id": "c1", "requester_email": "meiling.zhou@example.com ",
                     "requester_phone": "(+86) 138 1234 5678", "requester_handle": "@Petal_Fan",
                     "channel": "chat", "subject": "Where is my parcel?", "priority": "high",
                     "created_at": "2026-01-05T10:00:00+08:00"}),
        (JAN_05, 2, {"ticket_id": "t2", "channel": "email", "requester_email": "guest@example.net",
                     "subject": "Invoice", "priority": "low", "created_at": "2026-01-05T11:00:00Z"}),
    ],
    "ticket_messages": [
        (JAN_05, 1, {"message_id": "m1", "ticket_id": "t1", "author_type": "customer", "is_public": "true",
                     "sent_at": "2026-01-05T10:00:00+08:00",
                     "body": "Please call me back on 138 1234 5678 or meiling.zhou@example.com"}),
        (JAN_05, 2, {"message_id": "m2", "ticket_id": "t1", "author_type": "agent", "agent_id": "ag1",
                     "is_public": "true", "sent_at": "2026-01-05T03:30:00Z", "body": "On its way."}),
        (JAN_06, 1, {"message_id": "m2", "ticket_id": "t1", "author_type": "agent", "agent_id": "ag1",
                     "is_public": "true", "sent_at": "2026-01-05T03:30:00Z", "body": "On its way."}),
        (JAN_05, 3, {"message_id": "m3", "ticket_id": "t1", "author_type": "agent", "agent_id": "ag1",
                     "is_public": "false", "sent_at": "2026-01-05T03:31:00Z", "body": "Internal note"}),
    ],
    "ticket_status_changes": [
        (JAN_05, 1, {"change_id": "sc1", "ticket_id": "t1", "to_status": "new", "changed_at": "2026-01-05T02:00:00Z"}),
        (JAN_05, 2, {"change_id": "sc2", "ticket_id": "t1", "from_status": "new", "to_status": "solved",
                     "changed_at": "2026-01-05T04:00:00Z"}),
        (JAN_06, 1, {"change_id": "sc3", "ticket_id": "t1", "from_status": "solved", "to_status": "open",
                     "changed_at": "2026-01-06T04:00:00Z"}),
    ],
    "surveys": [
        (JAN_05, 1, {"response_id": "sv1", "customer_id": "c1", "survey_type": "nps", "score": "9",
                     "verbatim": "Great tea", "channel": "app", "order_id": "o1",
                     "responded_at": "2026-01-05T12:00:00Z"}),
        (JAN_06, 1, {"response_id": "sv2", "customer_id": "c1", "survey_type": "csat", "score": "2",
                     "verbatim": "Too slow", "channel": "email", "ticket_id": "t1",
                     "responded_at": "2026-01-06T05:00:00Z"}),
        (JAN_06, 2, {"response_id": "sv3", "survey_type": "nps", "channel": "web",
                     "responded_at": "2026-01-06T06:00:00Z"}),
    ],
    "reviews": [
        (JAN_05, 1, {"review_id": "rv1", "customer_id": "c1", "order_id": "o1", "product_id": "p1", "rating": "5",
                     "title": "Lovely", "body": "Beautiful box, great gift", "language": "en",
                     "created_at": "2026-01-05T13:00:00Z"}),
    ],
    "memberships": [
        (JAN_05, 1, {"membership_event_id": "me1", "customer_id": "c1", "plan": "plus", "event_type": "join",
                     "period_start": "2026-01-05", "period_end": "2026-02-04", "amount": "9.9",
                     "occurred_at": "2026-01-05T00:10:00+08:00"}),
        (JAN_05, 2, {"membership_event_id": "me1", "customer_id": "c1", "plan": "plus", "event_type": "join",
                     "period_start": "2026-01-05", "period_end": "2026-02-04", "amount": "9.9",
                     "occurred_at": "2026-01-05T00:10:00+08:00"}),
    ],
}

# Raw personal values written above that must not survive in clear outside free-text columns.
CLEAR_PII = ["meiling", "zhou", "marley", "13812345678", "4155550100", "1990-04-01"]

EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# A run of digits with phone separators, not glued to letters or digits (hex digests are); it counts as
# a phone number when it holds 10 to 15 digits and is not a date or a timestamp.
PHONE_CANDIDATE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().-]{6,}\d(?!\w)")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


def digest(value: str) -> str:
    return hashlib.sha256((SALT + value).encode("utf-8")).hexdigest()


def contains_phone_number(text: str) -> bool:
    return any(
        10 <= sum(ch.isdigit() for ch in m.group()) <= 15 and not DATE_PATTERN.search(m.group())
        for m in PHONE_CANDIDATE.finditer(text)
    )


def extension(source: str) -> str:
    return load_registry().sources[source].format


def build_raw_layer(path: Path) -> None:
    """Create raw.<source> for every registry source, as the landing loader does, and fill in RAW_ROWS."""
    registry = load_registry()
    loaded_at = dt.datetime(2026, 1, 8, 2, 0)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        for name, source in registry.sources.items():
            columns = [(c, "varchar") for c in source.column_names] + LINEAGE_COLUMNS
            con.execute(f"create table raw.{name} ({', '.join(f'{c} {t}' for c, t in columns)})")
            for day, line, values in RAW_ROWS.get(name, []):
                unknown = set(values) - set(source.column_names)
                assert not unknown, f"{name}: fixture sets undeclared columns {unknown}"
                row = [values.get(c) for c in source.column_names] + [
                    None,
                    f"{name}/{day}/{name}_{day}.{extension(name)}",
                    line,
                    dt.date.fromisoformat(day),
                    loaded_at,
                ]
                con.execute(f"insert into raw.{name} values ({', '.join('?' * len(row))})", row)


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def dbt_executable() -> str:
    beside_python = Path(sys.executable).with_name("dbt")
    found = str(beside_python) if beside_python.exists() else shutil.which("dbt")
    assert found, "dbt is not installed in this environment"
    return found


@dataclass
class Build:
    warehouse: Path
    returncode: int
    output: str
    run_results: dict[str, Any]
    manifest: dict[str, Any]

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def rows(self, model: str, where: str = "true") -> list[dict[str, Any]]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            cursor = con.execute(f"select * from staging.{model} where {where}")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r)) for r in cursor.fetchall()]

    def one(self, model: str, where: str) -> dict[str, Any]:
        rows = self.rows(model, where)
        assert len(rows) == 1, f"{model} where {where}: {len(rows)} rows"
        return rows[0]

    @property
    def staging_models(self) -> dict[str, dict[str, Any]]:
        return {
            node["name"]: node
            for node in self.manifest["nodes"].values()
            if node["resource_type"] == "model" and node["fqn"][:2] == ["voc360", "staging"]
        }


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    root = tmp_path_factory.mktemp("staging")
    warehouse = root / "warehouse.duckdb"
    build_raw_layer(warehouse)
    env = {
        **os.environ,
        "VOC360_WAREHOUSE_PATH": str(warehouse),
        "VOC360_PII_SALT": SALT,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    target = root / "target"
    completed = subprocess.run(
        [
            dbt_executable(), "build",
            # what reads schema ml (written by the ML steps between the dbt layers) is built with the world tests
            "--exclude", "source:ml+",
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target),
            "--log-path", str(root / "logs"),
        ],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    return Build(
        warehouse=warehouse,
        returncode=completed.returncode,
        output=completed.stdout + completed.stderr,
        run_results=read_json(target / "run_results.json"),
        manifest=read_json(target / "manifest.json"),
    )


def test_dbt_build_passes_every_model_data_test_and_unit_test(build: Build) -> None:
    assert build.returncode == 0, build.output[-5000:]
    results = build.run_results["results"]
    not_passed = {r["unique_id"]: r["status"] for r in results if r["status"] not in ("success", "pass")}
    assert not not_passed, not_passed
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert {"model", "test", "unit_test"} <= kinds


def test_duplicates_and_resent_records_collapse_onto_the_earliest_landed_copy(build: Build) -> None:
    o1 = build.one("stg_shop__orders", "order_id = 'o1'")
    assert (o1["status"], o1["_partition_date"], o1["_line_number"]) == ("completed", dt.date(2026, 1, 5), 1)
    assert build.one("stg_shop__orders", "order_id = 'o2'")["_line_number"] == 2
    assert build.one("stg_shop__order_items", "order_id = 'o2'")["_partition_date"] == dt.date(2026, 1, 5)
    assert build.one("stg_pos__receipts", "receipt_id = 'r1'")["_line_number"] == 1
    assert build.one("stg_service__ticket_messages", "message_id = 'm2'")["_partition_date"] == dt.date(2026, 1, 5)
    expected_counts = {
        "stg_crm__customer_versions": 5,  # c1 twice (two versions), c2, c3, c4
        "stg_crm__customers": 4,
        "stg_shop__orders": 4,
        "stg_shop__order_items": 6,
        "stg_pos__receipts": 3,
        "stg_web__events": 2,
        "stg_app__events": 2,
        "stg_social__posts": 2,
        "stg_social__account_bindings": 2,
        "stg_service__tickets": 2,
        "stg_service__ticket_messages": 3,
        "stg_service__ticket_status_changes": 3,
        "stg_surveys__responses": 3,
        "stg_reviews__reviews": 1,
        "stg_membership__events": 1,
    }
    counts = {model: build.query(f"select count(*) from staging.{model}")[0][0] for model in expected_counts}
    assert counts == expected_counts


def test_an_item_waits_late_arrival_days_for_its_order_and_then_fails_the_build(build: Build, tmp_path: Path) -> None:
    # o5's item has no order yet but landed on the newest day: the build above passed with it
    assert build.one("stg_shop__order_items", "order_id = 'o5'")["_partition_date"] == dt.date(2026, 1, 7)
    assert build.query("select count(*) from staging.stg_shop__orders where order_id = 'o5'") == [(0,)]
    # the same orphan landed four days before the newest day (late_arrival_days is 3): its order is overdue
    overdue = tmp_path / "overdue.duckdb"
    shutil.copy(build.warehouse, overdue)
    with duckdb.connect(str(overdue)) as con:
        con.execute("update staging.stg_shop__order_items set _partition_date = date '2026-01-03' where order_id = 'o5'")
    completed = subprocess.run(
        [
            dbt_executable(), "test", "--select", "stg_shop__order_items,test_name:relationships_settled",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
        ],
        env={**os.environ, "VOC360_WAREHOUSE_PATH": str(overdue), "VOC360_PII_SALT": SALT,
             "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert completed.returncode == 1, completed.stdout[-3000:]
    assert re.search(r"FAIL 1 relationships_settled_stg_shop__order_items_order_id", completed.stdout), completed.stdout[-3000:]


def test_the_key_of_an_incremental_model_is_tested_unique_among_the_rows_its_run_rebuilt(
        build: Build, tmp_path: Path) -> None:
    """A repeated event id fails the test in a run whose window holds the repeated row, and in a run with no
    window (every row); a run for a later window does not read it again."""
    repeated = tmp_path / "repeated.duckdb"
    shutil.copy(build.warehouse, repeated)
    with duckdb.connect(str(repeated)) as con:
        day = con.execute("insert into staging.stg_web__events select * from staging.stg_web__events "
                          "order by event_id limit 1 returning _partition_date").fetchone()[0]

    def unique_test(*window: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                dbt_executable(), "test", "--select", "stg_web__events,test_name:unique_among_rebuilt_rows", *window,
                "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
            ],
            env={**os.environ, "VOC360_WAREHOUSE_PATH": str(repeated), "VOC360_PII_SALT": SALT,
                 "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
            capture_output=True, text=True, timeout=600, check=False,
        )

    def window(first: dt.date) -> tuple[str, str]:
        return "--vars", f"{{min_date: '{first}', max_date: '{first + dt.timedelta(days=1)}', lookback_days: 0}}"

    for failing in (unique_test(*window(day)), unique_test()):
        assert failing.returncode == 1, failing.stdout[-3000:]
        assert re.search(r"FAIL 1 unique_among_rebuilt_rows_stg_web__events_event_id", failing.stdout), \
            failing.stdout[-3000:]
    later = unique_test(*window(day + dt.timedelta(days=1)))
    assert later.returncode == 0, later.stdout[-3000:]


def test_crm_keeps_every_version_and_the_current_one_per_customer(build: Build) -> None:
    versions = build.rows("stg_crm__customer_versions", "customer_id = 'c1' order by version_number")
    assert [(v["city"], v["is_current"], v["updated_at"]) for v in versions] == [
        ("Shanghai", False, dt.datetime(2026, 1, 5, 2, 0)),
        ("Nanjing", True, dt.datetime(2026, 1, 6, 9, 0)),
    ]
    assert versions[0]["valid_to"] == versions[1]["updated_at"]
    current = build.one("stg_crm__customers", "customer_id = 'c1'")
    assert (current["city"], current["version_count"], current["has_marketing_opt_in"]) == ("Nanjing", 2, False)
    assert current["birth_year"] == 1990


def test_late_rows_land_on_their_event_day_not_their_export_day(build: Build) -> None:
    o3 = build.one("stg_shop__orders", "order_id = 'o3'")
    assert (o3["ordered_date"], o3["_partition_date"]) == (dt.date(2026, 1, 3), dt.date(2026, 1, 5))
    w2 = build.one("stg_web__events", "event_id = 'w2'")
    assert (w2["occurred_date"], w2["_partition_date"]) == (dt.date(2026, 1, 4), dt.date(2026, 1, 6))
    # an offset moves the UTC day: 09:00 in Shanghai on 5 January is 01:00 UTC the same day,
    # 00:10 in Shanghai on 5 January is 16:10 UTC on the 4th
    assert build.one("stg_shop__orders", "order_id = 'o1'")["ordered_at"] == dt.datetime(2026, 1, 5, 1, 0)
    assert build.one("stg_membership__events", "membership_event_id = 'me1'")["occurred_date"] == dt.date(2026, 1, 4)


def test_pos_store_local_time_is_converted_to_utc(build: Build) -> None:
    r1 = build.one("stg_pos__receipts", "receipt_id = 'r1'")
    assert r1["purchased_at"] == dt.datetime(2026, 1, 4, 23, 30)
    assert r1["purchased_date"] == dt.date(2026, 1, 4)
    assert r1["purchased_local_at"] == dt.datetime(2026, 1, 5, 7, 30)
    r2 = build.one("stg_pos__receipts", "receipt_id = 'r2'")
    assert (r2["purchased_at"], r2["purchased_date"]) == (dt.datetime(2026, 1, 6, 1, 0), dt.date(2026, 1, 6))
    assert (r1["is_anonymous"], r2["is_anonymous"]) == (False, False)
    assert build.one("stg_pos__receipts", "receipt_id = 'r3'")["is_anonymous"] is True


def test_emails_in_different_writings_hash_equal(build: Build) -> None:
    expected = digest("meiling.zhou@example.com")
    found = [
        build.one("stg_crm__customers", "customer_id = 'c1'")["email_hash"],
        build.one("stg_crm__customers", "customer_id = 'c2'")["email_hash"],
        build.one("stg_shop__orders", "order_id = 'o1'")["contact_email_hash"],
        build.one("stg_service__tickets", "ticket_id = 't1'")["requester_email_hash"],
    ]
    assert found == [expected] * 4
    assert build.one("stg_crm__customers", "customer_id = 'c4'")["email_hash"] is None


def test_phones_in_different_writings_hash_equal(build: Build) -> None:
    chinese_mobile = digest("+8613812345678")
    found = [
        *[v["phone_hash"] for v in build.rows("stg_crm__customer_versions", "customer_id in ('c1', 'c2')")],
        build.one("stg_shop__orders", "order_id = 'o1'")["contact_phone_hash"],
        build.one("stg_pos__receipts", "receipt_id = 'r1'")["phone_hash"],
        build.one("stg_service__tickets", "ticket_id = 't1'")["requester_phone_hash"],
    ]
    assert found == [chinese_mobile] * 6
    # c3 gave +1 (415) 555-0100; o2, shipped to Boston, gives the US national writing (415) 555-0100
    us_number = digest("+14155550100")
    assert build.one("stg_crm__customers", "customer_id = 'c3'")["phone_hash"] == us_number
    assert build.one("stg_shop__orders", "order_id = 'o2'")["contact_phone_hash"] == us_number


def test_names_hash_to_one_key_whatever_the_word_order(build: Build) -> None:
    expected = digest("meiling zhou")
    assert build.one("stg_crm__customers", "customer_id = 'c1'")["name_key"] == expected
    assert build.one("stg_crm__customers", "customer_id = 'c2'")["name_key"] == expected
    assert build.one("stg_pos__receipts", "receipt_id = 'r1'")["customer_name_key"] == expected
    assert build.one("stg_social__posts", "post_id = 'sp1'")["author_name_key"] == expected


def test_no_clear_email_phone_or_name_outside_free_text(build: Build) -> None:
    registry = load_registry()
    pii_column_names = {c for source in registry.sources.values() for c in source.pii}
    leaks = []
    for model, node in build.staging_models.items():
        free_text = {name for name, col in node["columns"].items() if col.get("meta", {}).get("pii") == "free_text"}
        columns = build.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'staging' and table_name = ?",
            [model],
        )
        assert columns, f"{model} was not built"
        leaks += [f"{model}.{name}: column named like a PII column" for name, _ in columns if name in pii_column_names]
        for name, data_type in columns:
            if data_type != "VARCHAR" or name in free_text:
                continue
            for (value,) in build.query(f'select distinct "{name}" from staging.{model} where "{name}" is not null'):
                if EMAIL_PATTERN.search(value) or contains_phone_number(value):
                    leaks.append(f"{model}.{name}: {value!r}")
                leaks += [f"{model}.{name}: {value!r} holds {p!r}" for p in CLEAR_PII if p in value.lower()]
    assert not leaks, "\n".join(leaks)


def test_hashed_columns_are_marked_and_free_text_is_kept_for_masking(build: Build) -> None:
    for model, node in build.staging_models.items():
        for name, column in node["columns"].items():
            if name.endswith("_hash") or name.endswith("_key"):
                assert column["meta"].get("pii") == "hashed", f"{model}.{name} lacks meta pii: hashed"
    # masking happens downstream: staging keeps the message exactly as written
    body = build.one("stg_service__ticket_messages", "message_id = 'm1'")["body"]
    assert body == "Please call me back on 138 1234 5678 or meiling.zhou@example.com"


def test_model_yaml_documents_exactly_the_built_columns(build: Build) -> None:
    for model, node in build.staging_models.items():
        built = [name for (name,) in build.query(
            "select column_name from information_schema.columns "
            "where table_schema = 'staging' and table_name = ? order by ordinal_position",
            [model],
        )]
        assert list(node["columns"]) == built, model
        undocumented = [name for name, column in node["columns"].items() if not column["description"].strip()]
        assert not undocumented, f"{model}: {undocumented}"
        assert node["description"].strip(), model


def test_every_registry_source_has_exactly_one_dbt_source_table() -> None:
    registry = load_registry()
    spec = yaml.safe_load((DBT_PROJECT_DIR / "models" / "staging" / "_raw__sources.yml").read_text(encoding="utf-8"))
    assert [s["name"] for s in spec["sources"]] == ["raw"]
    raw = spec["sources"][0]
    assert raw["schema"] == "raw"
    names = [table["name"] for table in raw["tables"]]
    assert sorted(names) == sorted(registry.sources)
    assert len(names) == len(set(names))
    for table in raw["tables"]:
        source = registry.sources[table["name"]]
        assert table["description"] == source.description
        assert [c["name"] for c in table["columns"]] == source.column_names + [c for c, _ in LINEAGE_COLUMNS]


def test_every_registry_source_has_a_staging_model_that_reads_it(build: Build) -> None:
    read = {
        parent.split(".")[-1]
        for node in build.staging_models.values()
        for parent in node["depends_on"]["nodes"]
        if parent.startswith("source.voc360.raw.")
    }
    assert read == set(load_registry().sources)
