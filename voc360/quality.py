"""Quality gate on raw.<source>: Great Expectations suites generated from the registry, validated per partition.

The suites live as files in expectations/raw/<source>.json (written by expectations/generate_raw_suites.py,
which calls `build_raw_suite`). Rules that depend on the run (volume against recent history, the event-time
window of the partitions, the share of rejected rows) are stored with GX's `{"$PARAMETER": name}` kwargs and
get their values from `raw_expectation_parameters` at validation time.

Validation runs on a pandas frame in an ephemeral GX context: GX's SQL datasource does not work on DuckDB (every
expectation comes back as an empty, failed result), so the partitions are read from DuckDB, typed per the
registry (raw keeps every value as VARCHAR) and handed to GX as a DataFrame.

Great Expectations and pandas are imported lazily (they take seconds to import), so importing this module stays
cheap for the Dagster code location; the imports happen on the first validation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import math
import os
import re
import statistics as stats
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb  # noqa: E402

from voc360.landing import AUDIT_TABLE, RAW_SCHEMA  # noqa: E402
from voc360.registry import Source, load_registry  # noqa: E402
from voc360.settings import PROJECT_ROOT  # noqa: E402

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core import ExpectationSuite

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
RAW_SUITES_DIR = EXPECTATIONS_DIR / "raw"

# Frame columns added to the registry columns.
EVENT_TIME_COLUMN = "_event_time_utc"
LOCATION_COLUMNS = ["_source_file", "_line_number"]

# Defaults of the run-dependent rules (overridable per call of raw_expectation_parameters).
LATENESS_DAYS = 3  # a file of day P carries events of days P-3 .. P (late rows)
RESEND_DAYS = 2  # a *_resend file of day P repeats records first sent on days P-2 .. P, late ones included
SKEW_HOURS = 15  # time-zone offsets (UTC-12 .. UTC+14) plus clock skew, on both ends of the window
HISTORY_PARTITIONS = 14  # volume baseline: the landed partitions before the window
MIN_HISTORY_PARTITIONS = 3  # fewer than this: the volume check is skipped, with a note
VOLUME_LOW, VOLUME_HIGH = 0.3, 3.0  # allowed rows per day, as a multiple of the baseline median
MIN_BASELINE_ROWS = 20  # below this many expected rows, day-to-day noise is too large for a volume check
MAX_REJECTED_SHARE = 0.05
REJECTED_ROWS_ALLOWANCE = 1  # this many rejected rows never fail the check alone (small files: 1 of 3 is 33%)
# Small batches: the bound is the count that a true share of MAX_REJECTED_SHARE would exceed with only this
# probability (binomial upper quantile), so 2 rejects in 29 rows pass while a broken export still fails.
REJECTED_FALSE_ALARM = 0.001

# Reserved keys of the parameters dict; everything else is handed to GX as an expectation parameter.
SKIP_KEY = "_skip"  # {parameter name: reason}: expectations using that parameter are skipped with the reason
NOTES_KEY = "_notes"  # {parameter name: text}: context shown beside the expectations using that parameter

SAMPLE_SIZE = 10
# Rows per frame handed to GX (pandas, in memory): a window with more is validated in chunks of partitions. A
# year of app events at 100,000 customers is 22 M rows, too many for one frame.
MAX_FRAME_ROWS = 1_000_000

# Source-specific rules that the registry cannot express (a range that depends on another column). Each entry:
# (column, min, max, condition column, condition value, note). The KPI definitions fix NPS at 0-10, CSAT at 1-5.
CONDITIONAL_RANGES: dict[str, list[tuple[str, float, float, str, str, str]]] = {
    "surveys": [
        ("score", 0, 10, "survey_type", "nps", "NPS is scored 0-10"),
        ("score", 1, 5, "survey_type", "csat", "CSAT is scored 1-5"),
    ],
}

RUNTIME_PARAMETERS_DOC = {
    "row_count_min": (
        f"ceil({VOLUME_LOW} x median daily rows_loaded of the last {HISTORY_PARTITIONS} landed partitions "
        f"(files > 0) before the window, from {AUDIT_TABLE}, x days in the window). Skipped with a note when "
        f"fewer than {MIN_HISTORY_PARTITIONS} such partitions exist, or when fewer than {MIN_BASELINE_ROWS} "
        "rows are expected (too few for a ratio to mean anything)."
    ),
    "row_count_max": f"floor({VOLUME_HIGH} x the same median x days in the window); skipped together with row_count_min.",
    "event_time_min": (
        f"first partition day 00:00 UTC - {LATENESS_DAYS + RESEND_DAYS} days of allowed lateness ({LATENESS_DAYS} "
        f"for a late record, {RESEND_DAYS} more when a resend file repeats it) - {SKEW_HOURS} h of time-zone and "
        "clock skew (naive UTC timestamp)."
    ),
    "event_time_max": f"last partition day + 1 day (00:00 UTC) + {SKEW_HOURS} h of skew (naive UTC timestamp).",
    "rows_read": f"sum of rows_read in {AUDIT_TABLE} for the validated partitions.",
    "max_rejected_rows": (
        f"max(binomial {1 - REJECTED_FALSE_ALARM:.1%} quantile of rows_read at the max rejected share "
        f"(default {MAX_REJECTED_SHARE:.0%}), {REJECTED_ROWS_ALLOWANCE}); the frame holds the loaded rows, so rows loaded >= rows_read - "
        "max_rejected_rows means the rejected share is within the bound."
    ),
}

_TYPE_SQL = {"integer": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}
_PANDAS_NULLABLE = {"integer": "Int64", "boolean": "boolean"}
# A timestamp string that carries its own zone: a time of day followed by Z, an offset, UTC/GMT or an IANA name.
_ZONE_RE = r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([zZ]|[+-]\d{1,2}(:?\d{2})?|(?i:utc|gmt)|[A-Za-z]+/[A-Za-z_]+(/[A-Za-z_]+)?)$"
_PARAM_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_$]*")
# Names the GX parameter expression language defines itself (functions and constants).
_GX_EXPRESSION_NAMES = {"sin", "cos", "tan", "exp", "abs", "trunc", "round", "sgn", "now", "datetime", "timedelta", "E", "PI"}


# --------------------------------------------------------------------------------------------------- suites


def build_raw_suite(source: Source) -> ExpectationSuite:
    """The raw-layer suite of one registry source (what expectations/raw/<source>.json holds)."""
    from great_expectations.core import ExpectationSuite

    gxe = _gx_expectations()
    from great_expectations.expectations.row_conditions import Column as RowColumn

    expectations = []
    not_null = [c.name for c in source.columns if (c.required and not c.nullable) or c.name in source.primary_key]
    for name in not_null:
        why = "primary key" if name in source.primary_key else "non-nullable in the registry"
        expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=name, meta={"check": f"not_null:{name}", "rule": why}))
    for column in source.columns:
        if column.values:
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column=column.name,
                    value_set=[_typed_literal(column.type, v) for v in column.values],
                    meta={"check": f"in_set:{column.name}", "rule": "allowed values in the registry"},
                )
            )
    for column in source.columns:
        if column.min is None and column.max is None:
            continue
        if column.type not in ("integer", "double"):
            raise ValueError(f"{source.name}.{column.name}: min/max are supported on numeric columns only")
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=column.name,
                min_value=column.min,
                max_value=column.max,
                meta={"check": f"range:{column.name}", "rule": "allowed range in the registry"},
            )
        )
    for column, low, high, cond_column, cond_value, note in CONDITIONAL_RANGES.get(source.name, []):
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=low,
                max_value=high,
                row_condition=RowColumn(cond_column) == cond_value,
                meta={"check": f"range:{column}[{cond_column}={cond_value}]", "rule": note},
            )
        )
    if source.timezone_column:
        expectations.append(
            gxe.ExpectColumnValuesToNotBeNull(
                column=EVENT_TIME_COLUMN,
                meta={
                    "check": "event_time_resolvable",
                    "rule": f"{source.event_time} converts to UTC: it carries an offset or "
                    f"{source.timezone_column} is a known IANA zone",
                },
            )
        )
    if source.event_time:  # a snapshot export has no event time to place
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=EVENT_TIME_COLUMN,
                min_value={"$PARAMETER": "event_time_min"},
                max_value={"$PARAMETER": "event_time_max"},
                meta={
                    "check": "event_time_window",
                    "rule": f"{source.event_time} (in UTC) inside the partition window plus allowed lateness and skew",
                },
            )
        )
    expectations.append(
        gxe.ExpectTableRowCountToBeBetween(
            min_value={"$PARAMETER": "row_count_min"},
            max_value={"$PARAMETER": "row_count_max"},
            meta={"check": "volume_vs_history", "rule": "rows loaded in line with the recent daily median"},
        )
    )
    expectations.append(
        gxe.ExpectTableRowCountToBeBetween(
            min_value={"$PARAMETER": "rows_read - max_rejected_rows"},
            meta={"check": "rejected_share", "rule": "share of rows rejected at landing under the bound"},
        )
    )
    meta = {
        "source": source.name,
        "layer": "raw",
        "generated_by": "expectations/generate_raw_suites.py from config/sources.yml; regenerate, do not edit",
        "frame": (
            f"raw.{source.name} rows of the validated partitions, typed per the registry, with "
            f"{EVENT_TIME_COLUMN} (the event time in UTC) added: voc360.quality.raw_frame"
        ),
        "runtime_parameters": RUNTIME_PARAMETERS_DOC,
        "mostly": (
            "not used: every rule is a contract of the export, and the tolerant rules (volume, rejected "
            "share) carry their tolerance in their bounds"
        ),
        "not_checked": "primary-key uniqueness: re-sent records repeat their key in raw; staging deduplicates",
    }
    return ExpectationSuite(name=f"raw.{source.name}", expectations=expectations, meta=meta)


def suite_json_text(suite: ExpectationSuite) -> str:
    """The file form of a suite: `suite.to_json_dict()` as indented JSON."""
    return json.dumps(suite.to_json_dict(), indent=2, ensure_ascii=False) + "\n"


def write_raw_suites(suites_dir: Path = RAW_SUITES_DIR) -> list[Path]:
    """(Re)write expectations/raw/<source>.json for every registry source; remove suites of removed sources."""
    suites_dir.mkdir(parents=True, exist_ok=True)
    sources = load_registry().sources
    written = []
    for name, source in sources.items():
        path = suites_dir / f"{name}.json"
        path.write_text(suite_json_text(build_raw_suite(source)), encoding="utf-8")
        written.append(path)
    for stale in suites_dir.glob("*.json"):
        if stale.stem not in sources:
            stale.unlink()
    return written


def load_suite(path: Path | str) -> ExpectationSuite:
    """Load a suite file written by `suite_json_text`."""
    from great_expectations.core import ExpectationSuite

    _gx_expectations()
    return ExpectationSuite(**json.loads(Path(path).read_text(encoding="utf-8")))


def suite_columns(suite: ExpectationSuite) -> set[str]:
    """Columns a suite reads: the expectations' `column` kwargs and the columns of their row conditions."""
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            column = value.get("column")
            if isinstance(column, dict) and isinstance(column.get("name"), str):
                names.add(column["name"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for expectation in suite.to_json_dict()["expectations"]:
        kwargs = expectation["kwargs"]
        if isinstance(kwargs.get("column"), str):
            names.add(kwargs["column"])
        for key in ("column_A", "column_B"):
            if isinstance(kwargs.get(key), str):
                names.add(kwargs[key])
        names.update(c for c in kwargs.get("column_list") or [] if isinstance(c, str))
        walk(kwargs.get("row_condition"))
    return names


def _typed_literal(column_type: str, value: str) -> Any:
    if column_type == "integer":
        return int(value)
    if column_type == "double":
        return float(value)
    if column_type == "boolean":
        return value.lower() in ("true", "t", "1", "yes")
    return value


def _gx_expectations():
    import great_expectations.expectations as gxe

    return gxe


# ------------------------------------------------------------------------------------------------ the frame


def _source(source: Source | str) -> Source:
    return source if isinstance(source, Source) else load_registry().sources[source]


def _dates(partition_dates: Iterable[dt.date | str]) -> list[dt.date]:
    dates = sorted({d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in partition_dates})
    if not dates:
        raise ValueError("no partition dates given")
    return dates


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _utc_timestamp_sql(column: str, timezone_column: str | None = None) -> str:
    """SQL turning a landed timestamp string into a naive UTC TIMESTAMP.

    A value with its own zone (Z, an offset, UTC, an IANA name) is converted from it. A naive value is local time
    in `timezone_column` when given (NULL when that zone is unknown), else taken as UTC.
    """
    col = _quote(column)
    zone_re = _ZONE_RE.replace("'", "''")
    naive = f"try_cast({col} as TIMESTAMP)"
    if timezone_column:
        tz = _quote(timezone_column)
        naive = (
            f"case when {tz} in (select name from pg_timezone_names()) "
            f"then timezone('UTC', timezone({tz}, try_cast({col} as TIMESTAMP))) end"
        )
    return (
        f"case when {col} is null then null "
        f"when regexp_matches({col}, '{zone_re}') then timezone('UTC', try_cast({col} as TIMESTAMPTZ)) "
        f"else {naive} end"
    )


def _table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows]


def raw_frame(
    con: duckdb.DuckDBPyConnection,
    source: Source | str,
    partition_dates: Iterable[dt.date | str],
    columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The rows of raw.<source> in the given partitions, typed per the registry, with the UTC event time added.

    Columns: the registry columns present in raw (integer -> Int64, double -> float64, boolean -> boolean,
    date and timestamp -> datetime64), `_source_file`, `_line_number`, `_partition_date`, and
    `_event_time_utc`. Timestamps with a zone or offset are converted to naive UTC; naive ones are kept as
    written (taken as UTC). `_event_time_utc` is the event time in naive UTC, where a naive event time of a
    source with a timezone_column is local time in that zone (NULL when the zone is unknown). A registry column
    missing from raw is left out, so the expectations on it report an error rather than pass. `columns` limits
    the registry columns to those named (the lineage columns and `_event_time_utc` are always there).
    """
    source = _source(source)
    dates = _dates(partition_dates)
    wanted = set(columns) if columns is not None else None
    present = _table_columns(con, RAW_SCHEMA, source.name)
    if not present:
        raise LookupError(f"{RAW_SCHEMA}.{source.name} does not exist: land the source before validating it")
    selects = []
    for column in source.columns:
        if column.name not in present or (wanted is not None and column.name not in wanted):
            continue
        col = _quote(column.name)
        if column.type == "timestamp":
            expr = _utc_timestamp_sql(column.name)
        elif column.type in _TYPE_SQL:
            expr = f"try_cast({col} as {_TYPE_SQL[column.type]})"
        else:
            expr = col
        selects.append(f"{expr} as {col}")
    for lineage in (*LOCATION_COLUMNS, "_partition_date"):
        if lineage in present:
            selects.append(_quote(lineage))
    if source.event_time in present:
        tz = source.timezone_column if source.timezone_column in present else None
        selects.append(f"{_utc_timestamp_sql(source.event_time, tz)} as {EVENT_TIME_COLUMN}")
    order = ", ".join(_quote(c) for c in ("_partition_date", *LOCATION_COLUMNS) if c in present)
    sql = (
        f"select {', '.join(selects)} from {RAW_SCHEMA}.{_quote(source.name)} "
        f"where _partition_date = any(?)" + (f" order by {order}" if order else "")
    )
    df = con.execute(sql, [dates]).df()
    # DuckDB gives int64/bool without NULLs and Int64/boolean with them: use the nullable dtypes always.
    for column in source.columns:
        if column.name in df.columns and column.type in _PANDAS_NULLABLE:
            df[column.name] = df[column.name].astype(_PANDAS_NULLABLE[column.type])
    return df


# ------------------------------------------------------------------------------------------- run parameters


def _table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, table = qualified.split(".")
    return bool(_table_columns(con, schema, table))


def raw_expectation_parameters(
    con: duckdb.DuckDBPyConnection,
    source: Source | str,
    partition_dates: Iterable[dt.date | str],
    *,
    lateness_days: int = LATENESS_DAYS + RESEND_DAYS,
    skew_hours: float = SKEW_HOURS,
    history_partitions: int = HISTORY_PARTITIONS,
    min_history_partitions: int = MIN_HISTORY_PARTITIONS,
    volume_low: float = VOLUME_LOW,
    volume_high: float = VOLUME_HIGH,
    min_baseline_rows: int = MIN_BASELINE_ROWS,
    max_rejected_share: float = MAX_REJECTED_SHARE,
    rejected_rows_allowance: int = REJECTED_ROWS_ALLOWANCE,
) -> dict[str, Any]:
    """Values of the suite's `$PARAMETER`s for a run over `partition_dates`, from raw_audit.loads.

    Besides the parameters (see RUNTIME_PARAMETERS_DOC) the dict holds `_skip` ({parameter: reason}; the
    expectations using a skipped parameter are reported as skipped) and `_notes` ({parameter: context}).
    The volume rule compares the rows of the whole window with days x the baseline median.
    """
    source = _source(source)
    dates = _dates(partition_dates)
    audit = _table_exists(con, AUDIT_TABLE)
    skew = dt.timedelta(hours=skew_hours)
    start = dt.datetime.combine(dates[0], dt.time())
    end = dt.datetime.combine(dates[-1], dt.time()) + dt.timedelta(days=1)
    params: dict[str, Any] = {
        "event_time_min": start - dt.timedelta(days=lateness_days) - skew,
        "event_time_max": end + skew,
    }
    notes: dict[str, str] = {}
    skip: dict[str, str] = {}
    notes["event_time_min"] = (
        f"window {params['event_time_min']:%Y-%m-%d %H:%M} .. {params['event_time_max']:%Y-%m-%d %H:%M} UTC "
        f"(partitions {dates[0]} .. {dates[-1]}, {lateness_days} days lateness, {skew_hours:g} h skew)"
    )

    history: list[int] = []
    if audit:
        history = [
            r[0]
            for r in con.execute(
                f"select rows_loaded from {AUDIT_TABLE} where source = ? and partition_date < ? and files > 0 "
                "order by partition_date desc limit ?",
                [source.name, dates[0], history_partitions],
            ).fetchall()
        ]
    median = float(stats.median(history)) if history else 0.0
    expected = median * len(dates)
    reason = None
    if len(history) < min_history_partitions:
        reason = (
            f"volume check skipped: {len(history)} landed partition(s) before {dates[0]}, "
            f"{min_history_partitions} needed for a baseline"
        )
    elif expected < min_baseline_rows:
        reason = (
            f"volume check skipped: baseline of {median:g} rows/day x {len(dates)} day(s) is under "
            f"{min_baseline_rows} rows, too few for a volume ratio"
        )
    if reason:
        params["row_count_min"] = params["row_count_max"] = None
        skip["row_count_min"] = skip["row_count_max"] = reason
    else:
        params["row_count_min"] = math.ceil(volume_low * expected - 1e-9)
        params["row_count_max"] = math.floor(volume_high * expected + 1e-9)
        notes["row_count_min"] = (
            f"median {median:g} rows/day over the last {len(history)} landed partitions before {dates[0]}; "
            f"allowed {volume_low:g}x..{volume_high:g}x for {len(dates)} day(s)"
        )

    rows_read = rows_rejected = 0
    if audit:
        rows_read, rows_rejected = con.execute(
            f"select coalesce(sum(rows_read), 0), coalesce(sum(rows_rejected), 0) from {AUDIT_TABLE} "
            "where source = ? and partition_date = any(?)",
            [source.name, dates],
        ).fetchone()
    params["rows_read"] = int(rows_read)
    from scipy.stats import binom  # imported here: scipy.stats is slow to import at definitions load

    tolerated = int(binom.ppf(1 - REJECTED_FALSE_ALARM, int(rows_read), max_rejected_share)) if rows_read else 0
    params["max_rejected_rows"] = max(tolerated, rejected_rows_allowance)
    share = rows_rejected / rows_read if rows_read else 0.0
    notes["max_rejected_rows"] = (
        f"{rows_rejected} of {rows_read} rows rejected at landing ({share:.1%}); bound {max_rejected_share:.1%} "
        f"({params['max_rejected_rows']} row(s) tolerated at this volume)"
    )
    params[SKIP_KEY] = skip
    params[NOTES_KEY] = notes
    return params


# ----------------------------------------------------------------------------------------------- validation


@dataclasses.dataclass
class ExpectationOutcome:
    """One expectation of a validation run."""

    check: str  # the suite's meta.check name, e.g. "not_null:customer_id", "volume_vs_history"
    expectation_type: str
    column: str | None
    success: bool
    observed_value: Any = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    missing_count: int | None = None  # NULLs, which a column rule other than not-null leaves out of its percent
    samples: list[Any] = dataclasses.field(default_factory=list)  # up to 10 unexpected values
    sample_rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # value + file and line
    exception: str | None = None  # set when the expectation errored (always with success False)
    skipped: bool = False
    note: str | None = None
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)  # as evaluated (parameters substituted)

    def sample_texts(self) -> list[str]:
        """The samples as short texts: `value @ file:line` when the row's location is known."""
        if self.sample_rows and all("_source_file" in row for row in self.sample_rows):
            return [
                f"{_short(row.get(self.column) if self.column else None) or 'NULL'} @ "
                f"{row['_source_file']}:{row.get('_line_number')}"
                for row in self.sample_rows
            ]
        return [_short(v) if v is not None else "NULL" for v in self.samples]

    @property
    def status(self) -> str:
        if self.skipped:
            return "SKIPPED"
        if self.exception:
            return "ERROR"
        return "PASS" if self.success else "FAIL"


@dataclasses.dataclass
class ValidationOutcome:
    """Result of validating one frame against one suite."""

    suite_name: str
    source: str | None
    partitions: list[str]
    success: bool
    statistics: dict[str, Any]
    results: list[ExpectationOutcome]
    parameters: dict[str, Any]
    row_count: int
    validated_at: str

    @property
    def failures(self) -> list[ExpectationOutcome]:
        """Expectations that failed or errored (skipped ones are not failures)."""
        return [r for r in self.results if not r.success and not r.skipped]

    def result(self, check: str) -> ExpectationOutcome:
        return next(r for r in self.results if r.check == check)

    def to_dict(self) -> dict[str, Any]:
        return _json_safe(dataclasses.asdict(self))

    def to_markdown(self, max_rows: int = 50) -> str:
        """A compact table of the non-passing expectations (all of them when every one passed)."""
        shown = [r for r in self.results if r.status != "PASS"] or self.results
        lines = ["| status | check | observed | unexpected | samples / error |", "|---|---|---|---|---|"]
        for r in shown[:max_rows]:
            detail = r.exception or ", ".join(r.sample_texts()) or r.note or ""
            lines.append(
                f"| {r.status} | `{r.check}` | {_short(r.observed_value)} | "
                f"{'' if r.unexpected_count is None else r.unexpected_count} | {_md_cell(detail)} |"
            )
        if len(shown) > max_rows:
            lines.append(f"| ... | {len(shown) - max_rows} more | | | |")
        return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:300]


def _short(value: Any, limit: int = 80) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_safe(value: Any) -> Any:
    """Plain JSON values: numpy scalars unwrapped, NaN/NA/NaT -> None, datetimes -> ISO strings."""
    import pandas as pd

    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, int | float):
        try:
            value = value.item()
        except (ValueError, TypeError, AttributeError):
            return str(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, float | int):
        return value
    return str(value)


