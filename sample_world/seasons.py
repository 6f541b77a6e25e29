"""Shopping calendar: how busy a day is relative to an ordinary weekday."""

from __future__ import annotations

import datetime as dt

# Chinese New Year (first day); shopping dips around it.
_SPRING_FESTIVAL = {2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13),
                    2030: (2, 3), 2031: (1, 23), 2032: (2, 11)}


def _black_friday(year: int) -> dt.date:
    nov1 = dt.date(year, 11, 1)
    first_friday = nov1 + dt.timedelta(days=(4 - nov1.weekday()) % 7)
    return first_friday + dt.timedelta(weeks=3)


def day_factor(day: dt.date) -> float:
    f = 1.12 if day.weekday() >= 5 else 1.0
    m, d = day.month, day.day
    if m == 11 and d == 11:
        f *= 2.6
    elif m == 11 and 8 <= d <= 12:
        f *= 1.5
    if m == 6 and 16 <= d <= 18:
        f *= 2.0
    bf = _black_friday(day.year)
    if bf <= day <= bf + dt.timedelta(days=3):
        f *= 1.7
    if m == 12 and 12 <= d <= 23:
        f *= 1.45
    if m == 2 and 8 <= d <= 14:
        f *= 1.25
    sf = _SPRING_FESTIVAL.get(day.year)
    if sf is not None:
        delta = (day - dt.date(day.year, *sf)).days
        if -3 <= delta <= 6:
            f *= 0.7
    return f


def gift_factor(day: dt.date) -> float:
    """Extra propensity to buy a gift around gift-giving dates."""
    m, d = day.month, day.day
    if m == 12 and 5 <= d <= 23:
        return 2.0
    if m == 2 and 5 <= d <= 14:
        return 1.8
    if (m == 5 and 5 <= d <= 12) or (m == 8 and 20 <= d <= 31):
        return 1.4
    return 1.0
