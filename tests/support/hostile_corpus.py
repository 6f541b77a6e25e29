"""A corpus of hostile landing files: what real exports send when something upstream goes wrong.

Each case is one file of one source on a day of its own, with the primary keys that must load and the
reasons (by line) of the lines that must be quarantined. The bytes are built here rather than committed:
most cases are about exact bytes (encodings, compression, a 10 MB field), which a text fixture in git
would not keep reliably.

`write_corpus(landing_dir)` writes every case to `<landing>/<source>/<day>/<file>`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

FIRST_DAY = dt.date(2026, 1, 5)
BIG_FIELD_CHARS = 10 * 1024 * 1024
SURVEY_COLUMNS = [
    "response_id", "customer_id", "survey_type", "score", "verbatim", "channel", "ticket_id", "order_id",
    "responded_at",
]
ITEM_COLUMNS = ["order_id", "line_number", "product_id", "product_category", "quantity", "unit_price", "ordered_at"]
CHINESE = "客服回复太慢了，但是包装很漂亮"


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    file_name: str
    content: bytes
    loaded: list[str]  # first primary-key column of the rows that must land, in file order
    rejected: dict[int, str] = field(default_factory=dict)  # line -> start of the reason
    day: dt.date = FIRST_DAY


def csv_line(values: list[str], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerow(values)
    return out.getvalue()[:-1]


def survey(response_id: str, **overrides: str) -> list[str]:
    row = {
        "response_id": response_id, "customer_id": "C1", "survey_type": "nps", "score": "9", "verbatim": "ok",
        "channel": "email", "ticket_id": "", "order_id": "", "responded_at": "2026-01-05T10:00:00+08:00",
        **overrides,
    }
    return [row[c] for c in SURVEY_COLUMNS]


def surveys_csv(*rows: list[str], delimiter: str = ",", newline: str = "\n") -> str:
    lines = [csv_line(SURVEY_COLUMNS, delimiter)] + [csv_line(r, delimiter) for r in rows]
    return newline.join(lines) + newline


def item(order_id: str, **overrides: str) -> list[str]:
    row = {
        "order_id": order_id, "line_number": "1", "product_id": "P1", "product_category": "bags", "quantity": "1",
        "unit_price": "99.5", "ordered_at": "2026-01-05T09:00:00Z", **overrides,
    }
    return [row[c] for c in ITEM_COLUMNS]


def items_csv(*rows: list[str]) -> str:
    return "\n".join([csv_line(ITEM_COLUMNS)] + [csv_line(r) for r in rows]) + "\n"


def review(review_id: str, **overrides: object) -> str:
    record = {
        "review_id": review_id, "customer_id": "C1", "order_id": None, "product_id": "P1", "rating": 4,
        "title": "Nice", "body": "Good bag", "language": "en", "created_at": "2026-01-05T10:00:00Z", **overrides,
    }
    return json.dumps(record, ensure_ascii=False)


def reviews_jsonl(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def gzip_bytes(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), mtime=0)


def _corrupted_gzip() -> bytes:
    """A gzip file whose deflate data is damaged in the middle (a bad block or a wrong checksum)."""
    data = bytearray(gzip_bytes(surveys_csv(*(survey(f"GZC{i}") for i in range(50)))))
    middle = len(data) // 2
    data[middle : middle + 8] = b"\xff" * 8
    return bytes(data)


TRUNCATED_GZIP_ROWS = 400


def truncated_gzip_case() -> Case:
    """Reviews gzip-compressed and cut in half (a copy that stopped early); which lines survive is up to zlib."""
    lines = (review(f"GZT{i:03d}", body=f"review number {i} " * 5) for i in range(TRUNCATED_GZIP_ROWS))
    data = gzip_bytes(reviews_jsonl(*lines))
    return Case("gzip_truncated", "reviews", "reviews.jsonl.gz", data[: len(data) // 2], loaded=[])


def cases() -> list[Case]:
    """Every case but the 10 MB fields (see big_field_cases), each on a day of its own."""
    listed = [
        # -- CSV structure ------------------------------------------------------------------------------
        Case("unbalanced_quotes", "surveys", "surveys.csv",
             (surveys_csv(survey("UQ1")) + 'UQ2,C2,nps,7,"never closed,email,,,2026-01-05T10:00:00Z\n'
              + csv_line(survey("UQ3")) + "\n").encode(),
             loaded=["UQ1", "UQ3"], rejected={3: "unbalanced quote"}),
        Case("semicolon_delimited_file", "surveys", "surveys.csv",
             surveys_csv(survey("SC1", verbatim="fast, friendly"), survey("SC2"), delimiter=";").encode(),
             loaded=["SC1", "SC2"]),
        Case("semicolon_row_in_comma_file", "surveys", "surveys.csv",
             (surveys_csv(survey("SR1")) + csv_line(survey("SR2"), ";") + "\n").encode(),
             loaded=["SR1"], rejected={3: "expected 9 fields, found 1"}),
        Case("embedded_newlines", "surveys", "surveys.csv",
             (surveys_csv(survey("NL1", verbatim="line one\nline two"))
              + 'NL2,C2,nps,8,ok,"em\nail",,,2026-01-05T10:00:00Z\n'
              + csv_line(survey("NL3")) + "\n").encode(),
             # NL1 spans lines 2-3; the line break inside a channel is a broken quote, both halves rejected
             loaded=["NL1", "NL3"], rejected={4: "unbalanced quote", 5: "unbalanced quote"}),
        Case("unquoted_newline", "surveys", "surveys.csv",
             (surveys_csv(survey("UN1")) + "UN2,C2,nps,9,line one\nline two,email,,,2026-01-05T10:00:00Z\n").encode(),
             loaded=["UN1"], rejected={3: "expected 9 fields, found 5", 4: "expected 9 fields, found 5"}),
        Case("crlf_line_endings", "surveys", "surveys.csv",
             surveys_csv(survey("CR1"), survey("CR2", verbatim="two\r\nlines"), newline="\r\n").encode(),
             loaded=["CR1", "CR2"]),
        Case("wrong_field_count", "surveys", "surveys.csv",
             (surveys_csv(survey("FC1")) + "FC2,C2,nps\n" + csv_line(survey("FC3") + ["extra"]) + "\n").encode(),
             loaded=["FC1"], rejected={3: "expected 9 fields, found 3", 4: "expected 9 fields, found 10"}),
        # -- encodings ----------------------------------------------------------------------------------
        Case("utf8_bom_csv", "surveys", "surveys.csv",
             codecs.BOM_UTF8 + surveys_csv(survey("BOM1", verbatim=CHINESE)).encode(), loaded=["BOM1"]),
        Case("utf8_bom_jsonl", "reviews", "reviews.jsonl",
             codecs.BOM_UTF8 + reviews_jsonl(review("BOMJ1", body=CHINESE)).encode(), loaded=["BOMJ1"]),
        Case("gb18030_csv", "surveys", "surveys.csv",
             surveys_csv(survey("GB1", verbatim=CHINESE), survey("GB2", verbatim="€ 与 𠀀")).encode("gb18030"),
             loaded=["GB1", "GB2"]),
        Case("gbk_jsonl", "reviews", "reviews.jsonl",
             reviews_jsonl(review("GBK1", body=CHINESE, language="zh"), review("GBK2")).encode("gbk"),
             loaded=["GBK1", "GBK2"]),
        Case("utf16_le_bom_csv", "surveys", "surveys.csv",
             surveys_csv(survey("U16L1", verbatim=CHINESE)).encode("utf-16"), loaded=["U16L1"]),
        Case("utf16_be_bom_jsonl", "reviews", "reviews.jsonl",
             codecs.BOM_UTF16_BE + reviews_jsonl(review("U16B1", body=CHINESE)).encode("utf-16-be"),
             loaded=["U16B1"]),
        Case("invalid_utf8_lines", "surveys", "surveys.csv",
             surveys_csv(survey("IU1", verbatim=CHINESE)).encode()
             + b"IU2,C2,nps,9,\xff\xfe broken,email,,,2026-01-05T10:00:00Z\n"
             + CHINESE.encode()[:4] + b",C3,nps,9,ok,email,,,2026-01-05T10:00:00Z\n"
             + (csv_line(survey("IU4", verbatim=CHINESE)) + "\n").encode(),
             loaded=["IU1", "IU4"], rejected={3: "invalid UTF-8", 4: "invalid UTF-8"}),
        # -- truncation and compression -----------------------------------------------------------------
        Case("truncated_csv", "surveys", "surveys.csv",
             (surveys_csv(survey("TC1")) + csv_line(survey("TC2"))[:20]).encode(),
             loaded=["TC1"], rejected={3: "expected 9 fields, found 6"}),
        Case("truncated_jsonl", "reviews", "reviews.jsonl",
             (review("TJ1") + "\n" + review("TJ2")[:40]).encode(), loaded=["TJ1"], rejected={2: "malformed JSON"}),
        Case("gzip_csv", "surveys", "surveys.csv.gz",
             gzip_bytes(surveys_csv(survey("GZ1", verbatim=CHINESE), survey("GZ2"))), loaded=["GZ1", "GZ2"]),
        Case("gzip_members_concatenated", "reviews", "reviews.jsonl.gz",
             gzip_bytes(reviews_jsonl(review("GZM1"))) + gzip_bytes(reviews_jsonl(review("GZM2"))),
             loaded=["GZM1", "GZM2"]),
        Case("gzip_corrupt", "surveys", "surveys.csv.gz", _corrupted_gzip(),
             loaded=[], rejected={1: "corrupt gzip data"}),
        Case("not_gzip_at_all", "surveys", "surveys.csv.gz", surveys_csv(survey("NG1")).encode(),
             loaded=[], rejected={1: "corrupt gzip data"}),
        # -- empty files --------------------------------------------------------------------------------
        Case("empty_csv", "surveys", "surveys.csv", b"", loaded=[]),
        Case("header_only_csv", "surveys", "surveys.csv", surveys_csv().encode(), loaded=[]),
        Case("bom_only_csv", "surveys", "surveys.csv", codecs.BOM_UTF8, loaded=[]),
        Case("empty_jsonl", "reviews", "reviews.jsonl", b"\n\n", loaded=[]),
        # -- values -------------------------------------------------------------------------------------
        Case("numbers_in_text_columns", "reviews", "reviews.jsonl",
             reviews_jsonl(review("NT1", title=3.5, body=42), review("NT2", title="12345")).encode(),
             loaded=["NT1", "NT2"]),
        Case("text_and_odd_numbers_in_numeric_columns", "order_items", "order_items.csv",
             items_csv(
                 item("NN1", unit_price=" 3.5 "),
                 item("NN2", quantity="two"),
                 item("NN3", quantity="1.5"),
                 item("NN4", quantity="99999999999"),
                 item("NN5", unit_price="nan"),
                 item("NN6", unit_price="1e400"),
                 item("NN7", unit_price="12,50"),
                 item("NN8", quantity="0x10"),
             ).encode(),
             loaded=["NN1"],
             rejected={
                 3: "column quantity: two is not a valid integer",
                 4: "column quantity: 1.5 is not a valid integer",
                 5: "column quantity: 99999999999 is not a valid integer",
                 6: "column unit_price: nan is not a valid double",
                 7: "column unit_price: 1e400 is not a valid double",
                 8: "column unit_price: 12,50 is not a valid double",
                 9: "column quantity: 0x10 is not a valid integer",
             }),
        Case("timestamps_in_many_formats", "surveys", "surveys.csv",
             surveys_csv(*(survey(f"TS{i}", responded_at=v) for i, v in enumerate(
                 list(TIMESTAMP_FORMATS) + UNREADABLE_TIMESTAMPS, start=1))).encode(),
             loaded=[f"TS{i}" for i in range(1, len(TIMESTAMP_FORMATS) + 1)],
             rejected={i + len(TIMESTAMP_FORMATS) + 1: "column responded_at:"
                       for i in range(1, len(UNREADABLE_TIMESTAMPS) + 1)}),
        Case("json_lines_that_are_not_objects", "reviews", "reviews.jsonl",
             reviews_jsonl(review("JA1"), "[1, 2, 3]", '"text"', "null", review("JA2")).encode(),
             loaded=["JA1", "JA2"],
             rejected={2: "JSON line is list, expected an object", 3: "JSON line is str, expected an object",
                       4: "JSON line is NoneType, expected an object"}),
    ]
    return [replace(case, day=FIRST_DAY + dt.timedelta(days=i)) for i, case in enumerate(listed)]


# Five ways of writing 2026-01-05 02:00:00 UTC that landing accepts and staging types to that instant.
TIMESTAMP_FORMATS = {
    "2026-01-05T10:00:00+08:00": dt.datetime(2026, 1, 5, 2, 0),
    "2026-01-05T02:00:00Z": dt.datetime(2026, 1, 5, 2, 0),
    "2026-01-05 02:00:00": dt.datetime(2026, 1, 5, 2, 0),
    "2026-01-04T21:00:00.250-0500": dt.datetime(2026, 1, 5, 2, 0, 0, 250_000),
    "2026-01-05 10:00+08": dt.datetime(2026, 1, 5, 2, 0),
}
# Ways that staging could not type to one instant (or not at all): rejected at landing.
UNREADABLE_TIMESTAMPS = [
    "05/01/2026 10:00", "Jan 5 2026 10:00", "1767578400", "2026-01-05 10:00:00 Asia/Shanghai", "infinity",
    "2026-02-30T10:00:00Z",
]


def big_field_cases(first_day: dt.date) -> list[Case]:
    """A 10 MB free-text field in a CSV and in a JSON line, between good records (built at test time)."""
    big = "x" * BIG_FIELD_CHARS
    return [
        Case("ten_mb_field_csv", "surveys", "surveys.csv",
             surveys_csv(survey("BF1"), survey("BF2", verbatim=big), survey("BF3")).encode(),
             loaded=["BF1", "BF3"], rejected={3: "unreadable CSV record: field larger than field limit"},
             day=first_day),
        Case("ten_mb_field_jsonl", "reviews", "reviews.jsonl",
             reviews_jsonl(review("BJ1"), review("BJ2", body=big), review("BJ3")).encode(),
             loaded=["BJ1", "BJ3"], rejected={2: f"column body: {BIG_FIELD_CHARS} characters, longer than"},
             day=first_day + dt.timedelta(days=1)),
    ]


def write_case(landing_dir: Path, case: Case) -> Path:
    folder = landing_dir / case.source / case.day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / case.file_name
    path.write_bytes(case.content)
    return path


FAR_FUTURE = "2999-01-01T00:00:00Z"
BEFORE_1970 = "1969-07-20T20:17:00Z"


def staging_cases(first_day: dt.date) -> list[Case]:
    """Well-formed values that are wrong: they land, then the raw gate or staging must flag them."""
    listed = [
        Case("far_future_and_pre_1970_times", "surveys", "surveys.csv",
             surveys_csv(survey("FF1", responded_at=FAR_FUTURE), survey("PRE1", responded_at=BEFORE_1970)).encode(),
             loaded=["FF1", "PRE1"]),
        Case("unknown_enum_value", "surveys", "surveys.csv",
             surveys_csv(survey("EN1", survey_type="ces"), survey("EN2", channel="fax")).encode(),
             loaded=["EN1", "EN2"]),
        Case("negative_quantity", "order_items", "order_items.csv",
             items_csv(item("NQ1", quantity="-2")).encode(), loaded=["NQ1"]),
        Case("duplicate_key_first_version", "surveys", "surveys.csv",
             surveys_csv(survey("DK1", score="9"), survey("DK2")).encode(), loaded=["DK1", "DK2"]),
        # the next day's export repeats DK1 with another score and DK2 unchanged (an ordinary re-send)
        Case("duplicate_key_other_content", "surveys", "surveys_resend.csv",
             surveys_csv(survey("DK1", score="2"), survey("DK2")).encode(), loaded=["DK1", "DK2"]),
    ]
    return [replace(case, day=first_day + dt.timedelta(days=i)) for i, case in enumerate(listed)]
