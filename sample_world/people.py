"""The true persons of the world, their contact details (and the ways they get written), browsers and devices."""

from __future__ import annotations

import datetime as dt
import math
import random

import numpy as np

from sample_world import catalog as cat
from sample_world.formats import DAY, IdPool
from sample_world.text import chinese_id_number


class Person:
    """One real person. Everything the simulation needs to know about them, plus what it learns on the way."""

    __slots__ = (
        "idx", "person_id", "country", "city", "gender", "first", "last", "birth", "email", "phone",
        "loyalty_card", "customer_id", "signup_ws", "opt_in", "satisfaction", "hazard", "purchase_rate",
        "store_share", "channel_weights", "gift_lover", "home_store", "id_number", "web_rate", "app_rate",
        "browsers", "devices", "handles", "crm_dup", "dup_customer_id", "dup_ws", "member_plan", "member_start",
        "member_end", "alive_at_start", "churn_ws", "first_active_ws", "prospect_ws", "complained",
        "slow_complaint_ws", "nps_scores", "n_orders", "net_revenue", "n_gift_orders", "praised_packaging",
        "bad_experiences", "crash_prone", "is_member_ever", "dormant",
        "n_online",
    )

    def __init__(self, idx: int) -> None:
        self.idx = idx
        self.person_id = f"P{idx + 1:06d}"
        self.browsers: list[int] = []
        self.devices: list[int] = []
        self.handles: list[tuple[str, str]] = []
        self.complained: set[str] = set()
        self.slow_complaint_ws: int | None = None
        self.nps_scores: list[int] = []
        self.n_orders = 0
        self.n_online = 0
        self.net_revenue = 0.0
        self.n_gift_orders = 0
        self.praised_packaging = False
        self.bad_experiences = 0
        self.crash_prone = False
        self.is_member_ever = False
        self.dup_customer_id: str | None = None
        self.dup_ws: int | None = None
        self.member_plan: str | None = None
        self.member_start: int | None = None
        self.member_end: int | None = None
        self.churn_ws: int | None = None
        self.dormant = False

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"


# -- contact writings -----------------------------------------------------------------------------------------
def phone_e164(country: str, digits: str) -> str:
    return {"CN": "+86", "GB": "+44", "US": "+1"}[country] + digits


def phone_writing(country: str, digits: str, rnd: random.Random) -> str:
    """The same number as people and systems type it."""
    d = digits
    if country == "CN":
        a, b, c = d[:3], d[3:7], d[7:]
        forms = (f"{a} {b} {c}", f"+86-{d}", d, d, f"+86 {a} {b} {c}", f"+86{d}", f"0086 {d}", f"{a}-{b}-{c}",
                 f"(+86) {d}", f"+86 {d}")
    elif country == "GB":
        forms = (f"+44 {d[:4]} {d[4:]}", f"0{d[:4]} {d[4:]}", f"+44{d}", f"0{d}", f"+44 (0){d[:4]} {d[4:]}",
                 f"0{d[:4]}-{d[4:]}")
    else:
        forms = (f"+1 ({d[:3]}) {d[3:6]}-{d[6:]}", f"{d[:3]}-{d[3:6]}-{d[6:]}", f"({d[:3]}) {d[3:6]}-{d[6:]}",
                 f"+1{d}", f"{d[:3]}.{d[3:6]}.{d[6:]}", f"1-{d[:3]}-{d[3:6]}-{d[6:]}")
    return rnd.choice(forms)


def email_writing(email: str, rnd: random.Random) -> str:
    x = rnd.random()
    if x < 0.78:
        return email
    local, domain = email.split("@")
    if x < 0.88:
        return local[:1].upper() + local[1:] + "@" + domain
    if x < 0.94:
        return email.upper()
    return " " + email + " "


def typo_word(word: str, rnd: random.Random) -> str:
    if len(word) < 3:
        return word + word[-1:]
    j = rnd.randrange(1, len(word) - 1)
    op = rnd.random()
    if op < 0.45:
        return word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    if op < 0.75:
        return word[:j] + word[j + 1 :]
    return word[:j] + rnd.choice("aeinorsu") + word[j + 1 :]


