"""Text helpers shared by the ML code: normalisation for hashing, PII masking and script detection.

Everything here is deterministic, dependency-free (standard library only) and safe to call on any string.

- `normalize_text` is the canonical form used to key the embedding cache: two texts that differ only in
  Unicode width/compatibility forms, case or whitespace share one key (and one vector).
- `mask_pii` replaces e-mail addresses, phone numbers, Chinese resident ID numbers, payment card numbers,
  social-media mentions and the name a writer signs with by placeholder tokens before free text reaches
  marts, embeddings or logs.
- `detect_script` tells Chinese from Latin-script text by the share of CJK characters, which is what the
  embedding layer needs to route a text to a representation that covers its script.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "EMAIL_TOKEN",
    "PHONE_TOKEN",
    "ID_TOKEN",
    "CARD_TOKEN",
    "NAME_TOKEN",
    "HANDLE_TOKEN",
    "normalize_text",
    "text_hash",
    "mask_pii",
    "find_pii",
    "luhn_valid",
    "cjk_share",
    "detect_script",
    "detect_scripts",
]

EMAIL_TOKEN = "<EMAIL>"
PHONE_TOKEN = "<PHONE>"
ID_TOKEN = "<ID>"
CARD_TOKEN = "<CARD>"
NAME_TOKEN = "<NAME>"
HANDLE_TOKEN = "<HANDLE>"

_WS = re.compile(r"\s+")


def normalize_text(text: str | None) -> str:
    """Canonical form of a text for hashing and de-duplication: NFKC, case-folded, whitespace collapsed.

    NFKC folds full-width letters and digits (common in Chinese input) into their ASCII forms, so
    ``"ＡＢＣ１２３"`` and ``"abc123"`` normalise alike. None becomes the empty string.
    """
    if text is None:
        return ""
    return _WS.sub(" ", unicodedata.normalize("NFKC", str(text)).casefold()).strip()


def text_hash(text: str | None) -> str:
    """sha256 (hex) of the normalised text: the key of a text in the embedding cache."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


# -- PII -------------------------------------------------------------------------------------------------------
# ASCII local part: a Chinese sentence runs straight into an address ("邮箱li.na@qq.com") without a space.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])"
)

# Chinese resident ID: 6-digit area, birth date YYYYMMDD, 3-digit sequence, check character (digit or X).
# The date must be plausible; the check character is not verified, so a mistyped number is still masked.
_CN_ID = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])"
)

# Payment cards: 13-19 digits, optionally grouped by spaces or dashes; masked only when the Luhn check passes.
_CARD = re.compile(r"(?<![\d+-])\d(?:[ -]?\d){12,18}(?![\d-])")

