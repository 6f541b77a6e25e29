"""Phone numbers to E.164 before hashing (dbt/macros/pii/normalise_phone.sql, the one implementation every
staging model uses): hand-written numbers in national and international writings, with and without the
record's country, compiled through dbt once and evaluated in DuckDB."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from voc360.settings import DBT_PROJECT_DIR

# (label, written number, record's city, record's store time zone)
CASES = [
    ("us_intl", "+1 (212) 555-1234", None, None),
    ("us_national", "(212) 555-1234", "New York", None),
    ("us_national_dots", "212.555.1234", "boston", None),
    ("us_with_1", "1-212-555-1234", None, "America/New_York"),
    ("us_00", "001 212 555 1234", None, None),
    ("us_other", "(212) 555-1235", "New York", None),
    ("uk_intl", "+44 7400 123456", None, None),
    ("uk_national", "07400 123456", "London", None),
    ("uk_national_zh_city", "07400-123456", "伦敦", None),
    ("uk_store", "07400 123456", None, "Europe/London"),
    ("uk_trunk_in_brackets", "+44 (0)7400 123456", None, None),
    ("uk_other", "07400 123457", "London", None),
    ("cn_plus", "+86 138 1234 5678", None, None),
    ("cn_0086", "0086 138 1234 5678", None, None),
    ("cn_paren", "(+86) 138-1234-5678", "New York", None),
    ("cn_bare", "13812345678", None, None),
    ("cn_bare_in_china", "138 1234 5678", "Shanghai", None),
    ("cn_86_no_plus", "86 138 1234 5678", "上海", None),
    ("cn_other", "+86 139 1234 5678", None, None),
    ("unknown_country_national", "(212) 555-1234", None, None),
    ("too_short", "12345", "London", None),
    ("letters", "n/a", "Shanghai", None),
]


def _sql_literal(value: str | None) -> str:
    return "null" if value is None else "'" + value.replace("'", "''") + "'"


@pytest.fixture(scope="module")
def normalised(tmp_path_factory) -> dict[str, dict[str, str | None]]:
    """label -> {e164, hash} for every case, through the project's own macros."""
    root = tmp_path_factory.mktemp("phones")
    rows = ", ".join(
        f"({_sql_literal(label)}, {_sql_literal(number)}, {_sql_literal(city)}, {_sql_literal(zone)})"
        for label, number, city, zone in CASES
    )
    country = "voc360.phone_country(city='city', timezone='store_timezone')"
    query = (
        f"select label, {{{{ voc360.normalise_phone('phone', {country}) }}}} as e164, "
        f"{{{{ voc360.hash_pii(voc360.normalise_phone('phone', {country})) }}}} as phone_hash "
        f"from (values {rows}) as cases(label, phone, city, store_timezone)"
    )
    env = {
        **os.environ,
        "VOC360_WAREHOUSE_PATH": str(root / "unused.duckdb"),
        "VOC360_PII_SALT": "phone-test-salt",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    compiled = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")), "compile", "--inline", query,
            "--vars", "{pii_salt: phone-test-salt}",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(root / "target"), "--log-path", str(root / "logs"), "--quiet", "--output", "text",
        ],
        env=env, capture_output=True, text=True, check=False,
    )
    assert compiled.returncode == 0, compiled.stdout[-3000:] + compiled.stderr[-3000:]
    with duckdb.connect() as con:
        result = con.execute(compiled.stdout).fetchall()
    return {label: {"e164": e164, "hash": phone_hash} for label, e164, phone_hash in result}


def test_national_and_international_writings_of_one_number_hash_equal(normalised):
    groups = {
        "+12125551234": ["us_intl", "us_national", "us_national_dots", "us_with_1", "us_00"],
        "+447400123456": ["uk_intl", "uk_national", "uk_national_zh_city", "uk_store", "uk_trunk_in_brackets"],
        "+8613812345678": ["cn_plus", "cn_0086", "cn_paren", "cn_bare", "cn_bare_in_china", "cn_86_no_plus"],
    }
    for e164, labels in groups.items():
        assert {normalised[label]["e164"] for label in labels} == {e164}, labels
        assert len({normalised[label]["hash"] for label in labels}) == 1, labels


def test_different_numbers_hash_differently(normalised):
    numbers = ["us_intl", "us_other", "uk_intl", "uk_other", "cn_plus", "cn_other"]
    hashes = [normalised[label]["hash"] for label in numbers]
    assert None not in hashes and len(set(hashes)) == len(numbers)


def test_a_number_with_a_written_country_code_ignores_the_records_country(normalised):
    # a Chinese mobile given in a New York record keeps its +86
    assert normalised["cn_paren"]["e164"] == "+8613812345678"


def test_a_national_writing_without_a_known_country_is_kept_as_digits_and_junk_is_null(normalised):
    # "(212) 555-1234" could be a number of many countries: kept apart from +1 rather than guessed
    assert normalised["unknown_country_national"]["e164"] == "2125551234"
    assert normalised["too_short"] == {"e164": None, "hash": None}
    assert normalised["letters"] == {"e164": None, "hash": None}