def email_variant_for_duplicate(email: str, person: Person, rnd: random.Random) -> str | None:
    local, domain = email.split("@")
    x = rnd.random()
    if x < 0.3:
        return typo_word(local, rnd) + "@" + domain
    if x < 0.5:
        return email.upper()
    if x < 0.7:
        alt = rnd.choice(("gmail.com", "outlook.com", "163.com", "qq.com", "icloud.com"))
        return local + "@" + (alt if alt != domain else "hotmail.com")
    if x < 0.82:
        return local + "@" + domain.replace(".com", ".con").replace("gmail", "gmial")
    if x < 0.92:
        return None
    return email


# -- population -------------------------------------------------------------------------------------------------
def _weighted(rnd: random.Random, items, weights):
    return rnd.choices(items, weights=weights, k=1)[0]


class Population:
    """Persons plus the browser and device tables that the clickstream generators index by number."""

    def __init__(self) -> None:
        self.persons: list[Person] = []
        # browsers (web anonymous ids): owner person index or -1 for visitors who never become customers
        self.browser_ids: list[str] = []
        self.browser_person: list[int] = []
        self.browser_device: list[int] = []  # index into catalog.DEVICE_TYPES
        # app devices
        self.device_ids: list[str] = []
        self.device_person: list[int] = []
        self.device_os: list[int] = []  # index into catalog.APP_OS
        self.device_lag: list[int] = []  # days until the device picks up a new release
        # social handles: (platform, handle) -> person index or -1
        self.handle_owner: dict[tuple[str, str], int] = {}
        self.handle_bio: dict[tuple[str, str], str] = {}
        self.handle_display: dict[tuple[str, str], str] = {}
        self.handle_published_id: dict[tuple[str, str], str] = {}
        self.public_handles: list[tuple[str, str]] = []
        self.prospect_browsers: list[int] = []
        self.prospect_devices: list[int] = []


def _hex(rnd: random.Random, n: int) -> str:
    return f"{rnd.getrandbits(4 * n):0{n}x}"


