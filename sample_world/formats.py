"""Low-level writing helpers: the world clock, timestamp strings, ids, CSV and JSON lines.

Time inside the generator is an integer number of seconds since the world's start (00:00 UTC of the start
date), called `ws`. Strings are built from lookup tables so the high-volume sources can format whole arrays.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import zoneinfo

import numpy as np

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
def hms_array() -> np.ndarray:
    return np.array(hms_table(), dtype=object)


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
        self._date_t_arr = np.array(self._date_t, dtype=object)
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
    def parts_array(self, ws: np.ndarray, zones: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """("YYYY-MM-DDT", "HH:MM:SS") object arrays of the local time in each zone (the suffix is left out)."""
        local = ws + self._offset_arr[zones]
        return self._date_t_arr[local // DAY + self.PAD], hms_array()[local % DAY]


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
def _hex2() -> np.ndarray:
    return np.array([list(f"{i:02x}".encode()) for i in range(256)], dtype=np.uint8)


def fixed_strings(n: int, parts: list) -> np.ndarray:
    """Object array of n strings, each the concatenation of `parts`: bytes constants and uint64 arrays (written
    as 16 lower-case hex digits). Built as one byte matrix, so no Python object is made per part."""
    widths = [len(p) if isinstance(p, bytes) else 16 for p in parts]
    width = sum(widths)
    m = np.empty((n, width), dtype=np.uint8)
    col = 0
    for p, w in zip(parts, widths, strict=True):
        if isinstance(p, bytes):
            m[:, col : col + w] = np.frombuffer(p, dtype=np.uint8)
        else:
            big = np.ascontiguousarray(p, dtype=np.uint64).astype(">u8").view(np.uint8).reshape(n, 8)
            m[:, col : col + w] = _hex2()[big].reshape(n, 16)
        col += w
    return m.view(f"S{width}").ravel().astype(f"U{width}").astype(object)


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
def json_line(columns: list[str], row: dict) -> str:
    return json.dumps({c: row[c] for c in columns}, ensure_ascii=False, separators=(",", ":"))


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
