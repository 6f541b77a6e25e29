"""Land one source's daily files into raw.<source>, quarantining every malformed row in raw_rejects.<source>.

Files are parsed here rather than by DuckDB's read_csv/read_json: DuckDB's CSV reader swallows the rows that
follow an unbalanced quote into one rejected blob and gives no line number for good rows, and its JSON
reader drops malformed lines without a reason. This reader recovers at the next line, keeps the line number
of every record, and gives every rejected row a reason, so that rows read = rows loaded + rows rejected.

Raw keeps values as landed (VARCHAR); a value that does not parse as its declared type is rejected here,
while nullability, allowed sets and ranges are left to the quality gate. "Parses" is held to the forms that
staging types without loss (see `_valid_value_sql`), so that no landed value turns into NULL or a different
instant downstream.

Files may be gzip-compressed (`<pattern>.gz`), UTF-8 (with or without BOM), UTF-16/32 with a BOM or
GB18030/GBK, and CSV files may use `;`, tab or `|` instead of commas when their header says so; see
`read_landing_bytes`, `_to_utf8` and `_header_delimiter`.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import itertools
import json
import multiprocessing
import os
import shutil
import zlib
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb

from ml.io import sql_string
from voc360.conflicts import record_conflicting_versions
from voc360.registry import Source
from voc360.suppression import suppress_landed_rows

RAW_SCHEMA = "raw"
REJECTS_SCHEMA = "raw_rejects"
AUDIT_TABLE = "raw_audit.loads"
LINEAGE_COLUMNS = {
    "_extra": "VARCHAR",
    "_source_file": "VARCHAR",
    "_line_number": "BIGINT",
    "_partition_date": "DATE",
    "_loaded_at": "TIMESTAMP",
}
REJECT_COLUMNS = {
    "_source_file": "VARCHAR",
    "_line_number": "BIGINT",
    "_partition_date": "DATE",
    "_loaded_at": "TIMESTAMP",
    "reason": "VARCHAR",
    "raw_record": "VARCHAR",
}
# How a value of each declared type must look to be landed: the form staging casts without loss. DuckDB's
# casts alone accept more ("1.5" as an integer rounds to 2, "nan" is a double, "2026-01-05 10:00 Asia/Shanghai"
# is a timestamptz whose zone staging's cast to timestamp would drop, "infinity" is a timestamp), so each type
# also has a shape; integers are held to the 32-bit range of staging's integer columns.
_DECIMAL = r"[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?"
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_ISO_TIMESTAMP = _ISO_DATE + r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?( ?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?))?)?"
VALUE_RULES = {
    "integer": (r"[+-]?[0-9]+", "try_cast({v} as INTEGER) is not null"),
    "double": (_DECIMAL, "isfinite(try_cast({v} as DOUBLE))"),
    "boolean": (None, "try_cast({v} as BOOLEAN) is not null"),
    "date": (_ISO_DATE, "try_cast({v} as DATE) is not null"),
    "timestamp": (_ISO_TIMESTAMP, "try_cast({v} as TIMESTAMPTZ) is not null"),
}
# A quoted CSV field may span lines; past this many lines an open quote is taken as broken.
MAX_RECORD_LINES = 50
# Flush parsed rows to DuckDB in batches of about this many rows to bound memory.
FLUSH_ROWS = 250_000
# A load of at least this many files (a backfill) parses them in worker processes, one per core, while this
# process writes the parsed batches to DuckDB: parsing is pure Python and would hold one core. A day's few
# files are parsed here, where starting the workers would cost more than it saves.
PARALLEL_PARSE_MIN_FILES = 8
# Longest value a field may hold: the csv module's default field limit, applied to JSON values too so that
# both formats reject the same oversized records (a multi-megabyte "comment" is an export bug, not text).
MAX_FIELD_CHARS = 131_072
# Delimiters a CSV export may use instead of a comma; taken only when the header parses with it.
ALTERNATIVE_DELIMITERS = (";", "\t", "|")


class LandingError(Exception):
    """A file that cannot be landed at all (for example a required column is missing)."""


@dataclasses.dataclass
class ParsedFile:
    """Records of one file: accepted rows by column, and rejected rows with reasons."""

    source_file: str
    partition_date: dt.date
    columns: dict[str, list[str | None]]
    extra: list[str | None]
    line_numbers: list[int]
    raw_records: list[str]
    rejects: list[tuple[int, str, str]]  # (line number, reason, raw record)

    @property
    def rows_read(self) -> int:
        return len(self.line_numbers) + len(self.rejects)


@dataclasses.dataclass
class DayReport:
    partition_date: dt.date
    files: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_suppressed: int = 0  # rows of erased persons (voc360.suppression), counted but not kept


@dataclasses.dataclass
class LoadReport:
    source: str
    days: list[DayReport]
    reject_reasons: Counter
    conflicting_versions: int = 0  # loaded rows whose key landed before with other values (voc360.conflicts)

    @property
    def rows_read(self) -> int:
        return sum(d.rows_read for d in self.days)

    @property
    def rows_loaded(self) -> int:
        return sum(d.rows_loaded for d in self.days)

    @property
    def rows_rejected(self) -> int:
        return sum(d.rows_rejected for d in self.days)

    @property
    def rows_suppressed(self) -> int:
        return sum(d.rows_suppressed for d in self.days)

    @property
    def files(self) -> int:
        return sum(d.files for d in self.days)


def _decode_lines(data: bytes) -> list[tuple[int, str | None, bytes]]:
    """Split a file into (line number, text or None when undecodable, raw bytes), skipping blank lines."""
    data = _to_utf8(data)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    out = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            out.append((number, raw.decode("utf-8"), raw))
        except UnicodeDecodeError:
            out.append((number, None, raw))
    return out


# ---- Hostile bytes: compression and encodings ------------------------------------------------------------
# A byte-order mark names its encoding; UTF-32 is tested first because its little-endian BOM starts with
# UTF-16's.
_BOM_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _to_utf8(data: bytes) -> bytes:
    """The file as UTF-8 bytes when its encoding can be told; otherwise unchanged (lines are then read as UTF-8).

    A fixed rule rather than a statistical detector (charset-normalizer and the like guess differently on a
    file of a few short lines): a BOM names the encoding; a file that is not UTF-8 but decodes entirely as
    GB18030 (the superset of GBK and GB2312 that Chinese Windows tools export) is GB18030 when most of its
    non-ASCII lines are not UTF-8. A UTF-8 file with a few broken lines stays UTF-8, and those lines are
    rejected one by one.
    """
    for bom, encoding in _BOM_ENCODINGS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).encode("utf-8")
            except UnicodeDecodeError:
                return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return data
    utf8_lines = not_utf8_lines = 0
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            not_utf8_lines += 1
    return text.encode("utf-8") if not_utf8_lines > utf8_lines else data


@dataclasses.dataclass
class LandingBytes:
    """A landing file's content; `damage` says why the bytes after `data` could not be read (a broken gzip)."""

    data: bytes
    damage: str | None = None