def _uuid(rnd: random.Random) -> str:
    h = _hex(rnd, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def make_population(customers: int, days: int, start_date: dt.date, rnd: random.Random, text_rnd) -> Population:
    pop = Population()
    used_emails: set[str] = set()
    used_phones: set[str] = set()
    used_handles: set[tuple[str, str]] = set()
    cards = IdPool(rnd, "L", 8)
    cids = IdPool(rnd, "C", 7)
    cities_by_country = {c: [x for x in cat.CITIES if x.country == c] for c in cat.COUNTRY_SHARE}
    stores_by_city: dict[str, list[int]] = {}
    for i, s in enumerate(cat.STORES):
        stores_by_city.setdefault(s.city, []).append(i)
    stores_by_country = {c: [i for i, s in enumerate(cat.STORES) if s.country == c] for c in cat.COUNTRY_SHARE}

    for idx in range(customers):
        p = Person(idx)
        p.country = _weighted(rnd, list(cat.COUNTRY_SHARE), list(cat.COUNTRY_SHARE.values()))
        cities = cities_by_country[p.country]
        p.city = _weighted(rnd, cities, [c.weight for c in cities]).name
        g = rnd.random()
        p.gender = "f" if g < 0.49 else "m" if g < 0.97 else "x"
        if p.country == "CN":
            p.last = rnd.choice(cat.CN_SURNAMES)
            p.first = rnd.choice(cat.CN_GIVEN)
        else:
            p.first = rnd.choice(cat.EN_FIRST_F if p.gender == "f" else cat.EN_FIRST_M)
            p.last = rnd.choice(cat.EN_LAST)
        age_days = int(rnd.triangular(18, 70, 31) * 365.25)
        p.birth = start_date - dt.timedelta(days=age_days)
        p.email = _make_email(p, rnd, used_emails)
        p.phone = _make_phone(p.country, rnd, used_phones)
        p.id_number = chinese_id_number(p.birth.strftime("%Y%m%d"), rnd, rnd.choice(cat.CN_ID_AREA))
        p.customer_id = cids.next()
        # lifecycle: about 45% were customers before the world starts
        if rnd.random() < 0.45:
            p.signup_ws = -int(rnd.uniform(1, 2.5 * 365) * DAY)
        else:
            p.signup_ws = int(rnd.uniform(0, 0.85 * days) * DAY)
        p.opt_in = rnd.random() < 0.6
        p.satisfaction = rnd.gauss(0.0, 1.0)
        # daily churn hazard: about 22% a year at average satisfaction, more when unhappy
        p.hazard = -math.log(1 - 0.22) / 365.0 * math.exp(-0.55 * p.satisfaction) / math.exp(0.55**2 / 2)
        p.purchase_rate = rnd.gammavariate(1.6, 14.0 / 1.6) / 365.0
        home = stores_by_city.get(p.city)
        p.home_store = rnd.choice(home) if home else rnd.choice(stores_by_country[p.country])
        p.store_share = rnd.betavariate(2, 4.5) if home else rnd.betavariate(1, 25)
        p.gift_lover = rnd.random() < 0.12
        p.loyalty_card = cards.next() if rnd.random() < (0.6 if home else 0.35) else None
        # channels: web, app, mini_program (WeChat mini-program only in China)
        has_app = rnd.random() < (0.7 if p.country == "CN" else 0.55)
        w_web = rnd.gammavariate(2, 1) * (0.6 if p.country == "CN" else 1.2)
        w_app = rnd.gammavariate(2, 1) * (1.0 if has_app else 0.0)
        w_mini = rnd.gammavariate(2, 1) * (0.9 if p.country == "CN" else 0.0)
        p.channel_weights = (w_web, w_app, w_mini)
        p.web_rate = rnd.gammavariate(1.5, 0.10 / 1.5) * (1.4 if w_web > w_app else 0.8)
        p.app_rate = rnd.gammavariate(1.5, 0.17 / 1.5) if has_app else 0.0
        # browsers
        for _ in range(1 if rnd.random() < 0.55 else 2 if rnd.random() < 0.75 else 3):
            pop.browser_person.append(idx)
            pop.browser_ids.append("anon_" + _hex(rnd, 16))
            pop.browser_device.append(_weighted(rnd, (0, 1, 2), (40, 50, 10) if p.country != "CN" else (25, 68, 7)))
            p.browsers.append(len(pop.browser_ids) - 1)
        if has_app:
            for _ in range(1 if rnd.random() < 0.85 else 2):
                os_i = _weighted(rnd, (0, 1, 2), (30, 48, 22) if p.country == "CN" else (56, 44, 0))
                pop.device_person.append(idx)
                pop.device_ids.append(_uuid(rnd))
                pop.device_os.append(os_i)
                pop.device_lag.append(int(rnd.expovariate(1 / 6.0)) if rnd.random() < 0.92 else 10_000)
                p.devices.append(len(pop.device_ids) - 1)
        # social handles
        if rnd.random() < 0.38:
            platforms = ("weibo", "xiaohongshu", "x") if p.country == "CN" else ("x", "instagram")
            weights = (50, 40, 10) if p.country == "CN" else (50, 50)
            n_handles = 1 if rnd.random() < 0.8 else 2
            chosen: list[str] = []
            for _ in range(n_handles):
                plat = _weighted(rnd, platforms, weights)
                if plat in chosen:
                    continue
                chosen.append(plat)
                handle = _make_handle(p, plat, rnd, used_handles)
                key = (plat, handle)
                p.handles.append(key)
                pop.handle_owner[key] = idx
                lang = "zh" if plat in ("weibo", "xiaohongshu") else "en"
                member_id = None
                if rnd.random() < 0.14:
                    member_id = p.loyalty_card or p.customer_id
                    pop.handle_published_id[key] = member_id
                ctx = {"city": p.city}
                pop.handle_bio[key] = text_rnd.bio(lang, ctx, member_id)
                pop.handle_display[key] = (
                    handle if rnd.random() < 0.3 else p.full_name if lang == "en" or rnd.random() < 0.3 else
                    rnd.choice(cat.CN_NICK_WORDS) + rnd.choice(cat.CN_NICK_NOUNS)
                )
        pop.persons.append(p)

    # visitors and app users who never become customers, and public social accounts
    for _ in range(int(customers * 1.6)):
        pop.browser_person.append(-1)
        pop.browser_ids.append("anon_" + _hex(rnd, 16))
        pop.browser_device.append(_weighted(rnd, (0, 1, 2), (30, 62, 8)))
        pop.prospect_browsers.append(len(pop.browser_ids) - 1)
    for _ in range(int(customers * 0.25)):
        pop.device_person.append(-1)
        pop.device_ids.append(_uuid(rnd))
        pop.device_os.append(_weighted(rnd, (0, 1, 2), (35, 45, 20)))
        pop.device_lag.append(int(rnd.expovariate(1 / 8.0)))
        pop.prospect_devices.append(len(pop.device_ids) - 1)
    for _ in range(int(customers * 0.7)):
        plat = _weighted(rnd, cat.PLATFORMS, (20, 15, 40, 25))
        fake = Person(-1)
        fake.country = "CN" if plat in ("weibo", "xiaohongshu") else rnd.choice(("GB", "US", "CN"))
        fake.first = rnd.choice(cat.CN_GIVEN if fake.country == "CN" else cat.EN_FIRST_F + cat.EN_FIRST_M)
        fake.last = rnd.choice(cat.CN_SURNAMES if fake.country == "CN" else cat.EN_LAST)
        fake.birth = start_date
        handle = _make_handle(fake, plat, rnd, used_handles)
        key = (plat, handle)
        pop.handle_owner[key] = -1
        pop.public_handles.append(key)
        lang = "zh" if plat in ("weibo", "xiaohongshu") else "en"
        pop.handle_bio[key] = text_rnd.bio(lang, {}, None)
        pop.handle_display[key] = handle if rnd.random() < 0.5 else (
            fake.full_name if lang == "en" else rnd.choice(cat.CN_NICK_WORDS) + rnd.choice(cat.CN_NICK_NOUNS))
    return pop


def _make_email(p: Person, rnd: random.Random, used: set[str]) -> str:
    domains = cat.EMAIL_DOMAINS[p.country]
    for attempt in range(100):
        domain = _weighted(rnd, [d for d, _ in domains], [w for _, w in domains])
        first, last = p.first.lower(), p.last.lower()
        yy = f"{p.birth.year % 100:02d}"
        nn = str(rnd.randint(1, 999))
        if domain == "qq.com" and rnd.random() < 0.7:
            local = str(rnd.randint(10**7, 10**10))
        else:
            local = rnd.choice((
                f"{first}.{last}", f"{first}{last}{nn}", f"{first[0]}{last}", f"{first}_{last}{yy}",
                f"{last}{first}{yy}", f"{last}.{first}{nn}", f"{first}{yy}",
            ))
        if attempt > 5:
            local += str(rnd.randint(10, 99999))
        email = f"{local}@{domain}"
        if email not in used:
            used.add(email)
            return email
    raise RuntimeError("could not draw a unique e-mail")


def _make_phone(country: str, rnd: random.Random, used: set[str]) -> str:
    while True:
        if country == "CN":
            digits = rnd.choice(cat.CN_MOBILE_PREFIXES) + f"{rnd.randint(0, 10**8 - 1):08d}"
        elif country == "GB":
            block = rnd.choice(("400", "500", "700", "800", "900", "911", "956"))
            digits = "7" + block + f"{rnd.randint(0, 999999):06d}"
        else:
            digits = rnd.choice(("212", "415", "310", "206", "312", "617", "646", "917")) + \
                f"{rnd.randint(200, 999)}{rnd.randint(0, 9999):04d}"
        if digits not in used:
            used.add(digits)
            return digits


def _make_handle(p: Person, platform: str, rnd: random.Random, used: set[tuple[str, str]]) -> str:
    for attempt in range(100):
        first, last = p.first.lower(), p.last.lower()
        if platform in ("weibo", "xiaohongshu") and rnd.random() < 0.6:
            handle = rnd.choice(cat.CN_NICK_WORDS) + rnd.choice(cat.CN_NICK_NOUNS) + str(rnd.randint(1, 9999))
        else:
            handle = rnd.choice((
                f"{first}{last}", f"{first}_{last}", f"{first}.{last}{rnd.randint(1, 99)}",
                f"{first}{rnd.choice(cat.PUBLIC_HANDLE_WORDS)}", f"{rnd.choice(cat.PUBLIC_HANDLE_WORDS)}_{first}",
                f"{last}{first[0]}{rnd.randint(1, 999)}", f"the{first}{last[0]}",
            ))
        if attempt > 3:
            handle += str(rnd.randint(1, 9999))
        if (platform, handle) not in used:
            used.add((platform, handle))
            return handle
    raise RuntimeError("could not draw a unique handle")


def diurnal_utc_weights(country: str) -> np.ndarray:
    """Hourly activity weights by UTC hour for people living in `country`."""
    local = np.array([0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.25, 0.5, 0.8, 0.9, 1.0, 1.05, 1.1, 1.0, 0.95, 0.95,
                      1.0, 1.05, 1.15, 1.35, 1.5, 1.45, 1.1, 0.55])
    off = cat.COUNTRY_TZ_HOURS[country]
    utc = np.roll(local, -off)
    return utc / utc.sum()
