"""What the erasure tests look for: a person of the sample world to erase, and where their values still occur."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd


def tables(con: duckdb.DuckDBPyConnection, views: bool = False) -> dict[str, list[str]]:
    """Every base table (and view, with views) -> its text columns."""
    kinds = ["BASE TABLE", "VIEW"] if views else ["BASE TABLE"]
    rows = con.execute(
        "select c.table_schema || '.' || c.table_name, list(c.column_name order by c.ordinal_position) "
        "from information_schema.columns as c join information_schema.tables as t "
        "on t.table_schema = c.table_schema and t.table_name = c.table_name "
        "where t.table_type = any(?) and c.data_type in ('VARCHAR', 'JSON') group by all",
        [kinds],
    ).fetchall()
    return dict(rows)


def occurrences(con: duckdb.DuckDBPyConnection, values: list[str], views: bool = False) -> list[tuple[str, str, str]]:
    """(table, column, value) for every value found in a text column of any table, also inside longer text."""
    found = []
    for table, columns in tables(con, views).items():
        for column in columns:
            hits = con.execute(
                f'select distinct v from {table}, unnest(?::varchar[]) as u(v) where contains("{column}"::varchar, v)',
                [values],
            ).fetchall()
            found += [(table, column, v) for (v,) in hits]
    return found


def truth(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / "ground_truth" / name, dtype=str, keep_default_na=False)


def choose_person(root: Path) -> pd.Series:
    """A person with one CRM record, texts, online orders and tickets."""
    persons = truth(root, "persons.csv")
    identity = truth(root, "identity_map.csv")
    texts = truth(root, "texts.csv")
    has = lambda source: set(identity.loc[identity["source"] == source, "person_id"])  # noqa: E731
    candidates = persons[
        persons["person_id"].isin(has("orders") & has("tickets") & set(texts["person_id"]))
        & ~persons["customer_ids"].str.contains("|", regex=False)
        & (persons["email"] != "")
    ]
    assert len(candidates), "the world should have a customer with texts, orders and tickets"
    return candidates.sort_values("person_id").iloc[0]