def read_landing_bytes(path: Path) -> LandingBytes:
    """The bytes of a landing file, decompressed when it is gzip (`.gz`).

    A truncated gzip (a copy cut short) keeps what decompressed before the cut, which is the file's own
    beginning; corrupt data (a bad header, a broken block, a wrong checksum) keeps nothing of its member,
    since output before a checksum failure cannot be trusted. Concatenated members (`cat a.gz b.gz`) are
    read one after another.
    """
    data = path.read_bytes()
    if path.suffix != ".gz":
        return LandingBytes(data)
    out: list[bytes] = []
    remaining = data
    while remaining:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            member = inflater.decompress(remaining)
        except zlib.error as exc:
            return LandingBytes(b"".join(out), f"corrupt gzip data: {exc}")
        out.append(member)
        if not inflater.eof:
            return LandingBytes(b"".join(out), "truncated gzip file: the compressed stream ends early")
        remaining = inflater.unused_data
    return LandingBytes(b"".join(out))


def _quarantine_damage(parsed: ParsedFile, content: LandingBytes) -> None:
    """Reject the unreadable rest of a damaged file as one record: from its last incomplete line onwards.

    Called with the complete lines already parsed, so rows read = loaded + rejected holds with the
    remainder counted as one row.
    """
    complete, newline, tail = content.data.rpartition(b"\n")
    line = complete.count(b"\n") + 2 if newline else 1
    parsed.rejects.append((line, content.damage, _undecodable(tail)[:MAX_FIELD_CHARS]))