def _parameter_names(kwargs: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for value in kwargs.values():
        if isinstance(value, dict) and "$PARAMETER" in value:
            names |= set(_PARAM_NAME_RE.findall(str(value["$PARAMETER"]))) - _GX_EXPRESSION_NAMES
    return names


def _exception_message(result) -> str | None:
    """The error of a GX result, or None. GX returns the error either flat or keyed by the failing metric."""
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return info.get("exception_message") or "expectation raised an exception"
    messages = [
        v.get("exception_message") or "expectation raised an exception"
        for v in info.values()
        if isinstance(v, dict) and v.get("raised_exception")
    ]
    return "; ".join(messages) if messages else None


def validate_frame(
    df: pd.DataFrame,
    suite: ExpectationSuite,
    parameters: dict[str, Any] | None = None,
    *,
    source: str | None = None,
    partitions: Sequence[dt.date | str] | None = None,
) -> ValidationOutcome:
    """Validate a DataFrame against a suite in an ephemeral GX context.

    `parameters` gives the values of `$PARAMETER` kwargs (plus the reserved `_skip` / `_notes`, see
    raw_expectation_parameters). An expectation whose parameter is missing, or that raised inside GX, is
    reported with its error and counts as failed; one whose parameter is in `_skip` is reported as skipped.
    """
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    parameters = dict(parameters or {})
    skip: dict[str, str] = parameters.pop(SKIP_KEY, {}) or {}
    notes: dict[str, str] = parameters.pop(NOTES_KEY, {}) or {}
    configs = _named_configs(suite)

    planned: list[tuple[str, Any, ExpectationOutcome | None]] = []  # (check, config, ready outcome or None)
    notes_by_check: dict[str, str | None] = {}
    for config in configs:
        check = config.meta["check"]
        names = _parameter_names(config.kwargs)
        note = "; ".join(dict.fromkeys(notes[n] for n in sorted(names) if n in notes)) or None
        notes_by_check[check] = note
        base = dict(check=check, expectation_type=config.type, column=config.kwargs.get("column"))
        skipped = sorted(n for n in names if n in skip)
        missing = sorted(n for n in names if n not in parameters)
        if skipped:
            reason = "; ".join(dict.fromkeys(skip[n] for n in skipped))
            planned.append((check, config, ExpectationOutcome(**base, success=True, skipped=True, note=reason)))
        elif missing:
            message = f"no value given for $PARAMETER {', '.join(missing)}"
            planned.append((check, config, ExpectationOutcome(**base, success=False, exception=message, note=note)))
        else:
            planned.append((check, config, None))

    to_run = [config for _, config, ready in planned if ready is None]
    by_check: dict[str, ExpectationOutcome] = {}
    if to_run:
        index_columns = [c for c in LOCATION_COLUMNS if c in df.columns]
        result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
        if index_columns:
            result_format["unexpected_index_column_names"] = index_columns
        run_suite = ExpectationSuite(name=suite.name, expectations=[c.to_domain_obj() for c in to_run])
        gx_params = {k: v for k, v in parameters.items() if not k.startswith("_")}
        try:
            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            batch_definition = (
                context.data_sources.add_pandas(f"voc360_{uuid.uuid4().hex[:8]}")
                .add_dataframe_asset("frame")
                .add_batch_definition_whole_dataframe("whole_frame")
            )
            batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
            validation = batch.validate(run_suite, result_format=result_format, expectation_parameters=gx_params)
        except Exception as exc:  # GX failed as a whole: every expectation it should have run is an error
            message = f"validation raised {type(exc).__name__}: {exc}"
            for config in to_run:
                check = config.meta["check"]
                by_check[check] = ExpectationOutcome(
                    check=check, expectation_type=config.type, column=config.kwargs.get("column"),
                    success=False, exception=message,
                )
        else:
            for result in validation.results:
                config = result.expectation_config
                check = (config.meta or {}).get("check")
                by_check[check] = _outcome_from_result(check, config, result, notes_by_check.get(check))

    outcomes = []
    for check, config, ready in planned:
        outcome = ready or by_check.get(check)
        if outcome is None:
            outcome = ExpectationOutcome(
                check=check, expectation_type=config.type, column=config.kwargs.get("column"),
                success=False, exception="GX returned no result for this expectation",
            )
        outcomes.append(outcome)

    if partitions is None and "_partition_date" in df.columns:
        partitions = sorted({d for d in df["_partition_date"].dropna()})
    return _validation_outcome(
        suite, source, partitions, outcomes, _json_safe({**parameters, SKIP_KEY: skip, NOTES_KEY: notes}), len(df))


def _named_configs(suite: ExpectationSuite) -> list:
    """Fresh copies of the suite's expectation configurations (GX substitutes parameters into the ones it
    validates), each with its check name in meta.check: the suite's, or type:column:position."""
    from great_expectations.core import ExpectationSuite

    configs = [e.configuration for e in ExpectationSuite(**suite.to_json_dict()).expectations]
    seen: set[str] = set()
    for i, config in enumerate(configs):
        check = (config.meta or {}).get("check") or f"{config.type}:{config.kwargs.get('column', '')}:{i}"
        if check in seen:
            check = f"{check}#{i}"
        seen.add(check)
        config.meta = {**(config.meta or {}), "check": check}
    return configs


def _validation_outcome(suite: ExpectationSuite, source: str | None, partitions, outcomes: list[ExpectationOutcome],
                        parameters: dict[str, Any], row_count: int) -> ValidationOutcome:
    import pandas as pd

    evaluated = [o for o in outcomes if not o.skipped]
    passed = sum(o.success for o in evaluated)
    statistics = {
        "evaluated_expectations": len(evaluated),
        "successful_expectations": passed,
        "unsuccessful_expectations": len(evaluated) - passed,
        "errored_expectations": sum(o.exception is not None for o in evaluated),
        "skipped_expectations": len(outcomes) - len(evaluated),
        "success_percent": 100.0 * passed / len(evaluated) if evaluated else None,
    }
    return ValidationOutcome(
        suite_name=suite.name,
        source=source or (suite.meta or {}).get("source"),
        partitions=[_json_safe(pd.Timestamp(p).date() if not isinstance(p, str) else p) for p in partitions or []],
        success=passed == len(evaluated),
        statistics=statistics,
        results=outcomes,
        parameters=parameters,
        row_count=row_count,
        validated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


def _outcome_from_result(check: str, config, result, note: str | None) -> ExpectationOutcome:
    exception = _exception_message(result)
    data = result.result or {}
    column = config.kwargs.get("column")
    samples = [_json_safe(v) for v in (data.get("partial_unexpected_list") or [])][:SAMPLE_SIZE]
    sample_rows = []
    for row in (data.get("partial_unexpected_index_list") or [])[:SAMPLE_SIZE]:
        if isinstance(row, dict):
            sample_rows.append(_json_safe(row))
        else:  # no index columns: GX gives the frame index
            sample_rows.append({"row_index": _json_safe(row)})
    if "observed_value" in data:
        observed = _json_safe(data["observed_value"])
    elif data.get("element_count") is not None:
        observed = f"{data.get('unexpected_count', 0)} of {data['element_count']} rows unexpected"
    else:
        observed = None
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    return ExpectationOutcome(
        check=check,
        expectation_type=config.type,
        column=column,
        success=bool(result.success) and exception is None,
        observed_value=observed,
        element_count=data.get("element_count"),
        unexpected_count=data.get("unexpected_count"),
        unexpected_percent=_json_safe(data.get("unexpected_percent")),
        missing_count=data.get("missing_count"),
        samples=samples,
        sample_rows=sample_rows,
        exception=exception,
        note=note,
        kwargs=_json_safe(kwargs),
    )


def validate_raw_partitions(
    con: duckdb.DuckDBPyConnection,
    source: Source | str,
    partition_dates: Iterable[dt.date | str],
    suites_dir: Path | str = RAW_SUITES_DIR,
    max_frame_rows: int = MAX_FRAME_ROWS,
    **parameter_overrides: Any,
) -> ValidationOutcome:
    """Validate raw.<source> for the given partitions against expectations/raw/<source>.json.

    The one call a blocking asset check makes: reads the frame, computes the run parameters (keyword overrides
    are passed to raw_expectation_parameters, e.g. max_rejected_share=0.02), validates. A window of more than
    `max_frame_rows` rows is validated in chunks of partitions (`_validate_in_chunks`).
    """
    source = _source(source)
    dates = _dates(partition_dates)
    path = Path(suites_dir) / f"{source.name}.json"
    if not path.exists():
        raise FileNotFoundError(f"no raw suite for {source.name}: {path} (run expectations/generate_raw_suites.py)")
    suite = load_suite(path)
    parameters = raw_expectation_parameters(con, source, dates, **parameter_overrides)
    chunks = partition_chunks(con, source, dates, max_frame_rows)
    if len(chunks) == 1:
        frame = raw_frame(con, source, dates, columns=suite_columns(suite))
        return validate_frame(frame, suite, parameters, source=source.name, partitions=dates)
    return _validate_in_chunks(con, source, suite, parameters, dates, chunks)


def partition_chunks(con: duckdb.DuckDBPyConnection, source: Source, dates: list[dt.date],
                     max_rows: int) -> list[list[dt.date]]:
    """The dates in consecutive groups of at most `max_rows` raw rows (a single larger day is a group alone)."""
    counts = dict(con.execute(
        f"select _partition_date, count(*) from {RAW_SCHEMA}.{_quote(source.name)} "
        "where _partition_date = any(?) group by 1", [dates]).fetchall())
    chunks: list[list[dt.date]] = [[]]
    rows = 0
    for day in dates:
        n = counts.get(day, 0)
        if chunks[-1] and rows + n > max_rows:
            chunks.append([])
            rows = 0
        chunks[-1].append(day)
        rows += n
    return chunks


def _validate_in_chunks(con: duckdb.DuckDBPyConnection, source: Source, suite: ExpectationSuite,
                        parameters: dict[str, Any], dates: list[dt.date],
                        chunks: list[list[dt.date]]) -> ValidationOutcome:
    """The suite over a window too large for one frame: the row rules (expect_column_values_*) per chunk of
    partitions, their counts and samples added up; the table rules (row counts) once, on a frame of the
    window's partition column alone. The outcome is the one a single frame would give."""
    from great_expectations.core import ExpectationSuite

    configs = _named_configs(suite)
    row_rules = [c for c in configs if c.type.startswith("expect_column_values_")]
    table_rules = [c for c in configs if c.type.startswith("expect_table_")]
    other = [c.type for c in configs if not c.type.startswith(("expect_column_values_", "expect_table_"))]
    if other:
        raise ValueError(f"{suite.name}: {', '.join(other)} cannot be added up over chunks of partitions")

    def part(rules: list) -> ExpectationSuite:
        return ExpectationSuite(name=suite.name, meta=suite.meta, expectations=[c.to_domain_obj() for c in rules])

    window = con.execute(f"select _partition_date from {RAW_SCHEMA}.{_quote(source.name)} "
                         "where _partition_date = any(?)", [dates]).df()
    table = validate_frame(window, part(table_rules), parameters, source=source.name, partitions=dates)
    columns = suite_columns(suite)
    per_chunk = [validate_frame(raw_frame(con, source, chunk, columns=columns), part(row_rules), parameters,
                                source=source.name, partitions=chunk).results for chunk in chunks]
    by_check = {o.check: o for o in table.results}
    for outcomes in zip(*per_chunk, strict=True):
        by_check[outcomes[0].check] = _added_up(list(outcomes))
    outcomes = [by_check[c.meta["check"]] for c in configs]
    return _validation_outcome(suite, source.name, dates, outcomes, table.parameters, table.row_count)


def _added_up(parts: list[ExpectationOutcome]) -> ExpectationOutcome:
    """One row rule's outcomes over chunks of a frame as the outcome over the whole frame."""
    first = parts[0]
    if all(p.skipped for p in parts):
        return first

    def total(field: str) -> int | None:
        values = [getattr(p, field) for p in parts]
        return None if all(v is None for v in values) else sum(v or 0 for v in values)

    elements, unexpected, missing = total("element_count"), total("unexpected_count"), total("missing_count")
    percent = None
    if elements is not None and unexpected is not None:
        counted = elements - (missing or 0)  # GX's percent of a rule other than not-null leaves NULLs out
        percent = unexpected / counted * 100 if counted else None  # in the order GX computes it
    errors = list(dict.fromkeys(p.exception for p in parts if p.exception))
    return dataclasses.replace(
        first,
        success=all(p.success for p in parts),
        observed_value=None if elements is None else f"{unexpected or 0} of {elements} rows unexpected",
        element_count=elements,
        unexpected_count=unexpected,
        unexpected_percent=percent,
        missing_count=missing,
        samples=[v for p in parts for v in p.samples][:SAMPLE_SIZE],
        sample_rows=[r for p in parts for r in p.sample_rows][:SAMPLE_SIZE],
        exception="; ".join(errors) or None,
    )


# --------------------------------------------------------------------------------------------------- report

# The report is a self-contained page of our own rather than GX Data Docs: Data Docs need a file data context
# (datasource, suite, validation definition and checkpoint persisted in a project directory for every run),
# build a multi-page site rather than one page, and load their CSS/JS from CDNs, so an offline page is
# unstyled. This page also shows what Data Docs do not: skipped checks with their reason, the run
# parameters, and the file and line of failing rows.

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2328;max-width:80rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{font-size:.85rem}.meta td:first-child{font-weight:600}
.PASS{color:#1a7f37;font-weight:600}.FAIL,.ERROR{color:#cf222e;font-weight:600}.SKIPPED{color:#9a6700;font-weight:600}
.badge{display:inline-block;padding:.1rem .6rem;border-radius:1rem;color:#fff}
.badge.PASS{background:#1a7f37}.badge.FAIL{background:#cf222e}
details{margin:.3rem 0 1rem}summary{cursor:pointer}
"""


def _e(value: Any) -> str:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return html.escape("" if value is None else str(value))


def render_html_report(
    outcomes: ValidationOutcome | Sequence[ValidationOutcome], path: Path | str, title: str | None = None
) -> Path:
    """Write one self-contained HTML page for a run: per validation the source, partitions, a pass/fail table
    of every expectation, and the failing samples with their file and line. Returns the path."""
    if isinstance(outcomes, ValidationOutcome):
        outcomes = [outcomes]
    path = Path(path)
    ok = all(o.success for o in outcomes)
    if title is None:
        names = ", ".join(sorted({o.suite_name for o in outcomes}))
        parts = sorted({p for o in outcomes for p in o.partitions})
        span = f"{parts[0]} .. {parts[-1]}" if len(parts) > 1 else (parts[0] if parts else "")
        title = f"Data quality: {names} {span}".strip()
    body = [
        f"<h1>{_e(title)} <span class='badge {'PASS' if ok else 'FAIL'}'>{'PASSED' if ok else 'FAILED'}</span></h1>"
    ]
    for outcome in outcomes:
        body.append(_render_outcome(outcome))
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _render_outcome(o: ValidationOutcome) -> str:
    status = "PASS" if o.success else "FAIL"
    s = o.statistics
    out = [
        f"<h2>{_e(o.suite_name)} <span class='{status}'>{'passed' if o.success else 'failed'}</span></h2>",
        "<table class='meta'>",
        f"<tr><td>source</td><td>{_e(o.source)}</td></tr>",
        f"<tr><td>partitions</td><td>{_e(', '.join(o.partitions))}</td></tr>",
        f"<tr><td>rows validated</td><td>{o.row_count}</td></tr>",
        f"<tr><td>validated at</td><td>{_e(o.validated_at)}</td></tr>",
        f"<tr><td>expectations</td><td>{s.get('successful_expectations')} passed, "
        f"{s.get('unsuccessful_expectations')} failed ({s.get('errored_expectations')} errored), "
        f"{s.get('skipped_expectations')} skipped</td></tr>",
        "</table>",
        "<table><tr><th>status</th><th>check</th><th>expectation</th><th>column</th><th>observed</th>"
        "<th>unexpected</th><th>note / error</th></tr>",
    ]
    for r in o.results:
        unexpected = "" if r.unexpected_count is None else f"{r.unexpected_count}"
        if r.unexpected_percent is not None and r.unexpected_count:
            unexpected += f" ({r.unexpected_percent:.1f}%)"
        out.append(
            f"<tr><td class='{r.status}'>{r.status}</td><td><code>{_e(r.check)}</code></td>"
            f"<td>{_e(r.expectation_type)}</td><td>{_e(r.column)}</td><td>{_e(r.observed_value)}</td>"
            f"<td>{_e(unexpected)}</td><td>{_e(r.exception or r.note)}</td></tr>"
        )
    out.append("</table>")
    failing = [r for r in o.results if r.status in ("FAIL", "ERROR")]
    if failing:
        out.append("<h3>Failing expectations</h3>")
    for r in failing:
        out.append(f"<details open><summary><code>{_e(r.check)}</code> ({_e(r.expectation_type)})</summary>")
        if r.kwargs:
            out.append(f"<p>arguments: <code>{_e(r.kwargs)}</code></p>")
        if r.exception:
            out.append(f"<p class='ERROR'>error: {_e(r.exception)}</p>")
        if r.sample_rows:
            keys = list(dict.fromkeys(k for row in r.sample_rows for k in row))
            out.append("<table><tr>" + "".join(f"<th>{_e(k)}</th>" for k in keys) + "</tr>")
            for row in r.sample_rows:
                out.append("<tr>" + "".join(f"<td>{_e(row.get(k))}</td>" for k in keys) + "</tr>")
            out.append("</table>")
        elif r.samples:
            out.append(f"<p>sample values: {_e(', '.join(r.sample_texts()))}</p>")
        out.append("</details>")
    params = {k: v for k, v in o.parameters.items() if not k.startswith("_")}
    if params:
        out.append("<h3>Run parameters</h3><table><tr><th>parameter</th><th>value</th></tr>")
        for k, v in params.items():
            out.append(f"<tr><td><code>{_e(k)}</code></td><td>{_e(v)}</td></tr>")
        out.append("</table>")
    return "".join(out)


# ------------------------------------------------------------------------------------ mart and ML table suites

# Clear e-mail addresses and Chinese mobile numbers (the commonest personal data in feedback text), which
# masked text must not contain.
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
CN_MOBILE_PATTERN = r"(?<!\d)1[3-9]\d{9}(?!\d)"


# The contract analysts rely on, per key table of the marts and of the ML outputs the marts read, by qualified
# name: (expectation, column, keyword arguments). Plausibility rules that dbt's schema tests do not express
# (ranges of KPIs and scores, non-negative money and durations, one row per key, no personal data in text).
TABLE_RULES: dict[str, list[tuple[str, str | None, dict[str, Any]]]] = {
    "marts.customer_360": [
        ("not_null", "person_id", {}),
        ("unique", "person_id", {}),
        ("between", "completed_orders", {"min_value": 0}),
        ("between", "net_revenue", {"min_value": 0}),
        ("between", "aov", {"min_value": 0}),
        ("between", "median_first_response_minutes", {"min_value": 0}),
        ("between", "last_nps_score", {"min_value": 0, "max_value": 10}),
        ("between", "last_csat_score", {"min_value": 1, "max_value": 5}),
        ("between", "rfm_recency_score", {"min_value": 1, "max_value": 5}),
        ("in_set", "nps_category", {"value_set": ["promoter", "passive", "detractor"]}),
        ("rows_between", None, {"min_value": 1}),
    ],
    "marts.kpi_monthly": [
        ("not_null", "month_start", {}),
        ("not_null", "channel", {}),
        ("between", "nps", {"min_value": -100, "max_value": 100}),
        ("between", "aov", {"min_value": 0}),
        ("between", "orders", {"min_value": 0}),
        ("between", "purchase_frequency", {"min_value": 0}),
        ("rows_between", None, {"min_value": 1}),
    ],
    "marts.kpi_daily_channel": [
        ("not_null", "date_day", {}),
        ("between", "nps", {"min_value": -100, "max_value": 100}),
        ("between", "aov", {"min_value": 0}),
        ("between", "orders", {"min_value": 0}),
        ("rows_between", None, {"min_value": 1}),
    ],
    "marts.kpi_service_monthly": [
        ("not_null", "month_start", {}),
        ("between", "csat", {"min_value": 0, "max_value": 1}),
        ("between", "one_touch_resolution_rate", {"min_value": 0, "max_value": 1}),
        ("between", "reopen_rate", {"min_value": 0, "max_value": 1}),
        ("between", "first_response_minutes_median", {"min_value": 0}),
        ("between", "first_response_minutes_p90", {"min_value": 0}),
        ("between", "full_resolution_minutes_median", {"min_value": 0}),
        ("rows_between", None, {"min_value": 1}),
    ],
    # No row-count floor: a history without a month end that has its full look-back has no churn month yet.
    "marts.kpi_churn_monthly": [
        ("not_null", "month_start", {}),
        ("between", "churn_rate", {"min_value": 0, "max_value": 1}),
        ("between", "membership_renewal_rate", {"min_value": 0, "max_value": 1}),
    ],
    # The ML outputs are checked before the marts read them. Short histories write empty score tables.
    "ml.text_insights": [
        ("not_null", "text_id", {}),
        ("unique", "text_id", {}),
        ("not_null", "topic_id", {}),
        ("in_set", "sentiment", {"value_set": ["negative", "neutral", "positive"]}),
        ("between", "sentiment_score", {"min_value": -1, "max_value": 1}),
        ("not_match", "masked_text", {"regex": EMAIL_PATTERN}),
        ("not_match", "masked_text", {"regex": CN_MOBILE_PATTERN}),
    ],
    "ml.topics": [
        ("not_null", "topic_id", {}),
        ("unique", "topic_id", {}),
        ("not_null", "label", {}),
    ],
    "ml.churn_scores": [
        ("not_null", "person_id", {}),
        ("unique", "person_id", {}),
        ("between", "churn_score", {"min_value": 0, "max_value": 1}),
        ("not_null", "reason_1", {}),
    ],
    "ml.customer_clv": [
        ("not_null", "person_id", {}),
        ("unique", "person_id", {}),
        ("between", "probability_alive", {"min_value": 0, "max_value": 1}),
        ("between", "expected_purchases_12m", {"min_value": 0}),
        ("between", "clv_12m", {"min_value": 0}),
    ],
}


def table_suite_path(table: str, suites_dir: Path = EXPECTATIONS_DIR) -> Path:
    schema, name = table.split(".")
    return suites_dir / schema / f"{name}.json"


def build_table_suite(table: str) -> ExpectationSuite:
    """The suite of one key table (what expectations/<schema>/<table>.json holds), from TABLE_RULES."""
    from great_expectations.core import ExpectationSuite

    gxe = _gx_expectations()
    kinds = {
        "not_null": gxe.ExpectColumnValuesToNotBeNull,
        "unique": gxe.ExpectColumnValuesToBeUnique,
        "between": gxe.ExpectColumnValuesToBeBetween,
        "in_set": gxe.ExpectColumnValuesToBeInSet,
        "not_match": gxe.ExpectColumnValuesToNotMatchRegex,
        "rows_between": gxe.ExpectTableRowCountToBeBetween,
    }
    expectations = []
    for kind, column, kwargs in TABLE_RULES[table]:
        check = f"{kind}:{column}" if column else kind
        if kind == "not_match":
            check += ":" + ("email" if kwargs["regex"] == EMAIL_PATTERN else "cn_mobile")
        args = {"column": column} if column else {}
        expectations.append(kinds[kind](**args, **kwargs, meta={"check": check, "rule": f"{table} contract"}))
    schema = table.split(".")[0]
    meta = {
        "table": table,
        "layer": schema,
        "generated_by": "expectations/generate_table_suites.py from voc360.quality.TABLE_RULES; regenerate, do not edit",
        "frame": f"every row of {table}",
    }
    return ExpectationSuite(name=table, expectations=expectations, meta=meta)


def write_table_suites(suites_dir: Path = EXPECTATIONS_DIR) -> list[Path]:
    written = []
    for table in TABLE_RULES:
        path = table_suite_path(table, suites_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(suite_json_text(build_table_suite(table)), encoding="utf-8")
        written.append(path)
    return written


def validate_table(con: duckdb.DuckDBPyConnection, table: str, suites_dir: Path | str = EXPECTATIONS_DIR) -> ValidationOutcome:
    """Validate a key table whole against expectations/<schema>/<table>.json (a blocking check)."""
    suite = load_suite(table_suite_path(table, Path(suites_dir)))
    schema, name = table.split(".")
    frame = con.execute(f"select * from {_quote(schema)}.{_quote(name)}").df()
    return validate_frame(frame, suite, {}, source=table, partitions=[])
