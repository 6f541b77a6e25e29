"""Two versions of a table compared as analysts would: same rows in any order, doubles to a relative 1e-6.

Aggregates of doubles differ in their last bits with the order of additions (threads, engines), so exact
equality would fail on the same data."""

import datetime as dt
import math

import pandas as pd


def comparable(frame: pd.DataFrame, inexact: set[str]) -> pd.DataFrame:
    """Rows in a canonical order with values in one representation: times as naive UTC, dates as times.

    Rows are ordered by their exact columns first, then the `inexact` ones (doubles), whose rounded text may
    fall either side of a boundary."""
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            frame[column] = values.dt.tz_convert("UTC").dt.tz_localize(None)
        elif values.dtype == object and values.map(lambda v: isinstance(v, dt.date)).any():
            frame[column] = pd.to_datetime(values)
    frame = frame[sorted(frame.columns)]
    order = [c for c in frame.columns if c not in inexact] + [c for c in frame.columns if c in inexact]
    key = frame[order].apply(lambda row: "|".join(_sort_text(v) for v in row), axis=1)
    return frame.iloc[key.argsort(kind="stable")].reset_index(drop=True)


def _sort_text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "\0"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def differences(left: pd.DataFrame, right: pd.DataFrame, names: tuple[str, str] = ("DuckDB", "Spark")) -> list[str]:
    """What differs between two versions of a table, beyond the order of rows and of float additions."""
    if sorted(left.columns) != sorted(right.columns):
        return [f"columns differ: {sorted(set(left.columns) ^ set(right.columns))}"]
    if len(left) != len(right):
        return [f"{len(left)} rows in {names[0]}, {len(right)} in {names[1]}"]
    inexact = {c for frame in (left, right) for c in frame.columns if frame[c].dtype.kind == "f"}
    left, right = comparable(left, inexact), comparable(right, inexact)
    found = []
    for column in left.columns:
        for row, (a, b) in enumerate(zip(left[column], right[column], strict=True)):
            if not _equal(a, b):
                found.append(f"{column} row {row}: {names[0]} {a!r}, {names[1]} {b!r}")
                break
    return found


def _equal(left, right) -> bool:
    if pd.isna(left) and pd.isna(right):
        return True
    if isinstance(left, float | int) and isinstance(right, float | int) and not isinstance(left, bool):
        # a value rounded to cents (a median of minutes) may fall on either side of a rounding boundary
        cents = round(left, 2) == left and round(right, 2) == right
        return math.isclose(float(left), float(right), rel_tol=1e-6, abs_tol=0.010001 if cents else 1e-9)
    return left == right