def _undecodable(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


class _Rows:
    """Column-wise accumulator for accepted records of one file."""

    def __init__(self, source: Source, source_file: str, partition_date: dt.date):
        self.source = source
        self.parsed = ParsedFile(
            source_file=source_file,
            partition_date=partition_date,
            columns={c: [] for c in source.column_names},
            extra=[],
            line_numbers=[],
            raw_records=[],
            rejects=[],
        )

    def accept(self, line: int, values: dict[str, str | None], extra: dict[str, object], raw: str) -> None:
        oversized = next((n for n, v in values.items() if v is not None and len(v) > MAX_FIELD_CHARS), None)
        if oversized is not None:
            size = len(values[oversized])
            self.reject(line, f"column {oversized}: {size} characters, longer than {MAX_FIELD_CHARS} allowed", raw)
            return
        for name, column in self.parsed.columns.items():
            column.append(values.get(name))
        self.parsed.extra.append(json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None)
        self.parsed.line_numbers.append(line)
        self.parsed.raw_records.append(raw)

    def reject(self, line: int, reason: str, raw: str) -> None:
        self.parsed.rejects.append((line, reason, raw))


def parse_csv(data: bytes, source: Source, source_file: str, partition_date: dt.date) -> ParsedFile:
    rows = _Rows(source, source_file, partition_date)
    lines = _decode_lines(data)
    if not lines:
        return rows.parsed
    header_line, header_text, header_raw = lines[0]
    if header_text is None:
        raise LandingError(f"{source_file}: header line is not valid UTF-8: {_undecodable(header_raw)[:200]!r}")
    delimiter = _header_delimiter(header_text, source)
    header = [h.strip() for h in next(csv.reader([header_text], delimiter=delimiter))]
    duplicated = [h for h, n in Counter(header).items() if n > 1]
    if duplicated:
        raise LandingError(f"{source_file}: duplicated column(s) in header: {', '.join(duplicated)}")
    _check_required(source, set(header), source_file)
    known = set(source.column_names)
    multiline_ok = set(source.text_columns) | (set(header) - known)

    i = 1
    while i < len(lines):
        line, text, raw = lines[i]
        if text is None:
            rows.reject(line, "invalid UTF-8", _undecodable(raw))
            i += 1
            continue
        record, used = text, 1
        # An odd number of quotes means a quoted field continues on the next line (or the quote is broken).
        while record.count('"') % 2 == 1 and used < MAX_RECORD_LINES and i + used < len(lines):
            next_text = lines[i + used][1]
            if next_text is None:
                break
            record += "\n" + next_text
            used += 1
        if record.count('"') % 2 == 1:
            rows.reject(line, "unbalanced quote", text)
            i += 1
            continue
        try:
            fields = next(csv.reader([record], delimiter=delimiter), [])
        except csv.Error as exc:  # a field over the csv module's size limit
            rows.reject(line, f"unreadable CSV record: {exc}", record)
            i += used
            continue
        # A line break may only sit inside a free-text field; anywhere else the quote that opened the
        # continuation was broken, and the lines after it are records of their own.
        broken = used > 1 and any("\n" in f and h not in multiline_ok for h, f in zip(header, fields))
        if len(fields) != len(header) or broken:
            reason = "unbalanced quote" if used > 1 else f"expected {len(header)} fields, found {len(fields)}"
            rows.reject(line, reason, text)
            i += 1
            continue
        values, extra = {}, {}
        for name, value in zip(header, fields):
            value = value if value != "" else None
            if name in known:
                values[name] = value
            else:
                extra[name] = value
        rows.accept(line, values, extra, record)
        i += used
    return rows.parsed


def _header_delimiter(header_text: str, source: Source) -> str:
    """Comma, unless the header only makes sense split on another delimiter (a `;` export from a spreadsheet)."""
    required = set(source.required_columns)
    for delimiter in (",", *ALTERNATIVE_DELIMITERS):
        names = {h.strip() for h in next(csv.reader([header_text], delimiter=delimiter))}
        if required <= names:
            return delimiter
    return ","


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def parse_jsonl(data: bytes, source: Source, source_file: str, partition_date: dt.date) -> ParsedFile:
    rows = _Rows(source, source_file, partition_date)
    known = set(source.column_names)
    seen_keys: set[str] = set()
    for line, text, raw in _decode_lines(data):
        if text is None:
            rows.reject(line, "invalid UTF-8", _undecodable(raw))
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            rows.reject(line, f"malformed JSON: {exc.msg} at column {exc.colno}", text)
            continue
        if not isinstance(obj, dict):
            rows.reject(line, f"JSON line is {type(obj).__name__}, expected an object", text)
            continue
        seen_keys.update(obj)
        values = {k: _json_text(v) for k, v in obj.items() if k in known}
        extra = {k: v for k, v in obj.items() if k not in known}
        rows.accept(line, values, extra, text)
    if rows.parsed.line_numbers:
        _check_required(source, seen_keys, source_file)
    return rows.parsed


def _check_required(source: Source, present: set[str], source_file: str) -> None:
    missing = [c for c in source.required_columns if c not in present]
    if missing:
        raise LandingError(f"{source_file}: missing required column(s) {', '.join(missing)} for source {source.name}")


PARSERS = {"csv": parse_csv, "jsonl": parse_jsonl}


def day_files(landing_dir: Path, source: Source, day: dt.date) -> list[Path]:
    pattern = source.day_glob(day.isoformat())
    return sorted({*landing_dir.glob(pattern), *landing_dir.glob(pattern + ".gz")})


def parse_file(path: Path, landing_dir: Path, source: Source, day: dt.date) -> ParsedFile:
    rel = path.relative_to(landing_dir).as_posix()
    content = read_landing_bytes(path)
    if content.damage is None:
        return PARSERS[source.format](content.data, source, rel, day)
    complete_lines = content.data[: content.data.rfind(b"\n") + 1]
    parsed = PARSERS[source.format](complete_lines, source, rel, day)
    _quarantine_damage(parsed, content)
    return parsed


def _parse_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _parsed_files(files: list[tuple[dt.date, Path]], landing_dir: Path, source: Source
                  ) -> Iterator[tuple[dt.date, ParsedFile]]:
    """Each file parsed, in the order given. Many files are parsed by worker processes (spawned: this process
    may run DuckDB's and Dagster's threads, which a fork would copy mid-flight), at most two per worker ahead
    of the writer so that parsed files do not pile up in memory."""
    workers = _parse_workers()
    if len(files) < PARALLEL_PARSE_MIN_FILES or workers < 2:
        for day, path in files:
            yield day, parse_file(path, landing_dir, source, day)
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))

    def submit(count: int) -> None:
        for day, path in itertools.islice(queued, count):
            in_flight.append((day, pool.submit(parse_file, path, landing_dir, source, day)))

    queued, in_flight = iter(files), deque()
    try:
        submit(2 * workers)
        while in_flight:
            day, future = in_flight.popleft()
            parsed = future.result()  # a worker's LandingError is raised here, and the load rolls back
            submit(1)
            yield day, parsed
    finally:
        pool.shutdown(cancel_futures=True)


