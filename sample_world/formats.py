"""Low-level writing helpers: the world clock, timestamp strings, ids, CSV and JSON lines.

Time inside the generator is an integer number of seconds since the world's start (00:00 UTC of the start
date), called `ws`. Strings are built from lookup tables so the high-volume sources can format whole arrays.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import zoneinfo

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

DAY = 86_400
HOUR = 3_600
MINUTE = 60

# Offset representations a timestamp may be written in. Every source has a usual one; at the mixed-time-zone
# rate a record uses another one (the instant is the same).
ZONE_SUFFIXES = ("Z", "+00:00", "+08:00", "-05:00", "+01:00")
ZONE_OFFSETS = (0, 0, 8 * HOUR, -5 * HOUR, 1 * HOUR)
Z_UTC, Z_UTC_NUM, Z_CN, Z_US, Z_EU = range(5)


@functools.cache
def hms_table() -> list[str]:
    return [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]


@functools.cache
def hms_strings() -> pa.LargeStringArray:
    return str_table(hms_table())


class Clock:
    """Converts world seconds to the strings the exports use."""

    PAD = 8  # days of table before day 0 (negative offsets, late rows) and after the last day

    def __init__(self, start_date: dt.date, days: int) -> None:
        self.start_date = start_date
        self.days = days
        self.epoch = dt.datetime(start_date.year, start_date.month, start_date.day, tzinfo=dt.UTC)
        n = days + 2 * self.PAD
        dates = [(start_date + dt.timedelta(days=i - self.PAD)).isoformat() for i in range(n)]
        self._dates = dates
        self._date_t = [d + "T" for d in dates]
        self._date_t_strings = str_table(self._date_t)
        self._hms = hms_table()
        self._offset_arr = np.array(ZONE_OFFSETS, dtype=np.int64)
        self._tz_cache: dict[str, zoneinfo.ZoneInfo] = {}

    # -- scalar -----------------------------------------------------------------------------------------
    def day_str(self, day: int) -> str:
        i = day + self.PAD
        if 0 <= i < len(self._dates):
            return self._dates[i]
        return (self.start_date + dt.timedelta(days=day)).isoformat()

    def date_of(self, ws: int) -> str:
        return self.day_str(ws // DAY)

    def iso(self, ws: int, zone: int) -> str:
        local = ws + ZONE_OFFSETS[zone]
        day, sec = divmod(local, DAY)
        i = day + self.PAD
        if 0 <= i < len(self._date_t):
            return self._date_t[i] + self._hms[sec] + ZONE_SUFFIXES[zone]
        return (self.start_date + dt.timedelta(days=day)).isoformat() + "T" + self._hms[sec] + ZONE_SUFFIXES[zone]

    def naive_local(self, ws: int, tz_name: str) -> str:
        tz = self._tz_cache.get(tz_name)
        if tz is None:
            tz = self._tz_cache[tz_name] = zoneinfo.ZoneInfo(tz_name)
        local = (self.epoch + dt.timedelta(seconds=ws)).astimezone(tz)
        return local.strftime("%Y-%m-%d %H:%M:%S")

    def utc_offset_hours(self, ws: int, tz_name: str) -> float:
        tz = self._tz_cache.get(tz_name)
        if tz is None:
            tz = self._tz_cache[tz_name] = zoneinfo.ZoneInfo(tz_name)
        off = (self.epoch + dt.timedelta(seconds=ws)).astimezone(tz).utcoffset()
        return off.total_seconds() / 3600.0 if off is not None else 0.0

    # -- vectorised -------------------------------------------------------------------------------------
    def parts_array(self, ws: np.ndarray, zones: np.ndarray) -> tuple[tuple, tuple]:
        """("YYYY-MM-DDT", "HH:MM:SS") lookup columns (see `join_columns`) of the local time in each zone (the
        suffix is left out)."""
        local = ws + self._offset_arr[zones]
        return (self._date_t_strings, local // DAY + self.PAD), (hms_strings(), local % DAY)


def pick_zones(rng: np.random.Generator, n: int, usual: int, rate: float) -> np.ndarray:
    zones = np.full(n, usual, dtype=np.int64)
    if rate > 0 and n:
        mixed = rng.random(n) < rate
        k = int(mixed.sum())
        if k:
            alt = rng.integers(1, len(ZONE_SUFFIXES), size=k)
            zones[mixed] = (usual + alt) % len(ZONE_SUFFIXES)
    return zones


def pick_zone(rand: float, rand2: float, usual: int, rate: float) -> int:
    if rand < rate:
        return (usual + 1 + int(rand2 * (len(ZONE_SUFFIXES) - 1))) % len(ZONE_SUFFIXES)
    return usual


# -- ids ----------------------------------------------------------------------------------------------------
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def scramble(x: np.ndarray, salt: int) -> np.ndarray:
    """A bijection on uint64 (splitmix64 finaliser): distinct inputs give distinct, random-looking outputs."""
    z = x.astype(np.uint64) + np.uint64(salt)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@functools.cache
def _hex4() -> np.ndarray:
    """The 4 hex digits of every 16-bit value, as one uint32 each (looked up 16 bits at a time: fast)."""
    return np.frombuffer(b"".join(f"{i:04x}".encode() for i in range(1 << 16)), dtype=np.uint32)


def fixed_strings(n: int, parts: list) -> pa.LargeStringArray:
    """n strings, each the concatenation of `parts`: bytes constants and uint64 arrays (written as 16 lower-case
    hex digits). Built as one byte matrix that becomes the Arrow array's data, so no Python object is made."""
    widths = [len(p) if isinstance(p, bytes) else 16 for p in parts]
    width = sum(widths)
    m = np.empty((n, width), dtype=np.uint8)
    col = 0
    for p, w in zip(parts, widths, strict=True):
        if isinstance(p, bytes):
            m[:, col : col + w] = np.frombuffer(p, dtype=np.uint8)
        else:
            big = np.ascontiguousarray(p, dtype=np.uint64).astype(">u8").view(">u2").reshape(n, 4)
            m[:, col : col + w] = _hex4()[big].view(np.uint8).reshape(n, 16)
        col += w
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(m))


