"""The life of every person, event by event: sign-up, CRM edits, purchases, tickets, surveys, reviews,
social posts, bindings, membership, and churn.

Each person has a churn hazard. Bad experiences raise it a little; writing a complaint about slow service
raises it a lot (the planted effect); a detractor score raises it somewhat. A person stops buying and
interacting at their churn time. Records are handed to the `Sink` as they happen.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import itertools
import math
import random

import numpy as np

from sample_world import catalog as cat
from sample_world.config import WorldConfig
from sample_world.formats import DAY, HOUR, MINUTE, Clock, IdPool, money, money_str
from sample_world.people import (
    Person,
    Population,
    diurnal_utc_weights,
    email_variant_for_duplicate,
    email_writing,
    phone_writing,
    typo_word,
)
from sample_world.rng import Weighted
from sample_world.seasons import day_factor, gift_factor
from sample_world.sink import Sink
from sample_world.text import Text, TextFactory

YEAR = 365 * DAY
SLOW_COMPLAINT_FACTOR = 3.2  # hazard multiplier once a person complains about slow service
DETRACTOR_FACTOR = 1.35
BAD_EXPERIENCE_SATISFACTION = 0.3
# Customers who were already active before day 0 start living this many days earlier (nothing before day 0 is
# written), so that follow-ups of recent purchases (tickets, reviews, surveys) are in steady state from day 0.
WARMUP_DAYS = 45
SLOW_BASE = {"phone": 0.05, "chat": 0.07, "email": 0.16, "social": 0.2}
REPLY_MEDIAN = {"phone": 90.0, "chat": 240.0, "email": 5 * HOUR, "social": 3 * HOUR}
CHANNEL_WEIGHTS_TICKET = {"phone": 20, "chat": 35, "email": 30, "social": 15}
OS_LABEL = {"android": "Android", "harmonyos": "HarmonyOS", "ios": "iPhone"}
PRODUCTS_PER_ORDER = Weighted((1, 2, 3, 4), (60, 25, 10, 5))
LINE_QUANTITY = Weighted((1, 2, 3), (86, 11, 3))
MEMBERSHIP_PRICE = {("plus", "CNY"): 99.0, ("premium", "CNY"): 299.0, ("plus", "USD"): 19.99, ("premium", "USD"): 49.99}


@dataclasses.dataclass
class _Life:
    lam: float  # churn hazard per second
    churn_at: float
    heap: list
    seq: itertools.count

    def push(self, t: float, kind: str, data=None) -> None:
        heapq.heappush(self.heap, (t, next(self.seq), kind, data))

    def bump(self, t: float, factor: float) -> None:
        """Multiply the hazard from time t on (the remaining exponential budget is kept)."""
        t = max(t, 0.0)  # the churn clock of customers who predate the world starts on day 0
        if t >= self.churn_at:
            return
        remaining = (self.churn_at - t) * self.lam
        self.lam *= factor
        self.churn_at = t + remaining / self.lam


class Simulator:
    def __init__(self, cfg: WorldConfig, clock: Clock, pop: Population, sink: Sink, rnd: random.Random,
                 ids_rnd: random.Random, text: TextFactory, np_rng: np.random.Generator) -> None:
        self.cfg = cfg
        self.clock = clock
        self.pop = pop
        self.sink = sink
        self.r = rnd
        self.tf = text
        self.np = np_rng
        self.T = cfg.days * DAY
        first = -WARMUP_DAYS
        self._factor_first = first
        self.day_factor = [day_factor(cfg.day_date(d)) for d in range(first, cfg.days)]
        self.gift_factor = [gift_factor(cfg.day_date(d)) for d in range(first, cfg.days)]
        self.fmax = max(self.day_factor)
        self.understaffed = (int(0.35 * cfg.days) * DAY, max(int(0.55 * cfg.days), int(0.35 * cfg.days) + 1) * DAY)
        self.release_ws = [int(frac * cfg.days) * DAY for _, frac in cat.APP_RELEASES]
        self.order_ids = IdPool(ids_rnd, "O", 10)
        self.receipt_ids = IdPool(ids_rnd, "", 8)
        self.ticket_ids = IdPool(ids_rnd, "T", 7)
        self.message_ids = IdPool(ids_rnd, "M", 9)
        self.change_ids = IdPool(ids_rnd, "SC", 9)
        self.response_ids = IdPool(ids_rnd, "S", 8)
        self.review_ids = IdPool(ids_rnd, "RV", 8)
        self.member_ids = IdPool(ids_rnd, "ME", 8)
        self.binding_ids = IdPool(ids_rnd, "B", 8)
        self.dup_cids = IdPool(ids_rnd, "C", 7)
        self.post_ids = {
            "x": IdPool(ids_rnd, "x_", 19), "instagram": IdPool(ids_rnd, "ig_", 17),
            "weibo": IdPool(ids_rnd, "wb_", 16), "xiaohongshu": IdPool(ids_rnd, "xhs_", 18),
        }
        self.agents = [(f"AG{101 + i}", name) for i, name in enumerate(cat.AGENT_NAMES)]
        self.known_cids = {p.customer_id for p in pop.persons}
        self.public_by_platform: dict[str, list[tuple[str, str]]] = {}
        for key in pop.public_handles:
            self.public_by_platform.setdefault(key[0], []).append(key)
        self.product_choice = Weighted(range(len(cat.PRODUCTS)), [p.popularity for p in cat.PRODUCTS])
        self.gift_choice = Weighted(range(len(cat.PRODUCTS)),
                                    [p.popularity * (5 if p.category == "gift_sets" else 2 if p.giftable else 0.6)
                                     for p in cat.PRODUCTS])
        self._diurnal_cum = {}
        for country in cat.COUNTRY_SHARE:
            self._diurnal_cum[country] = list(itertools.accumulate(diurnal_utc_weights(country).tolist()))

    # -- helpers -------------------------------------------------------------------------------------------
    def _time_of_day(self, day: int, country: str) -> int:
        r = self.r
        cum = self._diurnal_cum[country]
        h = min(bisect.bisect_left(cum, r.random() * cum[-1]), 23)
        return day * DAY + h * HOUR + r.randrange(HOUR)

    def _lang(self, p: Person, share: float) -> str:
        return "zh" if p.country == "CN" and self.r.random() < share else "en"

    def _customer_ctx(self, p: Person, **extra) -> dict:
        ctx = {"first": p.first, "last": p.last, "cust": p.first, "city": p.city}
        ctx.update(extra)
        return ctx

    def _order_ref(self, order_id: str | None) -> str:
        if order_id is None:
            return self.r.choice(("my order", "my last order", "my order"))
        return self.r.choice((f"order {order_id}", order_id, f"order #{order_id}", f"my order {order_id}"))

    def _pii_for(self, p: Person, rate: float) -> dict[str, str] | None:
        r = self.r
        if r.random() >= rate:
            return None
        pii: dict[str, str] = {}
        x = r.random()
        if x < 0.45:
            pii["email"] = p.email
        elif x < 0.9:
            pii["phone"] = phone_writing(p.country, p.phone, r)
        else:
            pii["email"] = p.email
            pii["phone"] = phone_writing(p.country, p.phone, r)
        if p.country == "CN" and r.random() < 0.15:
            pii["id_number"] = p.id_number
        return pii

    def _cid(self, p: Person, t: float) -> str:
        if p.dup_customer_id and p.dup_ws is not None and t >= p.dup_ws and self.r.random() < 0.45:
            return p.dup_customer_id
        return p.customer_id

    def _note_text(self, p: Person, text: Text, t: float, life: _Life | None) -> None:
        """Per-person effects of a text the person wrote at time t (texts after the world's end are not written)."""
        if not 0 <= t < self.T:
            return
        if text.topic == "packaging_gift_praise":
            p.praised_packaging = True
        if text.topic == "slow_service_response" and life is not None:
            if p.slow_complaint_ws is None:
                p.slow_complaint_ws = int(t)
                life.push(t, "hazard", SLOW_COMPLAINT_FACTOR)
            else:
                life.push(t, "hazard", 1.15)

    # -- run -----------------------------------------------------------------------------------------------
    def run(self, progress=None) -> None:
        for p in self.pop.persons:
            self.person(p)
            if progress is not None:
                progress.update(1)
        self.public_social()

    def person(self, p: Person) -> None:
        r = self.r
        T = self.T
        p.alive_at_start = True
        if p.signup_ws < 0:
            pre_days = -p.signup_ws / DAY
            if r.random() > math.exp(-p.hazard * pre_days):
                p.dormant = True
                p.alive_at_start = False
                p.churn_ws = p.signup_ws + int(r.random() * -p.signup_ws)
                p.web_rate = p.app_rate = 0.0
        else:
            p.alive_at_start = False
        t0 = max(p.signup_ws, 0)
        snapshot_ws = r.randrange(0, 6 * HOUR)
        crm = self._crm_initial(p, snapshot_ws)
        dup_rate = self.cfg.messiness.crm_duplicate_rate
        dup_in_world = False
        if r.random() < dup_rate:
            if p.signup_ws < 0 and (p.dormant or r.random() < 0.4):
                p.dup_ws = p.signup_ws + int(r.random() * -p.signup_ws)
                self._crm_duplicate(p, p.dup_ws, snapshot_ws + r.randrange(60, 3600))
            else:
                dup_in_world = True
        if p.dormant:
            p.first_active_ws = T
            p.prospect_ws = T
            return
        p.first_active_ws = t0
        p.prospect_ws = max(0, p.signup_ws - int(r.uniform(0, 21) * DAY)) if p.signup_ws >= 0 else 0

        lam = p.hazard / DAY
        life = _Life(lam=lam, churn_at=t0 + r.expovariate(1.0) / lam, heap=[], seq=itertools.count())
        t_world = t0
        if p.signup_ws < 0:
            t0 = -min(WARMUP_DAYS * DAY, -p.signup_ws)  # survival to day 0 is already decided
        # scheduled events
        if p.signup_ws >= 0 and r.random() < 0.7:
            life.push(t0 + r.expovariate(1 / (2 * DAY)), "purchase")
        else:
            nxt = self._next_purchase(p, t0)
            if nxt is not None:
                life.push(nxt, "purchase")
        t = t_world
        while True:
            t += r.expovariate(0.6 / YEAR)
            if t >= T:
                break
            life.push(t, "crm_update")
        if dup_in_world:  # a second record while the person is still a customer
            p.dup_ws = int(t_world + r.uniform(0.05, 0.9) * (min(life.churn_at, T) - t_world))
            life.push(p.dup_ws, "crm_dup")
        if p.signup_ws < 0 and r.random() < 0.3:
            self._member_snapshot(p, life, snapshot_ws + r.randrange(3600, 4 * 3600))
        if p.handles:
            t = t_world
            while True:
                t += r.expovariate(2.5 / YEAR)
                if t >= T:
                    break
                life.push(t, "chatter")
            if p.signup_ws < 0 and r.random() < 0.4:  # bound before the world: opening balance on day 0
                self._on_bind(p, life, snapshot_ws + r.randrange(4 * 3600, 6 * 3600), r.choice(p.handles), crm)
            elif r.random() < 0.45:
                life.push(t_world + r.uniform(0, 200) * DAY, "bind", r.choice(p.handles))
        t = t0
        while True:
            t += r.expovariate(0.6 / YEAR)
            if t >= T:
                break
            life.push(t, "spont_ticket")
        self._plan_crash_issue(p, life, t0)

        while life.heap:
            t, _, kind, data = heapq.heappop(life.heap)
            if t >= life.churn_at or t >= T:
                break
            getattr(self, "_on_" + kind)(p, life, t, data, crm)
        p.churn_ws = int(life.churn_at)
        if p.churn_ws < T and p.member_end is not None and p.member_end > p.churn_ws and r.random() < 0.45:
            self._membership_event(p, p.churn_ws + r.randrange(60, 3 * HOUR), "cancel", p.member_start,
                                   p.member_end, None)

    # -- purchases -----------------------------------------------------------------------------------------
    def _next_purchase(self, p: Person, t: float) -> float | None:
        r = self.r
        rate = p.purchase_rate / DAY * self.fmax
        if rate <= 0:
            return None
        while True:
            t += r.expovariate(rate)
            if t >= self.T:
                return None
            if r.random() * self.fmax < self.day_factor[int(t // DAY) - self._factor_first]:
                return t

    def _on_purchase(self, p: Person, life: _Life, t: float, data, crm) -> None:
        r = self.r
        day = int(t // DAY)
        ws = self._time_of_day(day, p.country)
        if ws < p.signup_ws:
            ws = int(t)
        if r.random() < p.store_share:
            self._pos(p, life, day)
        else:
            w = p.channel_weights
            channel = r.choices(cat.CHANNEL_ORDER, weights=w if sum(w) > 0 else (1, 0, 0))[0]
            self._order(p, life, ws, channel)
        if p.member_plan is None and ws >= 0 and r.random() < 0.035:
            self._join(p, life, ws + r.randrange(120, 1800), crm)
        nxt = self._next_purchase(p, t)
        if nxt is not None:
            life.push(nxt, "purchase")

    def _pick_products(self, p: Person, gift: bool) -> list[int]:
        r = self.r
        n = PRODUCTS_PER_ORDER.pick(r)
        if p.gift_lover and r.random() < 0.4:
            n += 1
        choice = self.gift_choice if gift else self.product_choice
        chosen: list[int] = []
        for _ in range(n):
            i = choice.pick(r)
            if i not in chosen:
                chosen.append(i)
        return chosen

    def _order(self, p: Person, life: _Life, ws: int, channel: str) -> None:
        r = self.r
        sink = self.sink
        day = ws // DAY
        currency = "CNY" if p.country == "CN" else "USD"
        gift_p = (0.45 if p.gift_lover else 0.06) * self.gift_factor[day - self._factor_first]
        is_gift = r.random() < min(gift_p, 0.9)
        products = self._pick_products(p, is_gift)
        if not is_gift and any(cat.PRODUCTS[i].category == "gift_sets" for i in products):
            is_gift = r.random() < 0.5
        order_id = self.order_ids.next()
        gross = 0.0
        for line_no, i in enumerate(products, start=1):
            prod = cat.PRODUCTS[i]
            qty = LINE_QUANTITY.pick(r)
            if p.gift_lover and is_gift and r.random() < 0.25:
                qty += 1
            unit = prod.price_cny if currency == "CNY" else prod.price_usd
            gross += qty * unit
            if ws >= 0:
                sink.items[day].append((ws, order_id, line_no, i, qty, unit))
        gross = money(gross)
        discount = 0.0
        coupon = None
        if r.random() < 0.3:
            discount = money(gross * r.choice((0.05, 0.08, 0.1, 0.12, 0.15, 0.2)))
            if day >= self.cfg.drift_day and r.random() < 0.75:
                coupon = r.choice(cat.COUPONS_CN if currency == "CNY" else cat.COUPONS_INT)
        free_from = 199 if currency == "CNY" else 29
        shipping = 0.0 if gross >= free_from or p.member_plan else (12.0 if currency == "CNY" else 5.99)
        net = money(gross - discount + shipping)
        issue = self._plan_issue(p, products, day)
        x = r.random()
        status = "completed"
        if x < 0.04:
            status = "cancelled"
            issue = None
        elif x < 0.10 or (issue == "product_defect" and r.random() < 0.4):
            status = "refunded"
        cid = self._cid(p, ws)
        lang = self._lang(p, 0.2)
        gift_text = None
        if is_gift and r.random() < 0.65:
            gift_text = self.tf.gift_note(lang, {"first": p.first})
        shipping_city = p.city
        if is_gift and r.random() < 0.5:
            shipping_city = r.choice([c.name for c in cat.CITIES if c.country == p.country])
        row = {
            "order_id": order_id,
            "customer_id": cid,
            "channel": channel,
            "ordered_at": sink.ts(ws, sink.zone("orders")),
            "status": status,
            "currency": currency,
            "gross_amount": gross,
            "discount_amount": discount,
            "shipping_amount": shipping,
            "net_amount": net,
            "is_gift": is_gift,
            "gift_message": gift_text.text if gift_text else None,
            "shipping_city": shipping_city,
            "contact_email": email_writing(p.email, r) if r.random() < 0.92 else None,
            "contact_phone": phone_writing(p.country, p.phone, r) if r.random() < 0.8 else None,
            "coupon_code": coupon,
        }
        texts = (("gift_message", "customer", gift_text),) if gift_text else ()
        sink.emit("orders", ws, row, p.person_id, texts)
        if status == "completed" and ws >= 0:
            p.n_orders += 1
            p.n_online += 1
            p.net_revenue += net
            p.n_gift_orders += int(is_gift)
        if channel == "web" and ws >= 0:
            sink.web_purchases[day].append((p.idx, cid, ws, products[0]))
        elif channel == "app" and ws >= 0:
            sink.app_purchases[day].append((p.idx, cid, ws, products[0]))
        if status == "cancelled":
            return
        # follow-ups of an order placed before the world cannot point at it (it is in no landing file)
        info = {"order_id": order_id if ws >= 0 else None, "product": products[0], "currency": currency, "is_gift": is_gift,
                "issue": issue, "products": products}
        self._after_purchase(p, life, ws, info)

    def _plan_issue(self, p: Person, products: list[int], day: int) -> str | None:
        r = self.r
        peak = self.day_factor[day - self._factor_first] > 1.4
        if r.random() < (0.11 if peak else 0.06):
            return "delivery_delay"
        if any(i in cat.DEVICE_PRODUCTS for i in products) and r.random() < 0.04:
            return "product_defect"
        if any(i in cat.BATTERY_PRODUCTS for i in products) and r.random() < 0.035:
            return "battery_performance"
        if r.random() < 0.045:
            return "order_inquiry"
        if r.random() < 0.015:
            return "price_too_high"
        return None

    def _after_purchase(self, p: Person, life: _Life, ws: int, info: dict) -> None:
        r = self.r
        issue = info["issue"]
        if issue is not None:
            if issue in ("delivery_delay", "product_defect", "battery_performance"):
                life.push(ws + r.uniform(3, 8) * DAY, "bad", None)
            ticket_p, lo, hi = {
                "delivery_delay": (0.55, 4, 9), "product_defect": (0.8, 3, 40), "battery_performance": (0.45, 10, 60),
                "order_inquiry": (1.0, 0.01, 2), "price_too_high": (0.4, 2, 15),
            }[issue]
            if r.random() < ticket_p:
                life.push(ws + r.uniform(lo, hi) * DAY, "ticket", (issue, info))
            social_p = {"delivery_delay": 0.18, "product_defect": 0.2, "battery_performance": 0.15,
                        "price_too_high": 0.25}.get(issue, 0.0)
            if p.handles and r.random() < social_p:
                life.push(ws + r.uniform(lo, hi + 2) * DAY, "social", (issue, info))
        review_p = 0.13
        if issue in ("product_defect", "battery_performance"):
            review_p = 0.3
        elif info["is_gift"] and p.gift_lover:
            review_p = 0.35
        if r.random() < review_p:
            life.push(ws + r.uniform(2, 30) * DAY, "review", info)
        if r.random() < 0.2:
            life.push(ws + r.uniform(1, 8) * DAY, "nps", info)
        if info["is_gift"] and p.handles and r.random() < (0.22 if p.gift_lover else 0.05):
            life.push(ws + r.uniform(3, 10) * DAY, "social", ("packaging_gift_praise", info))

    def _pos(self, p: Person, life: _Life, day: int) -> None:
        r = self.r
        clock = self.clock
        store_i = p.home_store if r.random() < 0.93 else r.randrange(len(cat.STORES))
        store = cat.STORES[store_i]
        off = clock.utc_offset_hours(day * DAY + 12 * HOUR, store.timezone)
        while True:
            sec = r.randrange(DAY)
            local_h = (sec / HOUR + off) % 24
            if cat.STORE_OPEN_HOUR <= local_h < cat.STORE_CLOSE_HOUR - 0.25:
                break
        ws = day * DAY + sec
        products = self._pick_products(p, False)
        if store.country == "CN":
            prices = [cat.PRODUCTS[i].price_cny for i in products]
            pay = r.choices(("mobile_wallet", "card", "cash", "gift_card"), weights=(72, 18, 6, 4))[0]
        elif store.country == "GB":
            prices = [cat.PRODUCTS[i].price_gbp for i in products]
            pay = r.choices(("card", "mobile_wallet", "cash", "gift_card"), weights=(62, 28, 6, 4))[0]
        else:
            prices = [cat.PRODUCTS[i].price_usd for i in products]
            pay = r.choices(("card", "mobile_wallet", "cash", "gift_card"), weights=(66, 24, 6, 4))[0]
        total = sum(prices)
        if r.random() < 0.15:
            total *= 0.9
        item_count = len(products)
        if r.random() < 0.02:
            total = -total  # a return at the till
        x = r.random()
        phone = card = None
        if x < 0.38:
            phone = phone_writing(p.country, p.phone, r)
        elif x < 0.75 and p.loyalty_card:
            card = p.loyalty_card
        name = None
        if r.random() < 0.2:
            name = self._cashier_name(p)
        receipt_id = f"R{store.store_id}{self.receipt_ids.next()}"
        row = {
            "receipt_id": receipt_id,
            "store_id": store.store_id,
            "store_city": store.city,
            "store_timezone": store.timezone,
            "purchased_at": clock.naive_local(ws, store.timezone),
            "phone": phone,
            "loyalty_card": card,
            "customer_name": name,
            "item_count": item_count,
            "total_amount": money_str(total),
            "payment_method": pay,
        }
        self.sink.emit("pos_receipts", ws, row, p.person_id)
        if total > 0 and ws >= 0:
            p.n_orders += 1
        if r.random() < 0.08:
            info = {"order_id": None, "product": products[0], "currency": "CNY" if p.country == "CN" else "USD",
                    "is_gift": False, "issue": None, "products": products, "store": store.city}
            life.push(ws + r.uniform(1, 5) * DAY, "nps", info)
        if r.random() < 0.03 and p.handles:
            life.push(ws + r.uniform(0.1, 2) * DAY, "social", ("helpful_staff", {"store": store.city}))

    def _cashier_name(self, p: Person) -> str:
        r = self.r
        x = r.random()
        if x < 0.35:
            return p.full_name
        if x < 0.5:
            return f"{p.last} {p.first}"
        if x < 0.65:
            return ("Ms " if p.gender == "f" else "Mr ") + p.last
        if x < 0.85:
            return typo_word(p.first, r) + " " + p.last
        if x < 0.93:
            return p.full_name.upper()
        return p.first + " " + typo_word(p.last, r)

    # -- CRM -------------------------------------------------------------------------------------------------
    def _crm_row(self, rec: dict, updated_ws: int) -> dict:
        zone = self.sink.zone("crm_customers")
        row = dict(rec)
        row["signup_at"] = self.sink.ts(rec["signup_at"], zone)
        row["updated_at"] = self.sink.ts(updated_ws, zone)
        return row

    def _crm_initial(self, p: Person, snapshot_ws: int) -> dict:
        r = self.r
        city = p.city
        if r.random() < 0.04:
            city = r.choice((city.lower(), cat.CITY_BY_NAME[city].name_cn, city.upper()))
        rec = {
            "customer_id": p.customer_id,
            "first_name": p.first,
            "last_name": p.last,
            "email": email_writing(p.email, r) if r.random() < 0.95 else None,
            "phone": phone_writing(p.country, p.phone, r) if r.random() < 0.93 else None,
            "city": city,
            "birth_date": p.birth.isoformat() if r.random() < 0.88 else None,
            "gender": p.gender if r.random() < 0.9 else None,
            "loyalty_card": p.loyalty_card,
            "marketing_opt_in": p.opt_in,
            "signup_at": p.signup_ws,
            "updated_at": None,
        }
        updated = p.signup_ws if p.signup_ws >= 0 else snapshot_ws
        self.sink.emit("crm_customers", updated, self._crm_row(rec, updated), p.person_id)
        return rec

    def _crm_duplicate(self, p: Person, created_ws: int, emit_ws: int) -> dict:
        r = self.r
        while True:
            cid = self.dup_cids.next()
            if cid not in self.known_cids:
                self.known_cids.add(cid)
                break
        p.dup_customer_id = cid
        first, last = p.first, p.last
        x = r.random()
        if x < 0.35:
            first = typo_word(first, r)
        elif x < 0.6:
            last = typo_word(last, r)
        elif x < 0.72:
            first, last = last, first
        elif x < 0.82:
            first = first.lower()
            last = last.upper()
        rec = {
            "customer_id": cid,
            "first_name": first,
            "last_name": last,
            "email": email_variant_for_duplicate(p.email, p, r),
            "phone": phone_writing(p.country, p.phone, r) if r.random() < 0.75 else None,
            "city": p.city if r.random() < 0.85 else cat.CITY_BY_NAME[p.city].name_cn,
            "birth_date": p.birth.isoformat() if r.random() < 0.6 else None,
            "gender": p.gender if r.random() < 0.7 else None,
            "loyalty_card": None,
            "marketing_opt_in": r.random() < 0.5,
            "signup_at": created_ws,
            "updated_at": None,
        }
        self.sink.emit("crm_customers", emit_ws, self._crm_row(rec, emit_ws), p.person_id)
        return rec

    def _on_crm_dup(self, p: Person, life: _Life, t: float, data, crm) -> None:
        self._crm_duplicate(p, int(t), int(t))

    def _on_crm_update(self, p: Person, life: _Life, t: float, data, crm: dict) -> None:
        r = self.r
        x = r.random()
        if x < 0.3:
            crm["marketing_opt_in"] = not crm["marketing_opt_in"]
        elif x < 0.55:
            crm["phone"] = phone_writing(p.country, p.phone, r)
        elif x < 0.65:
            new_city = r.choice([c.name for c in cat.CITIES if c.country == p.country])
            p.city = new_city
            crm["city"] = new_city
        elif x < 0.75 and crm["loyalty_card"] is None and p.loyalty_card:
            crm["loyalty_card"] = p.loyalty_card
        elif x < 0.85:
            crm["email"] = p.email
        elif x < 0.93:
            crm["birth_date"] = p.birth.isoformat()
        else:
            crm["first_name"], crm["last_name"] = p.first, p.last
        self.sink.emit("crm_customers", int(t), self._crm_row(crm, int(t)), p.person_id)

    # -- membership ------------------------------------------------------------------------------------------
    def _membership_event(self, p: Person, ws: int, event_type: str, start: int | None, end: int | None,
                          amount: float | None) -> None:
        row = {
            "membership_event_id": self.member_ids.next(),
            "customer_id": p.customer_id,
            "plan": p.member_plan or "plus",
            "event_type": event_type,
            "period_start": self.clock.date_of(start) if start is not None else None,
            "period_end": self.clock.date_of(end) if end is not None else None,
            "amount": money_str(amount) if amount is not None else None,
            "occurred_at": self.sink.ts(ws, self.sink.zone("memberships")),
        }
        self.sink.emit("memberships", ws, row, p.person_id)

    def _price(self, p: Person) -> float:
        return MEMBERSHIP_PRICE[(p.member_plan, "CNY" if p.country == "CN" else "USD")]

    def _member_snapshot(self, p: Person, life: _Life, ws: int) -> None:
        """Opening balance on day 0: a pre-existing member's current period, with its real start and end."""
        r = self.r
        joined = int(r.uniform(max(p.signup_ws, -3 * YEAR), 0))
        k = (-joined) // YEAR
        start = joined + k * YEAR
        p.member_plan = "premium" if r.random() < 0.3 else "plus"
        p.member_start, p.member_end = start, start + YEAR
        p.is_member_ever = True
        self._membership_event(p, ws, "join" if k == 0 else "renew", start, start + YEAR, self._price(p))
        life.push(max(p.member_end + r.uniform(-14, 25) * DAY, HOUR), "member_due")

    def _join(self, p: Person, life: _Life, ws: int, crm: dict) -> None:
        r = self.r
        p.member_plan = "premium" if r.random() < 0.3 else "plus"
        p.member_start = (ws // DAY) * DAY
        p.member_end = p.member_start + YEAR
        p.is_member_ever = True
        self._membership_event(p, ws, "join", p.member_start, p.member_end, self._price(p))
        if crm["loyalty_card"] is None:
            if p.loyalty_card is None:
                p.loyalty_card = "L" + str(r.randint(10**7, 10**8 - 1))
            crm["loyalty_card"] = p.loyalty_card
            self.sink.emit("crm_customers", ws + 30, self._crm_row(crm, ws + 30), p.person_id)
        life.push(max(p.member_end + r.uniform(-14, 25) * DAY, HOUR), "member_due")

    def _on_member_due(self, p: Person, life: _Life, t: float, data, crm) -> None:
        r = self.r
        if r.random() < 0.1:  # lapses without churning as a customer
            p.member_plan = None
            p.member_start = p.member_end = None
            return
        start = p.member_end
        p.member_start, p.member_end = start, start + YEAR
        self._membership_event(p, int(t), "renew", start, start + YEAR, self._price(p))
        life.push(max(p.member_end + r.uniform(-14, 25) * DAY, HOUR), "member_due")

    # -- experiences and hazard ------------------------------------------------------------------------------
    def _on_bad(self, p: Person, life: _Life, t: float, data, crm) -> None:
        p.bad_experiences += 1
        p.satisfaction -= BAD_EXPERIENCE_SATISFACTION
        life.bump(t, math.exp(0.55 * BAD_EXPERIENCE_SATISFACTION))

    def _on_hazard(self, p: Person, life: _Life, t: float, factor: float, crm) -> None:
        life.bump(t, factor)

    def _plan_crash_issue(self, p: Person, life: _Life, t0: int) -> None:
        r = self.r
        if not p.app_rate:
            return
        buggy = [v for v, _ in cat.APP_RELEASES].index(cat.BUGGY_RELEASE)
        for d in p.devices:
            os_name = cat.APP_OS[self.pop.device_os[d]]
            lag = self.pop.device_lag[d]
            if os_name == "ios" or lag >= 1000:
                continue
            lo = self.release_ws[buggy] + lag * DAY
            hi = self.release_ws[buggy + 1] + lag * DAY
            if hi <= max(lo, t0):
                continue
            p.crash_prone = True
            if r.random() < 0.5:
                start = max(lo, t0)
                life.push(start + r.uniform(0.2, 0.8) * (hi - start), "crash_issue", os_name)
            return

    def _on_crash_issue(self, p: Person, life: _Life, t: float, os_name: str, crm) -> None:
        r = self.r
        info = {"order_id": None, "product": r.choice(cat.DEVICE_PRODUCTS), "currency": None, "is_gift": False,
                "issue": "app_crash", "products": [], "os": os_name}
        x = r.random()
        if x < 0.45:
            self._ticket(p, life, t, "app_crash", info)
        elif x < 0.75 and p.handles:
            self._customer_post(p, life, t, "app_crash", info)
        life.bump(t, 1.1)

    # -- tickets ---------------------------------------------------------------------------------------------
    def _on_ticket(self, p: Person, life: _Life, t: float, data, crm) -> None:
        issue, info = data
        self._ticket(p, life, t, issue, info)

    def _on_spont_ticket(self, p: Person, life: _Life, t: float, data, crm) -> None:
        r = self.r
        topic = r.choices(("order_inquiry", "other", "price_too_high", "battery_performance", "helpful_staff"),
                          weights=(45, 30, 10, 10, 5))[0]
        info = {"order_id": None, "product": r.randrange(len(cat.PRODUCTS)), "currency": None, "is_gift": False,
                "issue": topic, "products": []}
        self._ticket(p, life, t, topic, info)

    def _reply_delay(self, channel: str, slow: bool) -> float:
        r = self.r
        if slow:
            return r.uniform(26, 100) * HOUR
        return min(max(20.0, r.lognormvariate(math.log(REPLY_MEDIAN[channel]), 0.9)), 22 * HOUR)

    def _ticket(self, p: Person, life: _Life, t: float, topic: str, info: dict) -> None:
        r = self.r
        sink = self.sink
        tf = self.tf
        T = self.T
        t = int(t)
        channels = list(CHANNEL_WEIGHTS_TICKET)
        weights = [w if (c != "social" or p.handles) else 0 for c, w in CHANNEL_WEIGHTS_TICKET.items()]
        channel = r.choices(channels, weights=weights)[0]
        factor = 2.5 if self.understaffed[0] <= t < self.understaffed[1] else 1.0
        slow = r.random() < min(0.65, SLOW_BASE[channel] * factor)
        lang = self._lang(p, 0.12)
        ticket_id = self.ticket_ids.next()
        agent_id, agent_name = r.choice(self.agents)
        product = cat.PRODUCTS[info["product"]] if info.get("product") is not None else None
        order_ref = self._order_ref(info.get("order_id"))
        ctx = self._customer_ctx(p, _product=product, _currency=info.get("currency"), order=order_ref,
                                 agent=agent_name, ticket=ticket_id, _order_id=info.get("order_id"))
        if "os" in info:
            ctx["os"] = OS_LABEL[info["os"]]
        subject = tf.customer(topic, "ticket_subject", lang, ctx)
        customer_id = self._cid(p, t) if r.random() < 0.7 else None
        handle = r.choice(p.handles) if p.handles else None
        row = {
            "ticket_id": ticket_id,
            "customer_id": customer_id,
            "requester_email": email_writing(p.email, r) if channel == "email" or (
                channel == "chat" and r.random() < 0.6) or r.random() < 0.08 else None,
            "requester_phone": phone_writing(p.country, p.phone, r) if channel == "phone" or r.random() < 0.12
            else None,
            "requester_handle": ("@" + handle[1] if r.random() < 0.5 else handle[1]) if channel == "social" and handle
            else None,
            "channel": channel,
            "subject": subject.text,
            "priority": r.choices(("low", "normal", "high", "urgent"),
                                  weights=(15, 60, 18, 7) if topic != "product_defect" else (5, 50, 30, 15))[0],
            "created_at": sink.ts(t, sink.zone("tickets")),
        }
        if not sink.emit("tickets", t, row, p.person_id, (("subject", "customer", subject),)):
            return
        msgs: list[tuple[int, str, str | None, bool, Text]] = []
        status: list[tuple[int, str | None, str]] = [(t, None, "new")]
        body = tf.customer(topic, "ticket_message", lang, ctx, pii=self._pii_for(p, 0.12))
        msgs.append((t, "customer", None, True, body))
        self._note_text(p, body, t, life)
        if channel in ("email", "chat", "social") and r.random() < 0.85:
            msgs.append((t + r.randint(3, 90), "system", None, True, tf.system_created(ctx)))
        first_delay = int(self._reply_delay(channel, slow))
        t_first = t + max(first_delay, 30)
        note_at = None
        if r.random() < 0.3:
            note_at = t + int(first_delay * r.uniform(0.15, 0.85))
            msgs.append((max(note_at, t + 5), "agent", agent_id, False, tf.agent_note(ctx)))
        open_at = max(t + 2, t_first - r.randint(20, 600) if note_at is None else min(note_at, t_first) - 1)
        status.append((open_at, "new", "open"))
        if slow:
            n_follow = 1 if first_delay < 60 * HOUR else 2
            lo, hi = t + 18 * HOUR, t_first - HOUR
            times = sorted(int(r.uniform(lo, max(lo + 1, hi))) for _ in range(n_follow))
            for ft in times:
                if r.random() < 0.9:
                    follow = tf.customer("slow_service_response", "ticket_message", lang, ctx)
                    msgs.append((ft, "customer", None, True, follow))
                    self._note_text(p, follow, ft, life)
            if p.handles and r.random() < 0.35:
                life.push(times[0] + r.uniform(1, 20) * HOUR, "social", ("slow_service_response", info))
        msgs.append((t_first, "agent", agent_id, True, tf.agent_reply(topic, lang, ctx, slow, True)))
        status.append((t_first + r.randint(1, 60), "open", "pending"))
        cur = t_first
        agent_replies = 1
        for _ in range(r.choices((0, 1, 2), weights=(55, 30, 15))[0]):
            c_t = cur + int(r.uniform(0.5, 30) * HOUR)
            msgs.append((c_t, "customer", None, True, tf.customer_still(topic, lang, ctx)))
            status.append((c_t + 1, "pending", "open"))
            a_t = c_t + int(self._reply_delay(channel, slow and r.random() < 0.4))
            msgs.append((a_t, "agent", agent_id, True, tf.agent_reply(topic, lang, ctx, False, False)))
            status.append((a_t + r.randint(1, 60), "open", "pending"))
            cur = a_t + 60
            agent_replies += 1
        if r.random() < 0.5:
            ack_t = cur + int(r.uniform(0.2, 12) * HOUR)
            msgs.append((ack_t, "customer", None, True, tf.customer_ack(lang, ctx)))
            solved_t = ack_t + r.randint(60, 3600)
        else:
            solved_t = cur + r.randint(60, 2 * DAY)
        status.append((solved_t, "pending", "solved"))
        reopened = r.random() < 0.07
        if reopened:
            ro_t = solved_t + int(r.uniform(4, 72) * HOUR)
            msgs.append((ro_t, "customer", None, True, tf.customer_still(topic, lang, ctx)))
            status.append((ro_t + 1, "solved", "open"))
            a_t = ro_t + int(self._reply_delay(channel, False))
            msgs.append((a_t, "agent", agent_id, True, tf.agent_reply(topic, lang, ctx, False, False)))
            agent_replies += 1
            solved_t = a_t + r.randint(60, 6 * HOUR)
            status.append((solved_t, "open", "solved"))
        closed_t = solved_t + 4 * DAY + r.randint(0, 6 * HOUR)
        status.append((closed_t, "solved", "closed"))
        if r.random() < 0.5:
            msgs.append((closed_t, "system", None, True, tf.system_closed(ctx)))

        for ws, author, agent, public, text in msgs:
            mid = self.message_ids.next()
            mrow = {
                "message_id": mid,
                "ticket_id": ticket_id,
                "author_type": author,
                "agent_id": agent,
                "is_public": public,
                "sent_at": sink.ts(ws, sink.zone("ticket_messages")),
                "body": text.text,
            }
            sink.emit("ticket_messages", ws, mrow, p.person_id, (("body", author, text),))
        for ws, frm, to in status:
            srow = {
                "change_id": self.change_ids.next(),
                "ticket_id": ticket_id,
                "from_status": frm,
                "to_status": to,
                "changed_at": sink.ts(ws, sink.zone("ticket_status_changes")),
            }
            sink.emit("ticket_status_changes", ws, srow, p.person_id)
        self.sink.truth.tickets.append((
            ticket_id, p.person_id, topic, channel, slow, self.clock.iso(t, 0),
            self.clock.iso(t_first, 0) if t_first < T else "", (t_first - t) if t_first < T else "",
            reopened, agent_replies, self.clock.iso(solved_t, 0) if solved_t < T else "",
        ))
        if r.random() < 0.5:
            self._csat(p, life, solved_t + int(r.uniform(1, 48) * HOUR), ticket_id, customer_id, topic, slow,
                       lang, ctx)

    def _csat(self, p: Person, life: _Life, ws: int, ticket_id: str, customer_id: str | None, topic: str,
              slow: bool, lang: str, ctx: dict) -> None:
        r = self.r
        if slow:
            score = r.choice((1, 1, 2, 2, 2, 3))
        else:
            score = r.choice((5, 5, 5, 5, 4, 4, 4, 3, 2, 1))
        if r.random() < 0.05:
            score = None
        verbatim = None
        text = None
        if r.random() < 0.55:
            if slow:
                v_topic = "slow_service_response"
            elif score is not None and score >= 4:
                v_topic = "helpful_staff" if r.random() < 0.7 else "product_praise"
            elif topic in ("order_inquiry", "other", "helpful_staff"):
                v_topic = "slow_service_response" if r.random() < 0.3 else "order_inquiry"
            else:
                v_topic = topic
            text = self.tf.customer(v_topic, "survey", lang, ctx, pii=self._pii_for(p, 0.02), single_line=True)
            verbatim = text.text
        elif r.random() < 0.2:
            verbatim = r.choice(("", " ", "N/A", "-", "none"))
        row = {
            "response_id": self.response_ids.next(),
            "customer_id": customer_id or (p.customer_id if r.random() < 0.5 else None),
            "survey_type": "csat",
            "score": score,
            "verbatim": verbatim,
            "channel": r.choice(("email", "sms", "email", "web")),
            "ticket_id": ticket_id,
            "order_id": None,
            "responded_at": self.sink.ts(ws, self.sink.zone("surveys")),
        }
        texts = (("verbatim", "customer", text),) if text else ()
        if self.sink.emit("surveys", ws, row, p.person_id, texts) and text:
            self._note_text(p, text, ws, life)

    # -- surveys and reviews ---------------------------------------------------------------------------------
    def _on_nps(self, p: Person, life: _Life, t: float, info: dict, crm) -> None:
        r = self.r
        ws = int(t)
        if ws < 0:
            return
        recent_bad = 1 if p.bad_experiences else 0
        mean = 8.0 + 1.5 * p.satisfaction - 1.5 * recent_bad - 3.0 * (p.slow_complaint_ws is not None)
        score = int(min(10, max(0, round(r.gauss(mean, 1.3)))))
        p.nps_scores.append(score)
        lang = self._lang(p, 0.12)
        product = cat.PRODUCTS[info["product"]] if info.get("product") is not None else None
        ctx = self._customer_ctx(p, _product=product, _currency=info.get("currency"),
                                 order=self._order_ref(info.get("order_id")))
        if info.get("store"):
            ctx["store"] = info["store"]
        text = None
        verbatim = None
        if r.random() < 0.6:
            if score <= 6:
                options = ["price_too_high", "delivery_delay", "product_defect", "battery_performance"]
                if p.slow_complaint_ws is not None:
                    options += ["slow_service_response"] * 4
                if p.crash_prone:
                    options += ["app_crash"] * 2
                topic = r.choice(options)
            elif score <= 8:
                topic = r.choices(("price_too_high", "other", "product_praise", "delivery_delay"),
                                  weights=(40, 10, 35, 15))[0]
            else:
                topic = r.choices(("product_praise", "packaging_gift_praise", "helpful_staff"),
                                  weights=(50, 45 if p.gift_lover else 8, 20))[0]
            text = self.tf.customer(topic, "survey", lang, ctx, pii=self._pii_for(p, 0.02), single_line=True)
            verbatim = text.text
            self._note_text(p, text, ws, life)
        elif r.random() < 0.25:
            verbatim = r.choice(("", " ", "N/A", "-", "no comment"))
        row = {
            "response_id": self.response_ids.next(),
            "customer_id": self._cid(p, ws) if r.random() < 0.95 else None,
            "survey_type": "nps",
            "score": score,
            "verbatim": verbatim,
            "channel": r.choice(("email", "sms", "app", "web")),
            "ticket_id": None,
            "order_id": info.get("order_id"),
            "responded_at": self.sink.ts(ws, self.sink.zone("surveys")),
        }
        self.sink.emit("surveys", ws, row, p.person_id, (("verbatim", "customer", text),) if text else ())
        if score <= 6:
            life.bump(t, DETRACTOR_FACTOR)
        elif score >= 9:
            life.bump(t, 0.85)

    def _on_review(self, p: Person, life: _Life, t: float, info: dict, crm) -> None:
        r = self.r
        ws = int(t)
        if ws < 0:
            return
        issue = info["issue"]
        if issue in ("product_defect", "battery_performance", "price_too_high"):
            topic = issue
        elif issue == "delivery_delay" and r.random() < 0.5:
            topic = "delivery_delay"
        elif info["is_gift"] and (p.gift_lover or r.random() < 0.3):
            topic = "packaging_gift_praise"
        else:
            topic = r.choices(("product_praise", "price_too_high", "other", "battery_performance"),
                              weights=(65, 12, 13, 10))[0]
        battery_idx = [i for i in info["products"] if i in cat.BATTERY_PRODUCTS]
        prod_i = battery_idx[0] if topic == "battery_performance" and battery_idx else info["product"]
        product = cat.PRODUCTS[prod_i]
        lang = self._lang(p, 0.18)
        ctx = self._customer_ctx(p, _product=product, _currency=info.get("currency"),
                                 order=self._order_ref(info.get("order_id")))
        body = self.tf.customer(topic, "review_body", lang, ctx)
        title = self.tf.customer(topic, "review_title", lang, ctx, sentiment=body.sentiment)
        rating = {"positive": r.choice((4, 5, 5, 5)), "neutral": r.choice((3, 3, 4)),
                  "negative": r.choice((1, 1, 2, 2, 3))}[body.sentiment]
        row = {
            "review_id": self.review_ids.next(),
            "customer_id": self._cid(p, ws) if r.random() < 0.92 else None,
            "order_id": info["order_id"] if r.random() < 0.85 else None,
            "product_id": product.product_id,
            "rating": rating,
            "title": title.text if r.random() < 0.9 else None,
            "body": body.text,
            "language": lang,
            "created_at": self.sink.ts(ws, self.sink.zone("reviews")),
        }
        texts = [("body", "customer", body)]
        if row["title"] is not None:
            texts.append(("title", "customer", title))
        self.sink.emit("reviews", ws, row, p.person_id, tuple(texts))
        self._note_text(p, body, ws, life)

    # -- social ----------------------------------------------------------------------------------------------
    def _on_social(self, p: Person, life: _Life, t: float, data, crm) -> None:
        topic, info = data
        self._customer_post(p, life, t, topic, info)

    def _on_chatter(self, p: Person, life: _Life, t: float, data, crm) -> None:
        r = self.r
        topic = r.choices(("other", "product_praise", "price_too_high", "packaging_gift_praise", "battery_performance"),
                          weights=(50, 30, 10, 12 if p.gift_lover else 2, 6))[0]
        info = {"product": r.randrange(len(cat.PRODUCTS)), "currency": "CNY" if p.country == "CN" else "USD"}
        self._customer_post(p, life, t, topic, info)

    def _customer_post(self, p: Person, life: _Life, t: float, topic: str, info: dict) -> None:
        r = self.r
        key = r.choice(p.handles)
        lang = "zh" if key[0] in ("weibo", "xiaohongshu") and r.random() < 0.25 else "en"
        product = cat.PRODUCTS[info["product"]] if info.get("product") is not None else None
        ctx = self._customer_ctx(p, _product=product, _currency=info.get("currency"),
                                 order=self._order_ref(info.get("order_id")))
        if info.get("store"):
            ctx["store"] = info["store"]
        if info.get("os"):
            ctx["os"] = OS_LABEL[info["os"]]
        text = self.tf.customer(topic, "social", lang, ctx, pii=self._pii_for(p, 0.03))
        ws = int(t)
        if self._post(key, ws, text, p.person_id, "customer"):
            self._note_text(p, text, ws, life)

    def _post(self, key: tuple[str, str], ws: int, text: Text, person_id: str, author: str,
              reply_to: str | None = None, brand: bool = False) -> str | None:
        r = self.r
        platform, handle = key
        post_id = self.post_ids[platform].next()
        scale = 40.0 if brand else 3.0
        row = {
            "post_id": post_id,
            "platform": platform,
            "handle": handle,
            "author_display_name": self.pop.handle_display.get(key, handle),
            "author_bio": self.pop.handle_bio.get(key),
            "is_brand_account": brand,
            "posted_at": self.sink.ts(ws, self.sink.zone("social_posts")),
            "text": text.text,
            "language": text.language,
            "like_count": int(r.expovariate(1 / scale) * (3 if text.sentiment == "negative" else 1)),
            "share_count": int(r.expovariate(1 / (scale / 6))),
            "reply_to_post_id": reply_to,
        }
        if not self.sink.emit("social_posts", ws, row, person_id, (("text", author, text),)):
            return None
        if reply_to is None and not brand:
            self._reactions(post_id, key, ws, text)
        return post_id

    def _reactions(self, post_id: str, key: tuple[str, str], ws: int, text: Text) -> None:
        r = self.r
        platform, handle = key
        lang = text.language
        if text.sentiment != "neutral" and r.random() < (0.55 if text.sentiment == "negative" else 0.25):
            reply = self.tf.brand_reply(lang, {"handle": handle}, text.sentiment == "positive")
            t = ws + int(r.lognormvariate(math.log(3 * HOUR), 1.0))
            self._post((platform, cat.BRAND_HANDLES[platform]), t, reply, "", "brand", post_id, True)
        pool = self.public_by_platform.get(platform)
        if pool and r.random() < 0.15:
            for _ in range(r.randint(1, 3)):
                commenter = r.choice(pool)
                c_lang = "zh" if platform in ("weibo", "xiaohongshu") and r.random() < 0.3 else "en"
                t = ws + int(r.uniform(10 * MINUTE, 2 * DAY))
                self._post(commenter, t, self.tf.comment(c_lang, handle), "", "public", post_id)

    def public_social(self) -> None:
        """Posts by people who are not customers, and by the brand itself."""
        r = self.r
        topics = ("other", "product_praise", "price_too_high", "app_crash", "delivery_delay", "product_defect",
                  "battery_performance", "packaging_gift_praise", "slow_service_response", "helpful_staff")
        weights = (30, 17, 12, 8, 8, 8, 8, 4, 3, 2)
        lam = self.cfg.customers * 0.0045
        for day in range(self.cfg.days):
            n = int(self.np.poisson(lam * self.day_factor[day - self._factor_first]))
            for _ in range(n):
                key = r.choice(self.pop.public_handles)
                topic = r.choices(topics, weights=weights)[0]
                lang = "zh" if key[0] in ("weibo", "xiaohongshu") and r.random() < 0.25 else "en"
                info_product = r.choice(cat.PRODUCTS)
                text = self.tf.customer(topic, "social", lang, {"_product": info_product})
                ws = day * DAY + r.randrange(DAY)
                self._post(key, ws, text, "", "public")
            if r.random() < 0.35:
                platform = r.choice(cat.PLATFORMS)
                lang = "zh" if platform in ("weibo", "xiaohongshu") else "en"
                self._post((platform, cat.BRAND_HANDLES[platform]), day * DAY + r.randrange(DAY),
                           self.tf.brand_post(lang), "", "brand", None, True)

    # -- bindings --------------------------------------------------------------------------------------------
    def _binding(self, p: Person, ws: int, key: tuple[str, str], action: str) -> bool:
        row = {
            "binding_event_id": self.binding_ids.next(),
            "customer_id": p.customer_id,
            "platform": key[0],
            "handle": key[1],
            "action": action,
            "consent": action == "bind",
            "occurred_at": self.sink.ts(ws, self.sink.zone("account_bindings")),
        }
        return self.sink.emit("account_bindings", ws, row, p.person_id)

    def _on_bind(self, p: Person, life: _Life, t: float, key, crm) -> None:
        r = self.r
        if self._binding(p, int(t), key, "bind"):
            self.sink.truth.handles.append(("bind", key, p.person_id, int(t)))
            if r.random() < 0.22:
                life.push(t + r.uniform(5, 200) * DAY, "revoke", key)

    def _on_revoke(self, p: Person, life: _Life, t: float, key, crm) -> None:
        if self._binding(p, int(t), key, "revoke"):
            self.sink.truth.handles.append(("revoke", key, p.person_id, int(t)))
