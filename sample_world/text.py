"""Free-text generation: varied sentences for a latent topic, in English or Chinese, with typos and PII."""

from __future__ import annotations

import dataclasses
import random

from sample_world import text_bank as tb
from sample_world.catalog import (
    AGENT_NAMES,
    APP_RELEASES,
    BRAND,
    BRAND_HANDLES,
    BUGGY_RELEASE,
    CITIES,
    CITY_BY_NAME,
    PRODUCTS,
    STORES,
    Product,
)


@dataclasses.dataclass(frozen=True)
class Text:
    text: str
    topic: str
    sentiment: str
    language: str
    pii: tuple[str, ...] = ()


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


class _Slots(dict):
    """Slot values for one text; a value missing from the context is drawn once and then reused."""

    def __init__(self, factory: TextFactory, ctx: dict) -> None:
        super().__init__(ctx)
        self._f = factory

    def __missing__(self, key: str) -> str:
        value = self._f._fill(key, self)
        self[key] = value
        return value


class TextFactory:
    """Draws texts from the phrase banks; all randomness comes from the given `random.Random`."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    # -- slots --------------------------------------------------------------------------------------------
    def _product(self, slots: dict) -> Product:
        p = slots.get("_product")
        if p is None:
            p = slots["_product"] = self.rnd.choice(PRODUCTS)
        return p

    def _fill(self, key: str, slots: dict) -> str:  # noqa: C901 - a flat lookup table of slot kinds
        r = self.rnd
        if key.endswith("_cap"):
            return _cap(slots[key[:-4]])
        if key in tb.SYNONYMS:
            return r.choice(tb.SYNONYMS[key])
        if key == "product":
            return self._product(slots).short
        if key == "product_cn":
            return self._product(slots).name_cn
        if key == "cat":
            return self._product(slots).noun
        if key == "days":
            return r.choice(tb.DAYS_PHRASES)
        if key == "hours":
            return r.choice(tb.HOURS_PHRASES)
        if key == "minutes":
            return r.choice(tb.MINUTES_PHRASES)
        if key == "n":
            return str(r.randint(2, 9))
        if key == "pct":
            return str(r.choice((10, 12, 15, 20, 25, 30, 40)))
        if key == "ordinal":
            return r.choice(tb.ORDINALS)
        if key == "weekday":
            i = r.randrange(7)
            slots["_weekday_i"] = i
            return tb.WEEKDAYS[i]
        if key == "weekday2":
            i = slots.get("_weekday_i")
            if i is None:
                slots["weekday"]
                i = slots["_weekday_i"]
            return tb.WEEKDAYS[(i + r.randint(2, 4)) % 7]
        if key == "order":
            return r.choice(("my order", "my last order", "my order", "the order"))
        if key == "city":
            return r.choice(CITIES).name
        if key == "city_cn":
            city = CITY_BY_NAME.get(slots.get("city", ""), None)
            return city.name_cn if city else r.choice(CITIES).name_cn
        if key == "store":
            return r.choice(STORES).city
        if key == "store_cn":
            return CITY_BY_NAME[slots["store"]].name_cn
        if key == "agent":
            return r.choice(AGENT_NAMES)
        if key == "price":
            p = self._product(slots)
            if slots.get("_currency") == "USD":
                return f"${p.price_usd:,.2f}"
            return r.choice(("¥", "RMB ", "CNY ")) + f"{p.price_cny:,.0f}"
        if key == "price_cn":
            return f"{self._product(slots).price_cny:.0f}元"
        if key == "ship":
            return "$5.99" if slots.get("_currency") == "USD" else "¥12"
        if key == "ver":
            return BUGGY_RELEASE if r.random() < 0.7 else r.choice(APP_RELEASES)[0]
        if key == "os":
            return r.choice(tuple(tb.OS_NAMES.values()))
        if key == "brand":
            return BRAND
        if key == "brand_handle":
            return BRAND_HANDLES["x"]
        if key in ("first", "cust"):
            return r.choice(("there", "Customer")) if key == "cust" else ""
        if key == "last":
            return ""
        if key == "digits":
            return str(r.randint(10**9, 10**10 - 1))
        if key in ("name",):
            return r.choice(("Mum", "Dad", "Sis", "Alex", "Sam", "Jamie", "Grandma", "babe", "Lily", "Tom"))
        if key == "me":
            return slots.get("first") or r.choice(("me", "us", "the kids"))
        if key == "ticket":
            return "T" + str(r.randint(10**6, 10**7 - 1))
        if key in ("handle", "member_id", "email", "phone", "id_number"):
            return ""
        raise KeyError(key)

    def _fmt(self, template: str, slots: _Slots) -> str:
        return template.format_map(slots)

    # -- typos --------------------------------------------------------------------------------------------
    def typos(self, text: str, rate: float) -> str:
        if rate <= 0:
            return text
        r = self.rnd
        words = text.split(" ")
        for i, w in enumerate(words):
            if len(w) >= 4 and w.isascii() and w.isalpha() and r.random() < rate:
                j = r.randrange(1, len(w) - 1)
                op = r.random()
                if op < 0.4:
                    w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
                elif op < 0.75:
                    w = w[:j] + w[j + 1 :]
                else:
                    w = w[:j] + w[j] + w[j:]
                words[i] = w
        return " ".join(words)

    # -- customer texts -----------------------------------------------------------------------------------
    _TYPO_RATE = {"social": 0.05, "ticket_message": 0.02, "survey": 0.03, "review_body": 0.02,
                  "review_title": 0.01, "ticket_subject": 0.01}
    _EXTRA_COUNTS = {"social": (0, 0, 0, 1, 1, 2), "ticket_message": (0, 1, 1, 2, 2, 3), "survey": (0, 0, 1, 1, 2),
                     "review_body": (0, 1, 1, 2, 3)}

    def customer(
        self,
        topic: str,
        kind: str,
        lang: str,
        ctx: dict | None = None,
        pii: dict[str, str] | None = None,
        single_line: bool = False,
        sentiment: str | None = None,
    ) -> Text:
        """A text written by a customer (or member of the public) about `topic`.

        kind: social, ticket_message, survey, review_body, review_title, ticket_subject.
        pii: values to write into the text (keys email, phone, id_number); each is included.
        """
        r = self.rnd
        bank = tb.TOPICS[topic]
        slots = _Slots(self, ctx or {})
        alt = bool(bank.alt_share) and (
            sentiment == bank.alt_sentiment if sentiment else r.random() < bank.alt_share
        )
        sent = bank.alt_sentiment if alt else bank.sentiment
        if kind in ("ticket_subject", "review_title"):
            text = self._short(bank, kind, lang, alt, slots)
            text = self.typos(text, self._TYPO_RATE[kind]) if lang == "en" else text
            return Text(text, topic, sent, lang)
        extra: list[str] = []
        kinds: list[str] = []
        if pii:
            bank_pii = tb.PII_SENTENCES_ZH if lang == "zh" else tb.PII_SENTENCES_EN
            for k in ("email", "phone", "id_number"):
                if pii.get(k):
                    extra.append(r.choice(bank_pii[k]).format(**{k: pii[k]}))
                    kinds.append(k)
        if lang == "zh":
            text = self._body_zh(bank, kind, alt, sent, slots, extra)
        else:
            text = self._body_en(bank, kind, alt, sent, slots, extra)
        if single_line:
            text = text.replace("\n", " ")
        return Text(text.strip(), topic, sent, lang, tuple(kinds))

    def _short(self, bank: tb.TopicBank, kind: str, lang: str, alt: bool, slots: _Slots) -> str:
        if kind == "ticket_subject":
            pool = bank.subjects_zh if lang == "zh" and bank.subjects_zh else bank.subjects_en
        elif alt and bank.alt_titles_en and lang == "en":
            pool = bank.alt_titles_en
        else:
            pool = bank.titles_zh if lang == "zh" and bank.titles_zh else bank.titles_en
        r = self.rnd
        text = self._fmt(r.choice(pool), slots)
        if kind == "ticket_subject":
            x = r.random()
            if x < 0.3 and slots.get("_order_id"):
                text += r.choice((" ({_order_id})", " - {_order_id}", " #{_order_id}", ", order {_order_id}")).format(
                    **slots)
            elif x < 0.45 and lang == "en":
                text += " - " + slots["product"]
            if r.random() < 0.15:
                text = r.choice(("Re: ", "Fwd: ", "URGENT ", "[Complaint] ", "RE: ")) + text
            return text
        x = r.random()
        if x < 0.25:
            text = (slots["product"] if lang == "en" else slots["product_cn"]) + ": " + text
        elif x < 0.4:
            text = text + " - " + (slots["product"] if lang == "en" else slots["product_cn"])
        y = r.random()
        if y < 0.15:
            text += r.choice(("!", "!!", "!!!", ".", "..."))
        elif y < 0.25:
            text += " " + r.choice(tb.EMOJI[self._title_sentiment(text, bank, alt)])
        elif y < 0.32:
            text = text.lower()
        return text

    @staticmethod
    def _title_sentiment(text: str, bank: tb.TopicBank, alt: bool) -> str:
        return bank.alt_sentiment if alt and bank.alt_sentiment else bank.sentiment

    def _body_en(self, bank: tb.TopicBank, kind: str, alt: bool, sent: str, slots: _Slots,
                 pii_sentences: list[str]) -> str:
        r = self.rnd
        core_pool = bank.alt_en if alt else bank.en
        extra_pool = tb.TOPICS["product_praise"].en_extra if alt else bank.en_extra
        sentences = [self._fmt(r.choice(core_pool), slots)]
        if kind in ("ticket_message", "review_body") and r.random() < 0.3:
            second = self._fmt(r.choice(core_pool), slots)
            if second != sentences[0]:
                sentences.append(second)
        n_extra = r.choice(self._EXTRA_COUNTS.get(kind, (0, 1)))
        if n_extra:
            for e in r.sample(extra_pool, min(n_extra, len(extra_pool))):
                sentences.append(self._fmt(e, slots))
        if kind == "social":
            opener_pool = tb.OPENERS_SOCIAL[sent]
        else:
            opener_pool = tb.OPENERS_EN.get(kind, ("",))
        opener = self._fmt(r.choice(opener_pool), slots)
        closers = tb.CLOSERS_BY_SENTIMENT[kind][sent] if kind in tb.CLOSERS_BY_SENTIMENT else \
            tb.CLOSERS_EN.get(kind, ("",))
        closer = self._fmt(r.choice(closers), slots)
        first = sentences[0]
        if opener[-1:] in (",", ":") or opener in ("Okay so", "So..."):
            if len(first) > 1 and first[0].isupper() and first[1].islower() and not first.startswith(BRAND):
                sentences[0] = first[0].lower() + first[1:]
        text = " ".join(s for s in (opener, *sentences, *pii_sentences, closer) if s)
        if kind == "social":
            if r.random() < 0.4:
                text += " " + "".join(r.choice(tb.EMOJI[sent]) for _ in range(r.randint(1, 3)))
            if r.random() < 0.12:
                text = text.lower()
            elif r.random() < 0.05:
                text = text.upper()
            if r.random() < 0.15 and sent != "neutral":
                text = text.rstrip(".") + r.choice(("!!", "!!!", "...", " 🙃"))
        elif kind in ("survey", "review_body") and r.random() < 0.12:
            text += " " + r.choice(tb.EMOJI[sent])
        return self.typos(text, self._TYPO_RATE.get(kind, 0.02))

    def _body_zh(self, bank: tb.TopicBank, kind: str, alt: bool, sent: str, slots: _Slots,
                 pii_sentences: list[str]) -> str:
        r = self.rnd
        core_pool = bank.alt_zh if alt else bank.zh
        parts = [self._fmt(r.choice(core_pool), slots)]
        if kind != "social" or r.random() < 0.5:
            second = self._fmt(r.choice(core_pool), slots)
            if second != parts[0]:
                parts.append(second)
        extra_pool = tb.TOPICS["product_praise"].zh_extra if alt else bank.zh_extra
        if extra_pool and r.random() < 0.5:
            parts.append(self._fmt(r.choice(extra_pool), slots))
        parts.extend(pii_sentences)
        opener_pool = tb.OPENERS_ZH_POSITIVE if sent == "positive" else tb.OPENERS_ZH
        text = r.choice(opener_pool) + "，".join(parts) + r.choice(tb.CLOSERS_ZH[sent])
        if kind == "social" and r.random() < 0.35:
            text += "".join(r.choice(tb.EMOJI[sent]) for _ in range(r.randint(1, 2)))
        if kind == "social" and r.random() < 0.3:
            text += " #" + r.choice(("Lumora", "数码", "耳机", "好物分享", "避雷", "开箱"))
        return text

    # -- other texts --------------------------------------------------------------------------------------
    def gift_note(self, lang: str, ctx: dict) -> Text:
        slots = _Slots(self, ctx)
        pool = tb.GIFT_NOTES_ZH if lang == "zh" else tb.GIFT_NOTES_EN
        text = self._fmt(self.rnd.choice(pool), slots)
        if self.rnd.random() < 0.3:
            text += " " + self.rnd.choice(("❤️", "🎂", "🎄", "🎁", "x", "xx", "🥳"))
        return Text(text.strip(), "gift_note", "positive", lang)

    def agent_reply(self, topic: str, lang: str, ctx: dict, apologise: bool, first: bool) -> Text:
        r = self.rnd
        slots = _Slots(self, ctx)
        if lang == "zh":
            parts = [r.choice(tb.AGENT_ZH[5:]) if apologise else "", r.choice(tb.AGENT_ZH[:5])]
            return Text("".join(parts), "agent_reply", "neutral", "zh")
        if not first:
            text = self._fmt(r.choice(tb.AGENT_FOLLOWUP_EN), slots)
            if r.random() < 0.5:
                text += " " + self._fmt(r.choice(tb.AGENT_CLOSE_EN), slots)
            return Text(text, "agent_reply", "neutral", "en")
        body_pool = tb.AGENT_BODY_EN.get(topic) or tb.AGENT_BODY_EN["other"]
        parts = [self._fmt(r.choice(tb.AGENT_OPEN_EN), slots)]
        if apologise:
            parts.append(r.choice(tb.AGENT_SLOW_APOLOGY_EN))
        parts.append(self._fmt(r.choice(body_pool), slots))
        parts.append(self._fmt(r.choice(tb.AGENT_CLOSE_EN), slots))
        return Text(" ".join(parts), "agent_reply", "neutral", "en")

    def agent_note(self, ctx: dict) -> Text:
        return Text(self._fmt(self.rnd.choice(tb.AGENT_NOTES), _Slots(self, ctx)), "agent_note", "neutral", "en")

    def system_created(self, ctx: dict) -> Text:
        t = self._fmt(self.rnd.choice(tb.SYSTEM_CREATED), _Slots(self, ctx))
        return Text(t, "system_notice", "neutral", "zh" if "工单" in t else "en")

    def system_closed(self, ctx: dict) -> Text:
        return Text(self._fmt(self.rnd.choice(tb.SYSTEM_CLOSED), _Slots(self, ctx)), "system_notice", "neutral", "en")

    def customer_ack(self, lang: str, ctx: dict) -> Text:
        r = self.rnd
        if lang == "zh":
            t = r.choice(tb.CUSTOMER_ACK_ZH) + r.choice(("", "！", "～", "，辛苦了", "，问题解决了", "，服务不错"))
            return Text(t, "other", "positive", "zh")
        slots = _Slots(self, ctx)
        parts = [self._fmt(r.choice(tb.CUSTOMER_ACK_EN), slots), self._fmt(r.choice(tb.CUSTOMER_ACK_EXTRA_EN), slots)]
        if r.random() < 0.5:
            parts.append(r.choice(("", "Thanks, ", "Regards, ", "- ")) + slots.get("first", ""))
        t = " ".join(x for x in parts if x)
        return Text(self.typos(t, 0.02), "other", "positive", "en")

    def customer_still(self, topic: str, lang: str, ctx: dict) -> Text:
        """A customer's follow-up on an open ticket: a chaser plus a restatement of the problem."""
        r = self.rnd
        if lang == "zh":
            return self.customer(topic, "ticket_message", "zh", ctx)
        slots = _Slots(self, ctx)
        bank = tb.TOPICS[topic]
        parts = [r.choice(tb.CUSTOMER_STILL_EN), self._fmt(r.choice(bank.en), slots)]
        if slots.get("_order_id") and r.random() < 0.4:
            parts.append(f"My order number is {slots['_order_id']}.")
        if r.random() < 0.4:
            parts.append(r.choice(("Thanks, ", "Regards, ", "")) + slots.get("first", ""))
        t = " ".join(x for x in parts if x)
        return Text(self.typos(t, 0.02), topic, bank.sentiment, "en")

    def brand_reply(self, lang: str, ctx: dict, positive: bool) -> Text:
        r = self.rnd
        if lang == "zh":
            pool = tb.BRAND_REPLY_ZH[1:2] + tb.BRAND_REPLY_ZH[3:] if positive else tb.BRAND_REPLY_ZH[::2]
            return Text("@" + ctx.get("handle", "") + " " + r.choice(pool), "brand_reply", "neutral", "zh")
        pool = tb.BRAND_REPLY_EN[2:4] if positive else tb.BRAND_REPLY_EN[:2] + tb.BRAND_REPLY_EN[4:]
        return Text(self._fmt(r.choice(pool), _Slots(self, ctx)), "brand_reply", "neutral", "en")

    def brand_post(self, lang: str) -> Text:
        pool = tb.BRAND_POSTS_ZH if lang == "zh" else tb.BRAND_POSTS_EN
        return Text(self._fmt(self.rnd.choice(pool), _Slots(self, {})), "brand_post", "neutral", lang)

    def comment(self, lang: str, reply_to_handle: str) -> Text:
        r = self.rnd
        slots = _Slots(self, {})
        pool = tb.COMMENTS_ZH if lang == "zh" else tb.COMMENTS_EN
        t = self._fmt(r.choice(pool), slots)
        if r.random() < 0.35:
            t += (" " if lang == "en" else "，") + self._fmt(r.choice(pool), slots)
        if r.random() < 0.4:
            t = "@" + reply_to_handle + " " + t
        if r.random() < 0.3:
            t += " " + r.choice(tb.EMOJI["neutral"] + tb.EMOJI["positive"])
        return Text(self.typos(t, 0.04) if lang == "en" else t, "other", "neutral", lang)

    def bio(self, lang: str, ctx: dict, member_id: str | None) -> str:
        r = self.rnd
        slots = _Slots(self, ctx)
        if member_id:
            pool = tb.BIO_ID_ZH if lang == "zh" else tb.BIO_ID_EN
            slots["member_id"] = member_id
            return self._fmt(r.choice(pool), slots)
        pool = tb.BIOS_ZH if lang == "zh" else tb.BIOS_EN
        return self._fmt(r.choice(pool), slots)


def chinese_id_number(birth_yyyymmdd: str, rnd: random.Random, area: str) -> str:
    """An 18-character number in the layout of a Chinese resident ID (with a valid check character)."""
    body = area + birth_yyyymmdd + f"{rnd.randint(0, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]