# Chinese mobile numbers (1[3-9]x xxxx xxxx) with the optional +86 / 0086 / (+86) prefix and any grouping.
_CN_MOBILE = re.compile(r"(?<![\d+])(?:(?:\(\+86\)|\+86|0086)[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
# International numbers written with a country code (+44 7400 123456, +1 (212) 555-1234, 0044 ...).
_INTL = re.compile(
    r"(?:(?<![\w+])\+|(?<![\w])00)[1-9]\d{0,2}(?:[\s.-]?\(0\))?(?:[\s.-]?\(?\d{1,5}\)?){1,6}(?!\d)"
)
# North American numbers without a country code: (212) 555-1234, 212-555-1234, 212.555.1234, 1-212-555-1234.
_NANP = re.compile(r"(?<![\d-])(?:1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d-])")
# National numbers with a trunk 0 (07400 123456, 07400-123456, 010-12345678, 07400123456): 10-11 digits.
_TRUNK = re.compile(r"(?<![\d-])0\d{2,4}[\s-]?\d{3,8}(?![\d-])")


def luhn_valid(digits: str) -> bool:
    """True when the string of digits passes the Luhn check (the checksum of payment card numbers)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def _sub_checked(pattern: re.Pattern[str], token: str, text: str, ok) -> str:
    return pattern.sub(lambda m: token if ok(m.group(0)) else m.group(0), text)


# A social-media mention (@lucasgreen): an account name, often the person's own name. E-mails are masked first.
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_]{2,30}\b")
# The name a message is signed with: "Thanks, Wei", "Cheers Frank.", "Kind regards,\nDan Wu", or one or two
# capitalised words standing alone after the last sentence ("... my last order? Yang"). Only at the very end
# of the text, so names of products or places inside sentences are left alone.
_NAME_WORD = r"[A-Z][a-z][a-z'\u2019-]*"
_SIGNOFF_NAME = re.compile(
    r"\b(?:(?:[Kk]ind |[Bb]est |[Ww]arm |[Mm]any )?[Rr]egards|[Cc]heers|[Tt]hanks|[Tt]hank you|[Bb]est|"
    rf"[Ss]incerely|[Yy]ours|[Ll]ove)[,!.]?\s+(?P<name>{_NAME_WORD}(?:[ \t]{_NAME_WORD})?)(?P<tail>\s*[.!]?\s*)$"
)
_TRAILING_NAME = re.compile(rf"[.!?]\s+(?P<name>{_NAME_WORD}(?:[ \t]{_NAME_WORD})?)(?P<tail>\s*)$")
# Words that end a message on their own without being a name.
_NOT_NAMES = frozenset({"Thanks", "Thank", "Cheers", "Please", "Regards", "Bye", "Help", "Best", "Sincerely",
                        "Avoid", "Disappointed", "Wow", "Yes", "No", "Ok", "Okay", "Again", "Soon", "Today",
                        "Tomorrow", "Everyone", "All", "Team", "Sir", "Madam"})


def _mask_signoff(text: str) -> str:
    for pattern in (_SIGNOFF_NAME, _TRAILING_NAME):
        m = pattern.search(text)
        if m is not None and m.group("name").split()[0] not in _NOT_NAMES:
            return text[: m.start("name")] + NAME_TOKEN + m.group("tail")
    return text


def mask_pii(text: str | None) -> str:
    """Replace personal data in free text by tokens: ``<EMAIL>``, ``<ID>``, ``<CARD>``, ``<PHONE>``, ``<NAME>``.

    Covered: e-mail addresses; Chinese resident ID numbers (18 characters with a plausible birth date);
    payment card numbers (13-19 digits, grouped or not, Luhn-valid); phone numbers: Chinese mobiles in any
    common writing (``13812345678``, ``138 1234 5678``, ``138-1234-5678``, ``+86-138...``, ``0086 138...``,
    ``(+86) 138...``), numbers with an international prefix (``+44 7400 123456``, ``+1 (212) 555-1234``),
    North American numbers (``(212) 555-1234``, ``212.555.1234``) and national numbers with a trunk zero
    (``07400 123456``, ``010-12345678``); @mentions; the name a message is signed with at its very end
    (``Thanks, Wei``, ``Kind regards,\nDan Wu``). Order numbers, dates, prices and short codes are left alone.
    The text is otherwise unchanged (no normalisation); None becomes the empty string.
    """
    if text is None:
        return ""
    out = _EMAIL.sub(EMAIL_TOKEN, str(text))
    out = _CN_ID.sub(ID_TOKEN, out)
    out = _CN_MOBILE.sub(PHONE_TOKEN, out)
    out = _sub_checked(_CARD, CARD_TOKEN, out, lambda s: luhn_valid(_digits(s)))
    out = _sub_checked(_INTL, PHONE_TOKEN, out, lambda s: 8 <= len(_digits(s)) <= 15)
    out = _NANP.sub(PHONE_TOKEN, out)
    out = _sub_checked(_TRUNK, PHONE_TOKEN, out, lambda s: 10 <= len(_digits(s)) <= 11)
    out = _HANDLE.sub(HANDLE_TOKEN, out)
    return _mask_signoff(out)


def find_pii(text: str | None) -> dict[str, int]:
    """How many of each kind of PII token `mask_pii` puts into the text (for audit counts, not the values)."""
    masked = mask_pii(text)
    return {
        "email": masked.count(EMAIL_TOKEN) - (text or "").count(EMAIL_TOKEN),
        "phone": masked.count(PHONE_TOKEN) - (text or "").count(PHONE_TOKEN),
        "id": masked.count(ID_TOKEN) - (text or "").count(ID_TOKEN),
        "card": masked.count(CARD_TOKEN) - (text or "").count(CARD_TOKEN),
    }


# -- script ----------------------------------------------------------------------------------------------------
def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= cp <= 0x4DBF  # Extension A
        or 0x20000 <= cp <= 0x2EBEF  # Extensions B-F
        or 0xF900 <= cp <= 0xFAFF  # Compatibility Ideographs
    )


def _is_kana_or_hangul(ch: str) -> bool:
    cp = ord(ch)
    return 0x3040 <= cp <= 0x30FF or 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF


def cjk_share(text: str | None) -> float:
    """Share of CJK ideographs among the letters of a text (0.0 when it has no letters)."""
    letters = [ch for ch in (text or "") if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(_is_cjk(ch) for ch in letters) / len(letters)


def detect_script(text: str | None, zh_threshold: float = 0.3) -> str:
    """'zh' when CJK ideographs are at least `zh_threshold` of the letters, 'en' for Latin-script text,
    'other' for anything else (other scripts, Japanese or Korean, or no letters at all).

    A letter here is one character counted by ``str.isalpha``: a Chinese text with a few English product
    names (``"我的iPhone屏幕坏了"``) is still 'zh'. 'en' means Latin script, not the English language: the
    English model handles other Latin-script languages poorly too, but that is the best this can tell
    without a language model.
    """
    letters = [ch for ch in (text or "") if ch.isalpha()]
    if not letters:
        return "other"
    n = len(letters)
    cjk = sum(_is_cjk(ch) for ch in letters)
    if cjk / n >= zh_threshold:
        if any(_is_kana_or_hangul(ch) for ch in letters):
            return "other"
        return "zh"
    latin = sum(ch.isascii() or "LATIN" in unicodedata.name(ch, "") for ch in letters)
    return "en" if latin / n >= 0.5 else "other"


def detect_scripts(texts: Iterable[str | None]) -> list[str]:
    """`detect_script` of each text."""
    return [detect_script(t) for t in texts]
