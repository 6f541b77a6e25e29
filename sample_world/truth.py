"""Writes the ground truth: who is who, what each text is about, where the planted defects are."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sample_world.catalog import BRAND_HANDLES
from sample_world.config import WorldConfig
from sample_world.formats import DAY, Clock
from sample_world.people import Population, phone_e164
from sample_world.sink import IDENTITY_KEY, Truth
from sample_world.text_bank import COMPLAINT_TOPICS

TRUTH_FILES = (
    "README.md", "persons.csv", "identity_map.csv", "texts.csv", "tickets.csv", "social_handles.csv",
    "malformed_rows.csv", "messiness.csv", "files.csv", "summary.json",
)

README = """# Ground truth of the generated sample world

Written by `voc360-world` beside the landing files; it is never a landing source. Keys are written exactly as
they appear in the landing files. Booleans are `true`/`false`; timestamps are UTC (`...Z`).

| file | one row per | what it is for |
|---|---|---|
| persons.csv | true person | lifecycle and planted segments: churn (and its date), slow-service complainer, packaging/gift praiser, gift lover, NPS segment, complained topics, revenue |
| identity_map.csv | record (or identifying value) of every source | `(source, key_column, key) -> person_id`; empty person_id = no person behind it (brand account, visitor who never became a customer, public social user). See below for the key of each source |
| texts.csv | free-text value | planted topic and sentiment of each text: `(source, key, column)` with the author type, language and whether it carries PII (e-mail, phone, Chinese ID-like number) |
| tickets.csv | ticket | channel, topic, whether slow service was planted, true first public agent reply, reopen, agent reply count |
| social_handles.csv | social handle | owner, whether the person published a member id in their bio, bind/revoke history |
| malformed_rows.csv | planted malformed line | `(source, file, line, kind, key)`: line is 1-based, the CSV header is line 1; key is the primary key of the record the line is a damaged copy of (its intact line is in the same file) |
| messiness.csv | planted late / duplicate / re-sent line | `kind` late (event_date earlier than the file's day), duplicate (exact repeat of a line in the same file), resend (same record again in a `*_resend` file; first_file is where it was first written) |
| files.csv | landing file | lines and records written per file |
| summary.json | world | configuration, row counts per source and measured planted effects |

## persons.csv

`churned` = the person stopped buying and interacting within the world, on `churn_date`. `dormant` persons
signed up before the world and had already stopped before it started (their `churn_date` lies before the
start; they appear only in the CRM). `alive_at_start` = customer before day 0 and still active then.
`slow_service_complainer`, `packaging_praiser` and `complained_topics` come from the texts the person actually
wrote (negative texts for complaints); `gift_lover` is the latent trait behind gift buying. `nps_segment` is
from the person's last NPS answer. Revenue and AOV count completed online orders in the order currency.

## identity_map.csv keys

| source | key_column | note |
|---|---|---|
| crm_customers | customer_id | a person may own two customer ids (CRM duplicates with typos) |
| orders, order_items | order_id | |
| pos_receipts | receipt_id | anonymous receipts map to their true shopper too |
| web_events | anonymous_id | every browser id; visitors who never became customers have an empty person_id |
| app_events | device_id | likewise |
| social_posts | post_id, and `platform|handle` | brand and public accounts have an empty person_id |
| account_bindings, tickets, ticket_messages, ticket_status_changes, surveys, reviews, memberships | primary key | messages and status changes map to the ticket's customer |

## Planted effects

- Customers who write a complaint about slow service response get about three times the churn hazard from
  then on, so they churn (stop buying and interacting; members do not renew) at about twice the rate of the
  others. Slow first replies are more frequent on e-mail and social, and in an understaffed period from 35%
  to 55% of the history.
- Gift lovers buy more gifts and bigger baskets and praise packaging: packaging/gift praisers have a higher
  AOV and gift-order share.
- Satisfaction drives NPS and churn: detractors (0-6) churn more than promoters (9-10); a detractor score and
  bad experiences (delivery delays, defects, battery trouble) raise the churn hazard.
- Android/HarmonyOS devices on app version 3.2.0 crash far more often (crash_reason set); some of their
  owners complain about app crashes.
- Schema drift: `orders.coupon_code` is absent from the files before day `drift_date` (summary.json) and
  present from then on.
- Day 0 carries opening balances: CRM records of customers who signed up before the world (updated_at on
  day 0, signup_at in the past), the current period of pre-existing members (a membership event on day 0
  whose period_start is in the past) and the social bindings already in force (bind events on day 0).
"""


def _w(path: Path, header: list[str], rows) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(["true" if v is True else "false" if v is False else "" if v is None else v for v in row])
            n += 1
    return n


def _rate(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def write_truth(cfg: WorldConfig, pop: Population, truth: Truth, clock: Clock, counts: dict) -> dict:
    out = cfg.truth_dir
    out.mkdir(parents=True, exist_ok=True)
    for name in TRUTH_FILES:
        (out / name).unlink(missing_ok=True)
    T = cfg.days * DAY

    # texts and per-person text facts
    complained: dict[str, set[str]] = {}
    text_rows = []
    for source, key, column, author, person_id, t in truth.texts:
        text_rows.append((source, key, column, author, person_id, t.topic, t.sentiment, t.language, bool(t.pii),
                          "|".join(t.pii), t.text))
        if author == "customer" and person_id and t.sentiment == "negative" and t.topic in COMPLAINT_TOPICS:
            complained.setdefault(person_id, set()).add(t.topic)
    _w(out / "texts.csv", ["source", "key", "column", "author_type", "person_id", "topic", "sentiment", "language",
                           "contains_pii", "pii_kinds", "text"], text_rows)

    # persons
    person_rows = []
    by_handle: dict[tuple[str, str], list] = {}
    for kind, key, _pid, ws in truth.handles:
        by_handle.setdefault(key, []).append((kind, ws))
    for p in pop.persons:
        churned = (not p.dormant) and p.churn_ws is not None and p.churn_ws < T
        nps = p.nps_scores[-1] if p.nps_scores else None
        segment = "" if nps is None else "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"
        aov = round(p.net_revenue / p.n_online, 2) if p.n_online else None
        person_rows.append((
            p.person_id, p.country, p.city, p.first, p.last, p.email, phone_e164(p.country, p.phone),
            p.birth.isoformat(), p.gender, p.loyalty_card or "",
            "|".join(x for x in (p.customer_id, p.dup_customer_id) if x),
            clock.iso(p.signup_ws, 0), p.alive_at_start, p.dormant, churned,
            clock.date_of(p.churn_ws) if p.churn_ws is not None and p.churn_ws < T else "",
            p.is_member_ever, p.gift_lover, p.praised_packaging, p.slow_complaint_ws is not None,
            clock.date_of(p.slow_complaint_ws) if p.slow_complaint_ws is not None else "",
            nps, segment, any(s <= 6 for s in p.nps_scores), any(s >= 9 for s in p.nps_scores),
            "|".join(sorted(complained.get(p.person_id, ()))), p.crash_prone,
            p.n_orders, p.n_online, p.n_gift_orders, round(p.net_revenue, 2), aov,
            "CNY" if p.country == "CN" else "USD",
            len(p.browsers), len(p.devices), "|".join(f"{a}:{b}" for a, b in p.handles),
        ))
    _w(out / "persons.csv", [
        "person_id", "country", "city", "first_name", "last_name", "email", "phone_e164", "birth_date", "gender",
        "loyalty_card", "customer_ids", "signup_at", "alive_at_start", "dormant", "churned", "churn_date",
        "is_member_ever", "gift_lover", "packaging_praiser", "slow_service_complainer", "slow_complaint_date",
        "nps_last", "nps_segment", "ever_detractor", "ever_promoter", "complained_topics", "crash_prone_device",
        "n_purchases", "n_online_orders", "n_gift_orders", "net_order_revenue", "online_aov", "currency",
        "n_browsers", "n_devices",
        "social_handles"], person_rows)

    # identity map
    seen: set[tuple[str, str, str]] = set()
    id_rows = []

    def add(source: str, col: str, key: str, pid: str) -> None:
        k = (source, col, key)
        if k not in seen:
            seen.add(k)
            id_rows.append((source, col, key, pid))

    order_rows = []
    for source, col, key, pid in truth.identity:
        add(source, col, key, pid)
        if source == "orders":
            order_rows.append((key, pid))
    for key, pid in order_rows:
        add("order_items", IDENTITY_KEY["order_items"], key, pid)
    for anon, owner in zip(pop.browser_ids, pop.browser_person, strict=True):
        add("web_events", "anonymous_id", anon, pop.persons[owner].person_id if owner >= 0 else "")
    for dev, owner in zip(pop.device_ids, pop.device_person, strict=True):
        add("app_events", "device_id", dev, pop.persons[owner].person_id if owner >= 0 else "")
    handle_rows = []
    for key, owner in pop.handle_owner.items():
        pid = pop.persons[owner].person_id if owner >= 0 else ""
        add("social_posts", "platform|handle", f"{key[0]}|{key[1]}", pid)
        events = by_handle.get(key, [])
        handle_rows.append((key[0], key[1], pid, False, pop.handle_published_id.get(key, ""),
                            any(k == "bind" for k, _ in events), any(k == "revoke" for k, _ in events),
                            "|".join(f"{k}@{clock.iso(ws, 0)}" for k, ws in events)))
    for platform, handle in BRAND_HANDLES.items():
        add("social_posts", "platform|handle", f"{platform}|{handle}", "")
        handle_rows.append((platform, handle, "", True, "", False, False, ""))
    _w(out / "identity_map.csv", ["source", "key_column", "key", "person_id"], id_rows)
    _w(out / "social_handles.csv", ["platform", "handle", "person_id", "is_brand_account", "published_member_id",
                                    "ever_bound", "ever_revoked", "binding_events"], handle_rows)
    _w(out / "tickets.csv", ["ticket_id", "person_id", "topic", "channel", "slow_service", "created_at",
                             "first_public_agent_reply_at", "first_response_seconds", "reopened",
                             "agent_public_replies", "last_solved_at"], truth.tickets)
    _w(out / "malformed_rows.csv", ["source", "file", "line", "kind", "key"], truth.malformed)
    _w(out / "messiness.csv", ["source", "kind", "file", "line", "key", "event_date", "first_file"], truth.messiness)
    _w(out / "files.csv", ["source", "file", "day", "kind", "lines", "records"], truth.files)

    effects = planted_effects(pop, T, complained)
    n_texts = len(text_rows)
    customer_texts = [r for r in text_rows if r[3] in ("customer", "public")]
    summary = {
        "config": {
            "seed": cfg.seed, "customers": cfg.customers, "days": cfg.days, "start_date": cfg.start_date.isoformat(),
            "messiness": cfg.messiness.as_dict(), "drift_date": clock.day_str(cfg.drift_day),
        },
        "rows": counts,
        "texts": {
            "all": n_texts,
            "customer_and_public": len(customer_texts),
            "distinct_share": round(len({r[10] for r in customer_texts}) / max(len(customer_texts), 1), 4),
            "chinese_share": round(sum(r[7] == "zh" for r in customer_texts) / max(len(customer_texts), 1), 4),
            "with_pii": sum(r[8] for r in text_rows),
        },
        "planted_effects": effects,
        "malformed_rows": len(truth.malformed),
        "messiness_rows": len(truth.messiness),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "README.md").write_text(README, encoding="utf-8")
    return summary


def planted_effects(pop: Population, T: int, complained: dict[str, set[str]]) -> dict:
    active = [p for p in pop.persons if not p.dormant]

    def churned(p) -> bool:
        return p.churn_ws is not None and p.churn_ws < T

    slow = [churned(p) for p in active if p.slow_complaint_ws is not None]
    rest = [churned(p) for p in active if p.slow_complaint_ws is None]
    detr = [churned(p) for p in active if p.nps_scores and p.nps_scores[-1] <= 6]
    prom = [churned(p) for p in active if p.nps_scores and p.nps_scores[-1] >= 9]
    praisers = [p for p in active if p.praised_packaging and p.n_online]
    others = [p for p in active if not p.praised_packaging and p.n_online]

    def aov(ps) -> float | None:
        # completed online orders of customers paying in CNY (one currency, so values are comparable)
        cn = [p for p in ps if p.country == "CN"]
        n = sum(p.n_online for p in cn)
        return round(sum(p.net_revenue for p in cn) / n, 2) if n else None

    def gift_share(ps) -> float | None:
        n = sum(p.n_online for p in ps)
        return round(sum(p.n_gift_orders for p in ps) / n, 4) if n else None

    out = {
        "active_persons": len(active),
        "churn_rate_all": _rate([churned(p) for p in active]),
        "churn_rate_slow_service_complainers": _rate(slow),
        "churn_rate_other_persons": _rate(rest),
        "slow_service_complainers": len(slow),
        "churn_rate_detractors": _rate(detr),
        "churn_rate_promoters": _rate(prom),
        "packaging_praisers": len(praisers),
        "aov_cny_praisers": aov(praisers),
        "aov_cny_others": aov(others),
        "gift_share_praisers": gift_share(praisers),
        "gift_share_others": gift_share(others),
    }
    if out["churn_rate_slow_service_complainers"] and out["churn_rate_other_persons"]:
        out["slow_service_churn_lift"] = round(out["churn_rate_slow_service_complainers"] /
                                               out["churn_rate_other_persons"], 3)
    return out
