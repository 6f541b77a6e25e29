"""High-volume sources generated per day with numpy: web clickstream, app events and order items.

Each day draws from its own random stream, builds whole columns as arrays of indices into tables of pre-quoted
string pieces, and joins the pieces into JSON or CSV lines with Arrow, so no Python object is created per field
or line.
"""

from __future__ import annotations

import numpy as np

from sample_world import catalog as cat
from sample_world.config import WorldConfig
from sample_world.export import Batch
from sample_world.formats import (
    DAY,
    ZONE_SUFFIXES,
    Z_CN,
    Z_UTC,
    Clock,
    fixed_strings,
    pick_zones,
    scramble,
    str_table,
)
from sample_world.people import Population, diurnal_utc_weights
from sample_world.rng import np_stream, salt
from sample_world.seasons import day_factor
from sample_world.sink import Sink

PAGE_VIEW, PRODUCT_VIEW, ADD_TO_CART, CHECKOUT, PURCHASE = range(5)
WEB_EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout", "purchase")
APP_OPEN, SCREEN_VIEW, FEATURE_USE, CRASH = range(4)
APP_EVENT_TYPES = ("app_open", "screen_view", "feature_use", "crash")
COUNTRIES = ("CN", "GB", "US")
NULL = "null"


MAX_DWELL_TENTHS = 18_000


def _json(value: str | None) -> str:
    return "null" if value is None else '"' + value + '"'


class _CustomerIds:
    """JSON customer ids (or null) followed by `after`, as a table indexed by person: entry i is person i's id,
    entry `null` is null, entry null + 1 + i is person i's second (CRM duplicate) id."""

    def __init__(self, pop: Population, after: str) -> None:
        persons = pop.persons
        self.null = len(persons)
        self.table = str_table([_json(p.customer_id) + after for p in persons] + ["null" + after]
                               + [_json(p.dup_customer_id) + after for p in persons])
        self._main = [p.customer_id for p in persons]

    def of_purchases(self, purchases: list[tuple]) -> np.ndarray:
        """Entries of the customer id each purchase (person index, customer id, ...) was made with."""
        return np.array([i if cid == self._main[i] else self.null + 1 + i for i, cid, *_ in purchases],
                        dtype=np.int64)