# -- Arrow string columns -----------------------------------------------------------------------------------
# The high-volume sources build lines column-wise: every column of a line is a constant, an Arrow array with one
# string per line, or a lookup (table, indices) into a small Arrow table of pre-formatted pieces.
def str_table(values) -> pa.LargeStringArray:
    return pa.array(list(values), type=pa.large_string())


def join_columns(columns: list) -> pa.LargeStringArray:
    """The strings that concatenate `columns` row-wise (at least one column is not a constant)."""
    arrays = []
    for c in columns:
        if isinstance(c, str):
            arrays.append(pa.scalar(c, pa.large_string()))
        elif isinstance(c, tuple):
            table, idx = c
            arrays.append(table.take(idx))
        else:
            arrays.append(c)
    return pc.binary_join_element_wise(*arrays, pa.scalar("", pa.large_string()))


def split_lines(blob: bytes | pa.Buffer) -> pa.LargeStringArray:
    """UTF-8 text of newline-terminated lines as an array of lines, each keeping its newline (no copy)."""
    data = np.frombuffer(blob, dtype=np.uint8)
    ends = np.flatnonzero(data == 10) + 1
    offsets = np.concatenate([[0], ends]).astype(np.int64)
    return pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(blob))


def text_of(lines: pa.LargeStringArray) -> pa.Buffer:
    """The bytes of all strings of an array, concatenated (no copy)."""
    if len(lines) == 0:
        return pa.py_buffer(b"")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64, count=len(lines) + 1, offset=lines.offset * 8)
    return lines.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


class IdPool:
    """Unique random-looking ids `<prefix><digits>` drawn without replacement."""

    def __init__(self, rnd, prefix: str, digits: int) -> None:
        self._rnd = rnd
        self._prefix = prefix
        self._digits = digits
        self._lo = 10 ** (digits - 1)
        self._hi = 10**digits - 1
        self._used: set[int] = set()

    def next(self) -> str:
        while True:
            v = self._rnd.randint(self._lo, self._hi)
            if v not in self._used:
                self._used.add(v)
                return f"{self._prefix}{v}"


# -- lines --------------------------------------------------------------------------------------------------
def json_text(obj: dict) -> str:
    """Compact JSON with text as UTF-8, as json.dumps(ensure_ascii=False) writes it but for floats, which come in
    their shortest round-trip form (0.00001, not 1e-05); orjson takes a tenth of json.dumps' time on an order row."""
    return orjson.dumps(obj).decode()


def json_line(columns: list[str], row: dict) -> str:
    return json_text({c: row[c] for c in columns})


class CsvLine:
    """Formats one row with the csv module (QUOTE_MINIMAL) and returns it without the line break."""

    def __init__(self) -> None:
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)

    def __call__(self, values: list) -> str:
        buf = self._buf
        buf.seek(0)
        buf.truncate(0)
        self._writer.writerow([_csv_value(v) for v in values])
        return buf.getvalue()[:-1]


def _csv_value(v):
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    return v


def money(x: float) -> float:
    return round(x + 1e-9, 2)


def money_str(x: float) -> str:
    return f"{x:.2f}"
