"""Parameters of one generated world: scale, seed, output folders and messiness rates."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from voc360.settings import DEFAULT_CUSTOMERS, DEFAULT_DAYS, DEFAULT_START_DATE


@dataclasses.dataclass(frozen=True)
class Messiness:
    """Rates of the planted export defects (each a probability per record, 0 disables it)."""

    duplicate_rate: float = 0.01  # the same line written twice in one file
    resend_rate: float = 0.01  # the same record again in a later `*_resend` file
    late_rate: float = 0.02  # the record lands in the file of day D+1..D+3
    malformed_rate: float = 0.01  # an extra, damaged copy of the record's line
    crm_duplicate_rate: float = 0.02  # share of persons with a second CRM record (with typos)
    mixed_timezone_rate: float = 0.03  # timestamps written in another UTC offset than the source's usual

    def scaled(self, factor: float) -> Messiness:
        return Messiness(**{f.name: getattr(self, f.name) * factor for f in dataclasses.fields(self)})

    def replace(self, **overrides: float | None) -> Messiness:
        return dataclasses.replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def validate(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 0.5:
                raise ValueError(f"{f.name} must be within [0, 0.5], got {value}")

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class WorldConfig:
    seed: int = 42
    customers: int = DEFAULT_CUSTOMERS
    days: int = DEFAULT_DAYS
    start_date: dt.date = DEFAULT_START_DATE
    out_dir: Path = Path("landing")
    truth_dir: Path = Path("ground_truth")
    messiness: Messiness = dataclasses.field(default_factory=Messiness)
    quiet: bool = True
    workers: int | None = None  # extra processes for the clickstream sources; None = one per spare CPU (max 2)

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        if self.customers < 1:
            raise ValueError("customers must be >= 1")
        if self.days < 1:
            raise ValueError("days must be >= 1")
        if self.workers is not None and self.workers < 0:
            raise ValueError("workers must be >= 0")
        self.messiness.validate()

    @property
    def last_day(self) -> int:
        return self.days - 1

    @property
    def drift_day(self) -> int:
        """First partition day whose orders export carries the `coupon_code` column."""
        return self.days // 2

    def day_date(self, day: int) -> dt.date:
        return self.start_date + dt.timedelta(days=day)