class PersonArrays:
    """Per-person arrays that say who is around on which day."""

    def __init__(self, pop: Population, cfg: WorldConfig) -> None:
        days = cfg.days
        persons = pop.persons
        self.n = len(persons)
        self.start_day = np.array([min(p.prospect_ws // DAY, days) for p in persons], dtype=np.int64)
        self.signup_day = np.array([max(p.signup_ws, 0) // DAY if p.signup_ws >= 0 else -1 for p in persons],
                                   dtype=np.int64)
        self.end_day = np.array([min((p.churn_ws if p.churn_ws is not None else days * DAY) // DAY, days)
                                 if not p.dormant else 0 for p in persons], dtype=np.int64)
        self.country = np.array([COUNTRIES.index(p.country) for p in persons], dtype=np.int64)
        self.web_rate = np.array([p.web_rate for p in persons], dtype=np.float64)
        self.app_rate = np.array([p.app_rate for p in persons], dtype=np.float64)
        self.browser_start = np.array([p.browsers[0] if p.browsers else 0 for p in persons], dtype=np.int64)
        self.browser_count = np.array([len(p.browsers) for p in persons], dtype=np.int64)
        self.device_start = np.array([p.devices[0] if p.devices else 0 for p in persons], dtype=np.int64)
        self.device_count = np.array([len(p.devices) for p in persons], dtype=np.int64)
        self.diurnal_cum = np.array([np.cumsum(diurnal_utc_weights(c)) for c in COUNTRIES])
        self.factor = np.array([day_factor(cfg.day_date(d)) for d in range(days)], dtype=np.float64)


def _times_of_day(rng: np.random.Generator, cum: np.ndarray, country: np.ndarray) -> np.ndarray:
    """UTC seconds of day drawn from each country's hourly activity profile."""
    u = rng.random(len(country))
    hours = np.empty(len(country), dtype=np.int64)
    for c in range(cum.shape[0]):
        m = country == c
        if m.any():
            hours[m] = np.minimum(np.searchsorted(cum[c], u[m] * cum[c][-1]), 23)
    return hours * 3600 + rng.integers(0, 3600, size=len(country))


def _session_positions(n_ev: np.ndarray):
    total = int(n_ev.sum())
    sess = np.repeat(np.arange(len(n_ev)), n_ev)
    starts = np.cumsum(n_ev) - n_ev
    pos = np.arange(total) - starts[sess]
    return sess, starts, pos


def _offsets(dwell_int: np.ndarray, sess: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Seconds from session start to each event (exclusive cumulative dwell within the session)."""
    excl = np.cumsum(dwell_int) - dwell_int
    return excl - excl[starts][sess]


def _align(rng, offsets, sess, starts, n_ev, last_idx, country_sess, cum, purchase_sec, is_purchase):
    """Start second of every session: purchase sessions end with their order's time, others follow the day
    profile; every event stays inside the UTC day. Returns (start_sec per session, scaled offsets)."""
    n_s = len(n_ev)
    last_off = offsets[last_idx] if n_s else np.zeros(0, dtype=np.int64)
    start = _times_of_day(rng, cum, country_sess)
    start = np.minimum(start, DAY - 1 - last_off)
    scale = np.ones(n_s)
    if is_purchase.any():
        ps = purchase_sec[is_purchase]
        lo = last_off[is_purchase]
        s = ps - lo
        neg = s < 0
        sc = np.where(neg, ps / np.maximum(lo, 1), 1.0)
        scale[is_purchase] = sc
        start[is_purchase] = np.where(neg, 0, s)
    if (scale != 1.0).any():
        offsets = np.floor(offsets * scale[sess]).astype(np.int64)
        # the purchase event must land exactly on the order's time
        offsets[last_idx[is_purchase]] = purchase_sec[is_purchase] - start[is_purchase]
    return start, offsets




class WebEvents:
    """Web clickstream sessions: browsing with a product-view -> cart -> checkout funnel and drop-off, some long
    dwells without purchase, and one purchase session per web order that ends at the order's time."""

    def __init__(self, cfg: WorldConfig, pop: Population, sink: Sink, clock: Clock, persons: PersonArrays):
        self.cfg = cfg
        self.sink = sink
        self.clock = clock
        self.pa = persons
        self.seed = cfg.seed
        self.tz_rate = cfg.messiness.mixed_timezone_rate
        self.event_salt = salt(cfg.seed, "web_event_id")
        self.session_salt = salt(cfg.seed, "web_session_id")
        self.browser_piece = str_table([a + '","login_id":' for a in pop.browser_ids])
        self.browser_device = np.array(pop.browser_device, dtype=np.int64)
        owner = np.array(pop.browser_person, dtype=np.int64)
        owner_country = np.where(owner >= 0, persons.country[np.maximum(owner, 0)], 0)
        prospect_region = (np.arange(len(owner)) % 5 == 0).astype(np.int64)  # visitors: mostly the Chinese site
        self.browser_region = np.where(owner >= 0, (owner_country > 0).astype(np.int64), prospect_region)
        self.prospects = np.array(pop.prospect_browsers, dtype=np.int64)
        k = len(self.prospects)
        w = 1.0 / (np.arange(k) + 3.0) ** 0.7 if k else np.zeros(0)
        self.prospect_p = w / w.sum() if k else w
        self.prospect_rate = cfg.customers * 0.04
        self.login = _CustomerIds(pop, ',"occurred_at":"')
        # type and offset suffix
        self.zone_type = str_table([z + '","event_type":"' + t + '","page_url":' for z in ZONE_SUFFIXES
                               for t in WEB_EVENT_TYPES])
        # url and product per (region, device) host and path
        paths = [p for p, _ in cat.WEB_PAGES]
        self.page_p = np.array([w for _, w in cat.WEB_PAGES], dtype=np.float64)
        self.page_p /= self.page_p.sum()
        self.n_pages = len(paths)
        products = [None] * len(paths) + [p.product_id for p in cat.PRODUCTS] + [None, None]
        all_paths = paths + [f"/products/{p.slug}" for p in cat.PRODUCTS] + ["/checkout", "/checkout/confirmation"]
        self.path_product0 = len(paths)
        self.path_checkout = len(paths) + len(cat.PRODUCTS)
        self.path_confirm = self.path_checkout + 1
        self.n_paths = len(all_paths)
        self.url_piece = str_table([
            _json(cat.WEB_HOSTS[(region, device)] + path) + ',"product_id":' + _json(prod) + ',"dwell_seconds":'
            for region in ("CN", "INT") for device in cat.DEVICE_TYPES for path, prod in zip(all_paths, products)
        ])
        self.dwell_piece = str_table([f"{i / 10:.1f}" + ',"referrer":' for i in range(MAX_DWELL_TENTHS + 1)])
        refs = [None]
        self.ref = {}
        for i, region in enumerate(("CN", "INT")):
            codes = []
            for u, _ in cat.REFERRERS[region]:
                if u not in refs:
                    refs.append(u)
                codes.append(refs.index(u))
            p = np.array([w for _, w in cat.REFERRERS[region]], dtype=np.float64)
            self.ref[i] = (np.array(codes, dtype=np.int64), p / p.sum())
        self.ref_dev_piece = str_table([_json(u) + ',"device_type":"' + d + '"}\n' for u in refs for d in cat.DEVICE_TYPES])
        self.prod_p = np.array([p.popularity for p in cat.PRODUCTS], dtype=np.float64)
        self.prod_p /= self.prod_p.sum()

    def day(self, day: int) -> Batch:
        pa = self.pa
        rng = np_stream(self.seed, "web_events", day)
        f = pa.factor[day]
        alive = (pa.start_day <= day) & (day < pa.end_day)
        n_per = rng.poisson(pa.web_rate * alive * f)
        cust = np.repeat(np.arange(pa.n), n_per)
        cust = cust[pa.browser_count[cust] > 0]
        c_browser = pa.browser_start[cust] + (rng.random(len(cust)) * pa.browser_count[cust]).astype(np.int64)
        c_has_login = pa.signup_day[cust] < day
        n_pros = int(rng.poisson(self.prospect_rate * f)) if len(self.prospects) else 0
        p_browser = self.prospects[rng.choice(len(self.prospects), size=n_pros, p=self.prospect_p)] if n_pros else \
            np.zeros(0, dtype=np.int64)
        purchases = self.sink.web_purchases[day]
        b_person = np.array([x[0] for x in purchases], dtype=np.int64)
        b_pick = (rng.random(len(b_person)) * pa.browser_count[b_person]).astype(np.int64)
        b_browser = pa.browser_start[b_person] + b_pick
        b_login = self.login.of_purchases(purchases)
        b_sec = np.array([x[2] - day * DAY for x in purchases], dtype=np.int64)
        b_prod = np.array([x[3] for x in purchases], dtype=np.int64)

        n_c, n_p, n_b = len(cust), n_pros, len(purchases)
        S = n_c + n_p + n_b
        if S == 0:
            return Batch()
        browser = np.concatenate([c_browser, p_browser, b_browser])
        login = np.concatenate([cust, np.full(n_p, self.login.null), b_login])
        has_login = np.concatenate([c_has_login, np.zeros(n_p, dtype=bool), np.ones(n_b, dtype=bool)])
        is_purchase = np.zeros(S, dtype=bool)
        is_purchase[n_c + n_p :] = True
        purchase_sec = np.zeros(S, dtype=np.int64)
        purchase_sec[n_c + n_p :] = b_sec
        purchase_prod = np.full(S, -1, dtype=np.int64)
        purchase_prod[n_c + n_p :] = b_prod
        owner_country = np.concatenate([pa.country[cust], (rng.random(n_p) < 0.2).astype(np.int64),
                                        pa.country[b_person]])
        region = self.browser_region[browser]

        n_browse = 1 + np.minimum(rng.geometric(0.3, size=S) - 1, 24)
        n_browse = np.where(is_purchase, np.maximum(n_browse, 2), n_browse)
        long_dwell = (~is_purchase) & (rng.random(S) < 0.07)
        n_browse = np.where(long_dwell, np.maximum(n_browse, 3), n_browse)
        cart = is_purchase | ((~long_dwell) & (rng.random(S) < 0.22))
        checkout = is_purchase | (cart & (rng.random(S) < 0.35))
        n_ev = n_browse + cart + checkout + is_purchase
        sess, starts, pos = _session_positions(n_ev)
        E = len(sess)
        nb = n_browse[sess]
        etype = np.where(pos < nb, np.where((pos > 0) & (rng.random(E) < 0.55), PRODUCT_VIEW, PAGE_VIEW),
                         ADD_TO_CART + (pos - nb))
        force_product = (pos == nb - 1) & cart[sess]
        etype = np.where(force_product, PRODUCT_VIEW, etype)
        product = np.where(etype == PRODUCT_VIEW, rng.choice(len(self.prod_p), size=E, p=self.prod_p), -1)
        pp = purchase_prod[sess]
        product = np.where(force_product & (pp >= 0), pp, product)
        prev = np.concatenate([[-1], product[:-1]])
        product = np.where(etype == ADD_TO_CART, prev, product)
        med = np.array([20.0, 40.0, 8.0, 60.0, 15.0])[etype]
        dwell = med * np.exp(rng.normal(0.0, 0.9, size=E))
        dwell = np.where(long_dwell[sess] & (etype == PRODUCT_VIEW), rng.uniform(180, 900, size=E), dwell)
        dwell = np.clip(dwell, 1.0, MAX_DWELL_TENTHS / 10)
        offsets = _offsets(dwell.astype(np.int64), sess, starts)
        last_idx = starts + n_ev - 1
        start, offsets = _align(rng, offsets, sess, starts, n_ev, last_idx, owner_country, pa.diurnal_cum,
                                purchase_sec, is_purchase)
        ws = day * DAY + start[sess] + offsets
        # login: browse sessions of signed-up customers sometimes log in; purchases log in before checkout
        logs_in = has_login & (is_purchase | (rng.random(S) < 0.4))
        login_pos = np.where(is_purchase, (rng.random(S) * (n_browse + 2)).astype(np.int64),
                             (rng.random(S) * n_ev).astype(np.int64))
        login_pos = np.where(logs_in, login_pos, 1 << 30)
        logged = pos >= login_pos[sess]
        path = np.where(etype == PAGE_VIEW, rng.choice(self.n_pages, size=E, p=self.page_p),
                        np.where(etype == CHECKOUT, self.path_checkout,
                                 np.where(etype == PURCHASE, self.path_confirm, self.path_product0 + product)))
        ref = np.zeros(E, dtype=np.int64)
        first = pos == 0
        for reg in (0, 1):
            m = first & (region[sess] == reg)
            cnt = int(m.sum())
            if cnt:
                codes, p = self.ref[reg]
                ref[m] = codes[rng.choice(len(codes), size=cnt, p=p)]
        zones = pick_zones(rng, E, Z_UTC, self.tz_rate)
        order = np.argsort(ws, kind="stable")
        sess, etype, path, dwell, ws, logged, ref, zones = (
            a[order] for a in (sess, etype, path, dwell, ws, logged, ref, zones))
        b = browser[sess]
        date_p, hms_p = self.clock.parts_array(ws, zones)
        ids = fixed_strings(E, [
            b'{"event_id":"we_', scramble((np.uint64(day) << np.uint64(32)) | np.arange(E, dtype=np.uint64),
                                          self.event_salt),
            b'","session_id":"ws_', scramble((np.uint64(day) << np.uint64(32)) | sess.astype(np.uint64),
                                            self.session_salt),
            b'","anonymous_id":"',
        ])
        host = self.browser_region[b] * 3 + self.browser_device[b]
        columns = [
            ids,
            (self.browser_piece, b),
            (self.login.table, np.where(logged, login[sess], self.login.null)),
            date_p,
            hms_p,
            (self.zone_type, zones * len(WEB_EVENT_TYPES) + etype),
            (self.url_piece, host * self.n_paths + path),
            (self.dwell_piece, np.round(dwell * 10).astype(np.int64)),
            (self.ref_dev_piece, ref * 3 + self.browser_device[b]),
        ]
        return Batch.from_columns(columns, key=(13, 32))


class AppEvents:
    """Mobile app sessions: open, screens and features, crashes (frequent on Android/HarmonyOS with the buggy
    release), and one checkout session per app order that ends with `pay` at the order's time."""

    def __init__(self, cfg: WorldConfig, pop: Population, sink: Sink, clock: Clock, persons: PersonArrays):
        self.cfg = cfg
        self.sink = sink
        self.clock = clock
        self.pa = persons
        self.seed = cfg.seed
        self.tz_rate = cfg.messiness.mixed_timezone_rate
        self.event_salt = salt(cfg.seed, "app_event_id")
        self.device_piece = str_table([d + '","user_id":' for d in pop.device_ids])
        self.device_os = np.array(pop.device_os, dtype=np.int64)
        self.device_lag = np.array(pop.device_lag, dtype=np.int64)
        self.prospects = np.array(pop.prospect_devices, dtype=np.int64)
        self.prospect_rate = cfg.customers * 0.012
        self.user = _CustomerIds(pop, ',"occurred_at":"')
        self.release_day = np.array([int(frac * cfg.days) for _, frac in cat.APP_RELEASES], dtype=np.int64)
        self.release_day[0] = -(10**6)
        versions = [v for v, _ in cat.APP_RELEASES]
        self.buggy = versions.index(cat.BUGGY_RELEASE)
        self.zone_type = str_table([z + '","event_type":"' + t + '","screen":' for z in ZONE_SUFFIXES
                               for t in APP_EVENT_TYPES])
        self.screen_names = [s for s, _ in cat.APP_SCREENS]
        sp = np.array([w for _, w in cat.APP_SCREENS], dtype=np.float64)
        self.screen_p = sp / sp.sum()
        features = [f for f, _ in cat.APP_FEATURES]
        fp = np.array([w for _, w in cat.APP_FEATURES], dtype=np.float64)
        self.feature_p = fp / fp.sum()
        self.feature_pay = features.index("pay")
        self.n_screens = len(self.screen_names) + 1  # last = null
        self.n_features = len(features) + 1
        self.screen_feature = str_table([_json(s) + ',"feature":' + _json(f) + ',"app_version":'
                                    for s in [*self.screen_names, None] for f in [*features, None]])
        reasons: list[str] = []
        self.reason_range: dict[tuple[int, bool], tuple[int, int]] = {}
        for os_i, os_name in enumerate(cat.APP_OS):
            for buggy in (True, False):
                lst = cat.CRASH_REASONS[(os_name, buggy)]
                self.reason_range[(os_i, buggy)] = (len(reasons), len(lst))
                reasons.extend(lst)
        self.n_reasons = len(reasons) + 1  # last = null
        self.version_os_reason = str_table([_json(v) + ',"os":' + _json(o) + ',"crash_reason":' + _json(r) + "}\n"
                                       for v in versions for o in cat.APP_OS for r in [*reasons, None]])

    def day(self, day: int) -> Batch:
        pa = self.pa
        rng = np_stream(self.seed, "app_events", day)
        f = pa.factor[day]
        alive = (pa.start_day <= day) & (day < pa.end_day) & (pa.signup_day <= day)
        n_per = rng.poisson(pa.app_rate * alive * f)
        cust = np.repeat(np.arange(pa.n), n_per)
        cust = cust[pa.device_count[cust] > 0]
        c_dev = pa.device_start[cust] + (rng.random(len(cust)) * pa.device_count[cust]).astype(np.int64)
        c_user = np.where(rng.random(len(cust)) < 0.85, cust, self.user.null)
        n_pros = int(rng.poisson(self.prospect_rate * f)) if len(self.prospects) else 0
        p_dev = self.prospects[rng.integers(0, len(self.prospects), size=n_pros)] if n_pros else \
            np.zeros(0, dtype=np.int64)
        purchases = [x for x in self.sink.app_purchases[day] if pa.device_count[x[0]] > 0]
        b_person = np.array([x[0] for x in purchases], dtype=np.int64)
        b_dev = pa.device_start[b_person] + (rng.random(len(b_person)) * pa.device_count[b_person]).astype(np.int64)
        b_user = self.user.of_purchases(purchases)
        b_sec = np.array([x[2] - day * DAY for x in purchases], dtype=np.int64)

        n_c, n_p, n_b = len(cust), n_pros, len(purchases)
        S = n_c + n_p + n_b
        if S == 0:
            return Batch()
        device = np.concatenate([c_dev, p_dev, b_dev])
        user = np.concatenate([c_user, np.full(n_p, self.user.null), b_user])
        is_purchase = np.zeros(S, dtype=bool)
        is_purchase[n_c + n_p :] = True
        purchase_sec = np.zeros(S, dtype=np.int64)
        purchase_sec[n_c + n_p :] = b_sec
        country = np.concatenate([pa.country[cust], np.zeros(n_p, dtype=np.int64), pa.country[b_person]])
        os_i = self.device_os[device]
        version = np.maximum(np.searchsorted(self.release_day, day - self.device_lag[device], side="right") - 1, 0)
        buggy = (version == self.buggy) & (os_i > 0)
        crash = (~is_purchase) & (rng.random(S) < np.where(buggy, 0.12, 0.004))

        n_ev = np.where(is_purchase, 5, 2 + rng.poisson(5.0, size=S))
        sess, starts, pos = _session_positions(n_ev)
        E = len(sess)
        etype = np.where(pos == 0, APP_OPEN, np.where(rng.random(E) < 0.6, SCREEN_VIEW, FEATURE_USE))
        screen = np.where(etype == SCREEN_VIEW, rng.choice(len(self.screen_p), size=E, p=self.screen_p), -1)
        feature = np.where(etype == FEATURE_USE, rng.choice(len(self.feature_p), size=E, p=self.feature_p), -1)
        # purchase sessions: open, product_detail, cart, checkout, pay
        ip = is_purchase[sess]
        seq_type = np.array([APP_OPEN, SCREEN_VIEW, SCREEN_VIEW, SCREEN_VIEW, FEATURE_USE])
        seq_screen = np.array([-1, self.screen_names.index("product_detail"), self.screen_names.index("cart"),
                               self.screen_names.index("checkout"), -1])
        pos_c = np.minimum(pos, 4)
        etype = np.where(ip, seq_type[pos_c], etype)
        screen = np.where(ip, seq_screen[pos_c], screen)
        feature = np.where(ip, np.where(pos == 4, self.feature_pay, -1), feature)
        crashing = crash[sess] & (pos == n_ev[sess] - 1)
        etype = np.where(crashing, CRASH, etype)
        feature = np.where(crashing, -1, feature)
        # a feature is used (or the app crashes) on the last screen viewed; the app starts on home
        home = self.screen_names.index("home")
        marker = np.where((etype == SCREEN_VIEW) | (pos == 0), np.arange(E), -1)
        last_mark = np.maximum.accumulate(marker)
        carried = np.where(etype[last_mark] == SCREEN_VIEW, screen[last_mark], home)
        screen = np.where((etype == FEATURE_USE) | (etype == CRASH), carried, screen)
        screen = np.where(etype == APP_OPEN, -1, screen)
        reason = np.full(E, -1, dtype=np.int64)
        for j in np.nonzero(crashing)[0].tolist():
            lo, cnt = self.reason_range[(int(os_i[sess[j]]), bool(buggy[sess[j]]))]
            reason[j] = lo + int(rng.integers(0, cnt))
        gap = np.clip(15.0 * np.exp(rng.normal(0.0, 1.0, size=E)), 1.0, 1800.0).astype(np.int64)
        offsets = _offsets(gap, sess, starts)
        last_idx = starts + n_ev - 1
        start, offsets = _align(rng, offsets, sess, starts, n_ev, last_idx, country, pa.diurnal_cum, purchase_sec,
                                is_purchase)
        ws = day * DAY + start[sess] + offsets
        zones = pick_zones(rng, E, Z_UTC, self.tz_rate)
        order = np.argsort(ws, kind="stable")
        sess, etype, screen, feature, reason, ws, zones = (
            a[order] for a in (sess, etype, screen, feature, reason, ws, zones))
        dev = device[sess]
        date_p, hms_p = self.clock.parts_array(ws, zones)
        ids = fixed_strings(E, [
            b'{"event_id":"ae_', scramble((np.uint64(day) << np.uint64(32)) | np.arange(E, dtype=np.uint64),
                                          self.event_salt),
            b'","device_id":"',
        ])
        screen = np.where(screen < 0, self.n_screens - 1, screen)
        feature = np.where(feature < 0, self.n_features - 1, feature)
        reason = np.where(reason < 0, self.n_reasons - 1, reason)
        columns = [
            ids,
            (self.device_piece, dev),
            (self.user.table, user[sess]),
            date_p,
            hms_p,
            (self.zone_type, zones * len(APP_EVENT_TYPES) + etype),
            (self.screen_feature, screen * self.n_features + feature),
            (self.version_os_reason, (version[sess] * len(cat.APP_OS) + os_i[sess]) * self.n_reasons + reason),
        ]
        return Batch.from_columns(columns, key=(13, 32))


class OrderItems:
    """Order lines as CSV, from the items the life simulation recorded per day."""

    def __init__(self, cfg: WorldConfig, sink: Sink, clock: Clock):
        self.cfg = cfg
        self.sink = sink
        self.clock = clock
        self.tz_rate = cfg.messiness.mixed_timezone_rate
        n_prod = len(cat.PRODUCTS)
        self.n_prod = n_prod
        self.line_product = str_table([f"{line},{p.product_id},{p.category},"
                                  for line in range(100) for p in cat.PRODUCTS])
        self.qty = str_table([f"{q}," for q in range(100)])
        self.zone_nl = str_table([z + "\n" for z in ZONE_SUFFIXES])
        self._price: dict[float, str] = {}

    def day(self, day: int) -> Batch:
        items = self.sink.items[day]
        self.sink.items[day] = []
        if not items:
            return Batch()
        rng = np_stream(self.cfg.seed, "order_items", day)
        items.sort(key=lambda x: x[0])  # by time; stable, so an order's lines stay in order
        n = len(items)
        ws = np.fromiter((x[0] for x in items), dtype=np.int64, count=n)
        line = np.fromiter((x[2] for x in items), dtype=np.int64, count=n)
        prod = np.fromiter((x[3] for x in items), dtype=np.int64, count=n)
        qty = np.fromiter((x[4] for x in items), dtype=np.int64, count=n)
        cache = self._price
        price = str_table([cache.get(x[5]) or cache.setdefault(x[5], f"{x[5]:.2f},") for x in items])
        zones = pick_zones(rng, n, Z_CN, self.tz_rate)
        date_p, hms_p = self.clock.parts_array(ws, zones)
        return Batch.from_columns([str_table([x[1] + "," for x in items]), (self.line_product, line * self.n_prod + prod),
                                   (self.qty, qty), price, date_p, hms_p, (self.zone_nl, zones)])
