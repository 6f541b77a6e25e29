"""The source registry (config/sources.yml) as typed objects."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

REGISTRY_PATH = Path(__file__).resolve().parent.parent / "config" / "sources.yml"

ColumnType = Literal["varchar", "integer", "double", "boolean", "date", "timestamp"]
# What a column identifying a person holds: a node type of the identity graph (int_identity_components).
# Erasure finds a person's raw rows through these columns and landing suppresses erased identifiers by them.
IdentifierKind = Literal[
    "crm_customer", "email_hash", "phone_hash", "loyalty_card", "social_account", "order", "pos_receipt",
    "web_visitor", "app_device", "ticket", "survey_response", "review",
]


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    type: ColumnType
    required: bool = True
    nullable: bool = True
    values: list[str] | None = None
    min: float | None = None
    max: float | None = None


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    owner: str
    path: str
    format: Literal["csv", "jsonl"]
    primary_key: list[str]
    # None for a snapshot export without a time column: its rows are not placed on event days
    event_time: str | None = None
    timezone_column: str | None = None
    pii: list[str] = Field(default_factory=list)
    text_columns: list[str] = Field(default_factory=list)
    identifiers: dict[str, IdentifierKind] = Field(default_factory=dict)
    # where staging reads the country of a national phone writing (dbt macro phone_country): city and/or
    # time-zone column; suppression reads phones the same way
    phone_country: dict[Literal["city", "timezone"], str] = Field(default_factory=dict)
    columns: list[Column]
    # False for a real source brought in with `voc360 import`: the sample-world generator does not write it
    sample_world: bool = True

    @model_validator(mode="after")
    def _references_exist(self) -> Source:
        names = {c.name for c in self.columns}
        referenced = [*self.primary_key, *self.pii, *self.text_columns, *self.identifiers, *self.phone_country.values()]
        referenced += [c for c in (self.event_time, self.timezone_column) if c]
        unknown = [c for c in referenced if c not in names]
        if unknown:
            raise ValueError(f"source {self.name!r} refers to undeclared columns {unknown}")
        if "social_account" in self.identifiers.values() and "platform" not in names:
            raise ValueError(f"source {self.name!r}: a social_account identifier needs a platform column")
        if "{date}" not in self.path:
            raise ValueError(f"source {self.name!r}: path must contain {{date}}")
        return self

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def day_glob(self, day: str) -> str:
        return self.path.format(date=day)


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    landing_root: str
    sources: dict[str, Source]

    @property
    def sample_world_sources(self) -> dict[str, Source]:
        return {name: source for name, source in self.sources.items() if source.sample_world}


def parse_registry(text: str) -> Registry:
    # libyaml's loader: the registry is read on every definitions load (0.004 s against the pure-Python 0.03 s)
    data = yaml.load(text, Loader=yaml.CSafeLoader)
    for name, source in data["sources"].items():
        source["name"] = name
        source["columns"] = [{"name": col, **spec} for col, spec in source["columns"].items()]
    return Registry.model_validate(data)


@functools.cache
def load_registry(path: Path = REGISTRY_PATH) -> Registry:
    return parse_registry(Path(path).read_text(encoding="utf-8"))
