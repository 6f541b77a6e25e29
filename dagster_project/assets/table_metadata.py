"""What the Dagster UI shows of a table an asset wrote: its row count, its columns and a few of its rows.

Everyone who opens the UI reads the event log, so previews mask personal data in every text cell (staging and
intermediate tables keep free text unmasked; the marts only hold it masked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import dagster as dg
from duckdb import DuckDBPyConnection

from ml.text import mask_pii

if TYPE_CHECKING:  # pandas is slow to import: the Dagster definitions load without it
    import pandas as pd

PREVIEW_ROWS = 5
# Long free text would make the preview table unreadable.
PREVIEW_CELL_CHARS = 60


def _cell(text: str) -> str:
    text = text if len(text) <= PREVIEW_CELL_CHARS else text[:PREVIEW_CELL_CHARS] + "…"
    return text.replace("|", "/").replace("\n", " ")


def preview_markdown(frame: pd.DataFrame) -> dg.MetadataValue:
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    shown = frame.astype(object).map(lambda v: _cell(mask_pii(v)) if isinstance(v, str) else v)
    return dg.MetadataValue.md(shown.to_markdown(index=False))


def table_preview(con: DuckDBPyConnection, relation: str) -> dg.MetadataValue:
    return preview_markdown(con.execute(f"select * from {relation} limit {PREVIEW_ROWS}").df())


def table_metadata(
    con: DuckDBPyConnection, relation: str, descriptions: Mapping[str, str | None] | None = None
) -> dict[str, object]:
    """Row count, column schema (names and DuckDB types, with `descriptions` where given) and a preview."""
    described = descriptions or {}
    columns = [
        dg.TableColumn(name, str(kind), description=described.get(name))
        for name, kind, *_ in con.execute(f"describe {relation}").fetchall()
    ]
    return {
        "dagster/row_count": con.execute(f"select count(*) from {relation}").fetchone()[0],
        "dagster/column_schema": dg.TableSchema(columns=columns),
        "preview": table_preview(con, relation),
    }