def ensure_tables(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Create raw, rejects and audit tables; add columns that the registry gained since."""
    for schema in (RAW_SCHEMA, REJECTS_SCHEMA, "raw_audit"):
        con.execute(f"create schema if not exists {schema}")
    raw_columns = {**{c: "VARCHAR" for c in source.column_names}, **LINEAGE_COLUMNS}
    con.execute(
        f"create table if not exists {RAW_SCHEMA}.{source.name} ("
        + ", ".join(f'"{c}" {t}' for c, t in raw_columns.items())
        + ")"
    )
    existing = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, source.name],
        ).fetchall()
    }
    for column in source.column_names:
        if column not in existing:
            con.execute(f'alter table {RAW_SCHEMA}.{source.name} add column "{column}" VARCHAR')
    con.execute(
        f"create table if not exists {REJECTS_SCHEMA}.{source.name} ("
        + ", ".join(f"{c} {t}" for c, t in REJECT_COLUMNS.items())
        + ")"
    )
    con.execute(
        f"""create table if not exists {AUDIT_TABLE} (
            source varchar, partition_date date, files integer, rows_read bigint, rows_loaded bigint,
            rows_rejected bigint, loaded_at timestamp, primary key (source, partition_date))"""
    )
    con.execute(f"alter table {AUDIT_TABLE} add column if not exists rows_suppressed bigint default 0")


def _valid_value_sql(column_type: str, name: str) -> str | None:
    """SQL condition that a non-null value of the column is a valid value of its declared type."""
    rule = VALUE_RULES.get(column_type)
    if rule is None:
        return None
    shape, cast_check = rule
    condition = cast_check.format(v=name)
    if shape:
        condition = f"regexp_full_match(trim({name}), '{shape}') and {condition}"
    return condition


def _type_check_sql(source: Source) -> str:
    """SQL expression naming the first column whose value does not parse as its declared type, else NULL."""
    checks = []
    for column in source.columns:
        name = f'"{column.name}"'
        valid = _valid_value_sql(column.type, name)
        if valid is None:
            continue
        checks.append(
            f"when {name} is not null and not coalesce({valid}, false) "
            f"then 'column {column.name}: ' || left({name}, 80) || ' is not a valid {column.type}'"
        )
    return "case " + " ".join(checks) + " end" if checks else "null"


def _flush(con: duckdb.DuckDBPyConnection, source: Source, batch: list[ParsedFile], loaded_at: dt.datetime) -> Counter:
    """Write accepted and rejected rows of the batch; return rejected and loaded counts per (file, kind)."""
    import pyarrow as pa  # imported here: it is slow to import, and the Dagster definitions import this module

    counts: Counter = Counter()
    names = source.column_names
    arrays = {c: [] for c in names}
    extra, files, lines, days, raw_records = [], [], [], [], []
    rejects = {k: [] for k in ("_source_file", "_line_number", "_partition_date", "reason", "raw_record")}
    for parsed in batch:
        n = len(parsed.line_numbers)
        for c in names:
            arrays[c].extend(parsed.columns[c])
        extra.extend(parsed.extra)
        files.extend([parsed.source_file] * n)
        lines.extend(parsed.line_numbers)
        days.extend([parsed.partition_date] * n)
        raw_records.extend(parsed.raw_records)
        for line, reason, raw in parsed.rejects:
            rejects["_source_file"].append(parsed.source_file)
            rejects["_line_number"].append(line)
            rejects["_partition_date"].append(parsed.partition_date)
            rejects["reason"].append(reason)
            rejects["raw_record"].append(raw)

    # Referenced by name in the SQL below (DuckDB's scan of Python variables): a view made by con.register would
    # keep each Arrow batch alive until the landing transaction commits, a year of a large source in memory.
    landing_batch = pa.table(
        {
            **{c: pa.array(arrays[c], pa.string()) for c in names},
            "_extra": pa.array(extra, pa.string()),
            "_source_file": pa.array(files, pa.string()),
            "_line_number": pa.array(lines, pa.int64()),
            "_partition_date": pa.array(days, pa.date32()),
            "_raw_record": pa.array(raw_records, pa.string()),
        }
    )
    landing_parse_rejects = pa.table(
        {
            "_source_file": pa.array(rejects["_source_file"], pa.string()),
            "_line_number": pa.array(rejects["_line_number"], pa.int64()),
            "_partition_date": pa.array(rejects["_partition_date"], pa.date32()),
            "reason": pa.array(rejects["reason"], pa.string()),
            "raw_record": pa.array(rejects["raw_record"], pa.string()),
        }
    )
    try:
        con.execute(
            f"create or replace temp table landing_checked as "
            f"select *, {_type_check_sql(source)} as _reason from landing_batch"
        )
        column_list = ", ".join(f'"{c}"' for c in names)
        con.execute(
            f"insert into {RAW_SCHEMA}.{source.name} ({column_list}, _extra, _source_file, _line_number, "
            f"_partition_date, _loaded_at) select {column_list}, _extra, _source_file, _line_number, "
            f"_partition_date, ? from landing_checked where _reason is null",
            [loaded_at],
        )
        con.execute(
            f"insert into {REJECTS_SCHEMA}.{source.name} "
            f"select _source_file, _line_number, _partition_date, ?, _reason, _raw_record "
            f"from landing_checked where _reason is not null "
            f"union all select _source_file, _line_number, _partition_date, ?, reason, raw_record "
            f"from landing_parse_rejects",
            [loaded_at, loaded_at],
        )
        for day, reason, n in con.execute(
            "select _partition_date, coalesce(_reason, ''), count(*) from landing_checked group by all "
            "union all select _partition_date, reason, count(*) from landing_parse_rejects group by all"
        ).fetchall():
            counts[(day, reason)] += n
    finally:
        con.execute("drop table if exists landing_checked")
    return counts


def _reason_kind(reason: str) -> str:
    """Group reasons for reporting: 'column amount: abc is not a valid double' -> 'column amount: not a valid double'."""
    if reason.startswith("column ") and " is not a valid " in reason:
        column = reason.split(":", 1)[0]
        return f"{column}: not a valid {reason.rsplit(' is not a valid ', 1)[1]}"
    if reason.startswith("malformed JSON"):
        return "malformed JSON"
    return reason


def load_days(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    days: list[dt.date],
    landing_dir: Path,
    loaded_at: dt.datetime | None = None,
    parquet_dir: Path | None = None,
) -> LoadReport:
    """Replace the given partitions of raw.<source> and raw_rejects.<source> with what their files hold.

    All days are written in one transaction: a failure leaves every partition as it was. With parquet_dir
    (the Spark engine), the committed partitions of raw.<source> are then written there as Parquet too.
    """
    loaded_at = loaded_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ensure_tables(con, source)
    reports = {d: DayReport(partition_date=d) for d in days}
    reasons: Counter = Counter()
    con.execute("begin transaction")
    try:
        for table in (f"{RAW_SCHEMA}.{source.name}", f"{REJECTS_SCHEMA}.{source.name}"):
            con.execute(f"delete from {table} where _partition_date = any(?)", [days])
        con.execute(f"delete from {AUDIT_TABLE} where source = ? and partition_date = any(?)", [source.name, days])
        batch: list[ParsedFile] = []
        pending = 0
        files = [(day, path) for day in days for path in day_files(landing_dir, source, day)]
        for day, parsed in _parsed_files(files, landing_dir, source):
            reports[day].files += 1
            reports[day].rows_read += parsed.rows_read
            batch.append(parsed)
            pending += parsed.rows_read
            if pending >= FLUSH_ROWS:
                _tally(_flush(con, source, batch, loaded_at), reports, reasons)
                batch, pending = [], 0
        if batch:
            _tally(_flush(con, source, batch, loaded_at), reports, reasons)
        _drop_suppressed(con, source, days, reports)
        conflicting = record_conflicting_versions(con, source, days)
        con.executemany(
            f"insert into {AUDIT_TABLE} (source, partition_date, files, rows_read, rows_loaded, rows_rejected, "
            "loaded_at, rows_suppressed) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [source.name, r.partition_date, r.files, r.rows_read, r.rows_loaded, r.rows_rejected, loaded_at,
                 r.rows_suppressed]
                for r in reports.values()
            ],
        )
        for report in reports.values():
            if report.rows_read != report.rows_loaded + report.rows_rejected + report.rows_suppressed:
                raise LandingError(
                    f"{source.name} {report.partition_date}: read {report.rows_read} rows but loaded "
                    f"{report.rows_loaded}, rejected {report.rows_rejected} and suppressed {report.rows_suppressed}"
                )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    if parquet_dir is not None:
        export_parquet(con, source, days, parquet_dir)
    return LoadReport(
        source=source.name, days=list(reports.values()), reject_reasons=reasons, conflicting_versions=conflicting
    )


def export_parquet(con: duckdb.DuckDBPyConnection, source: Source, days: list[dt.date], parquet_dir: Path) -> None:
    """Replace the given partitions of <parquet_dir>/raw/<source>/_partition_date=YYYY-MM-DD/ with the rows of
    raw.<source>: the files Spark reads as source raw.<source> (dbt macro register_file_sources). A day
    without rows keeps no folder."""
    table_dir = parquet_dir / RAW_SCHEMA / source.name
    for day in days:
        shutil.rmtree(table_dir / f"_partition_date={day.isoformat()}", ignore_errors=True)
    table_dir.mkdir(parents=True, exist_ok=True)
    day_list = ", ".join(f"date '{day.isoformat()}'" for day in days)
    con.execute(
        f"copy (select * from {RAW_SCHEMA}.{source.name} where _partition_date in ({day_list})) "
        f"to {sql_string(str(table_dir))} "
        "(format parquet, partition_by (_partition_date), overwrite_or_ignore, filename_pattern 'part_{uuid}')"
    )


def _drop_suppressed(
    con: duckdb.DuckDBPyConnection, source: Source, days: list[dt.date], reports: dict[dt.date, DayReport]
) -> None:
    """Rows of erased persons leave raw and rejects again and count as suppressed (no identifier is kept)."""
    for (day, kind), n in suppress_landed_rows(con, source, days).items():
        if kind == "loaded":
            reports[day].rows_loaded -= n
        else:
            reports[day].rows_rejected -= n
        reports[day].rows_suppressed += n


def _tally(counts: Counter, reports: dict[dt.date, DayReport], reasons: Counter) -> None:
    for (day, reason), n in counts.items():
        if reason:
            reports[day].rows_rejected += n
            reasons[_reason_kind(reason)] += n
        else:
            reports[day].rows_loaded += n
