"""Find personal data in the clear: in database tables, in Dagster's event log, in any text.

Detection is by pattern (ml.text.find_pii: e-mails, phones including Chinese mobiles, Chinese ID numbers,
Luhn-valid card numbers) and by the generator's ground truth (ground_truth/persons.csv): every person's
e-mail, phone digits and full name, and a value that is exactly someone's first or last name.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ml.text import find_pii

# A salted SHA-256 of PII is what staging keeps (64 hex characters), an MD5 is how the text step tells a changed
# text (32): digit runs of a hex digest can look like cards or phones. A metadata preview cuts long cells to 60
# characters and an ellipsis, so a digest may end there.
_HEX_DIGEST = re.compile(r"\b(?:[0-9a-f]{64}|[0-9a-f]{32})\b|\b[0-9a-f]{32,63}…")
# Decimal fractions (0.8234567891234567) have digit runs that can pass a Luhn check; they are no card.
_LONG_FRACTION = re.compile(r"(?<![\d.])\d+\.\d{4,}(?![\d.])")
_LATIN = re.compile(r"[A-Za-z]")
# An opaque identifier ("RSH00275931780", "ae_06079002266cc147", a dbt target folder such as
# "dbt_marts_4-96b0607-255551e"), alone or in a table of them: its digits are no one's phone or card. Not inside
# an e-mail address ("sarah98@..."). Known persons' phone digits are still looked for in it.
_IDENTIFIER = re.compile(r"(?<![\w.%+@-])[A-Za-z][A-Za-z_]*-?\d[\w-]*(?![\w.@-])")
_TEXT_TYPES = ("VARCHAR", "JSON")
_INTEGER_TYPES = ("BIGINT", "INTEGER", "HUGEINT", "UBIGINT")


@dataclass(frozen=True)
class Finding:
    where: str
    kind: str
    sample: str


class PiiScanner:
    def __init__(self, persons_csv: Path):
        with open(persons_csv, newline="", encoding="utf-8") as f:
            persons = list(csv.DictReader(f))
        self.emails = {p["email"].strip().lower() for p in persons if p["email"]}
        # national significant digits: what remains of +8613812345678 or +12065550100 without country code
        self.phones = {_national(p["phone_e164"]) for p in persons if p["phone_e164"]}
        full_names = set()
        self.name_parts = set()
        for p in persons:
            first, last = p["first_name"].strip(), p["last_name"].strip()
            if not first or not last:
                continue
            full_names |= {f"{first} {last}", f"{last} {first}", f"{last}{first}", f"{first}{last}"}
            self.name_parts |= {first.lower(), last.lower()}
        latin = sorted((n for n in full_names if _LATIN.search(n)), key=len, reverse=True)
        other = sorted((n for n in full_names if not _LATIN.search(n)), key=len, reverse=True)
        self._latin_names = re.compile(
            r"(?<![A-Za-z])(?:" + "|".join(map(re.escape, latin)) + r")(?![A-Za-z])", re.IGNORECASE
        )
        self._other_names = re.compile("|".join(map(re.escape, other))) if other else None

    def scan_text(self, text: str) -> list[tuple[str, str]]:
        """(kind, sample) of every kind of personal data in the text."""
        found = []
        unhashed = _HEX_DIGEST.sub("<hash>", text)
        cleaned = _IDENTIFIER.sub("<id>", _LONG_FRACTION.sub("0", unhashed))
        found += [(kind, text) for kind, count in find_pii(cleaned).items() if count]
        lowered = unhashed.lower()
        if any(e in lowered for e in self.emails):
            found.append(("known e-mail", text))
        digits = re.sub(r"\D", "", unhashed)
        if any(p in digits for p in self.phones):
            found.append(("known phone", text))
        name = self._latin_names.search(cleaned) or (self._other_names and self._other_names.search(cleaned))
        if name or cleaned.strip().lower() in self.name_parts:
            found.append(("name", text))
        return found

    def scan_texts(self, where: str, texts: Iterable[str]) -> list[Finding]:
        return [Finding(where, kind, sample[:200]) for text in texts for kind, sample in self.scan_text(text)]

    def scan_database(
        self,
        path: Path,
        schemas: Iterable[str] | None = None,
        skip: set[tuple[str, str, str]] = frozenset(),
    ) -> list[Finding]:
        """Every distinct value of every text and integer column of every table (of the given schemas), but
        the (schema, table, column) in `skip`."""
        findings = []
        with duckdb.connect(str(path), read_only=True) as con:
            for schema, table, column, data_type in _columns(con, schemas):
                if (schema, table, column) in skip:
                    continue
                if data_type in _TEXT_TYPES or "[]" in data_type or data_type.startswith(("STRUCT", "MAP")):
                    values = con.execute(
                        f'select distinct cast("{column}" as varchar) from "{schema}"."{table}" '
                        f'where "{column}" is not null'
                    ).fetchall()
                elif data_type in _INTEGER_TYPES:
                    # a phone number stored as a number
                    values = con.execute(
                        f'select distinct cast("{column}" as varchar) from "{schema}"."{table}" '
                        f'where "{column}" >= 1000000000'
                    ).fetchall()
                else:
                    continue
                findings += self.scan_texts(f"{path.name}:{schema}.{table}.{column}", (v[0] for v in values))
        return findings


def _columns(con: duckdb.DuckDBPyConnection, schemas: Iterable[str] | None) -> Iterator[tuple[str, str, str, str]]:
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() order by all"
    ).fetchall()
    wanted = set(schemas) if schemas is not None else None
    for schema, table, column, data_type in rows:
        if wanted is None or schema in wanted:
            yield schema, table, column, data_type


def _national(e164: str) -> str:
    digits = re.sub(r"\D", "", e164)
    for country in ("86", "44", "1"):
        if e164.startswith("+" + country):
            return digits[len(country):]
    return digits
