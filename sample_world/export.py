"""Day files of one source, with the planted export defects.

Per record and at the configured rates: late rows (written in the file of day D+1..D+3), exact duplicate lines
in the same file, re-sent records in a `<source>_<day>_resend.<ext>` file of the same or a later day, and
malformed lines (an extra, damaged copy of a record whose intact line is also in the file, so no record is
lost). Every planted defect is recorded in the ground truth with its file and 1-based line number (the CSV
header is line 1).

Rows arrive as a `Batch`: an Arrow array of lines. A file is one Arrow `take` of those lines and the extra ones
in file order, written from the array's buffer, so the high-volume sources never build a Python string per
line; only the few rows that get a planted defect are materialised one by one.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from voc360.registry import Source

from sample_world.config import WorldConfig
from sample_world.formats import CsvLine, join_columns, json_text, text_of
from sample_world.sink import Truth

CSV_KINDS = ("broken_quote", "text_in_numeric", "bad_date", "extra_fields", "missing_fields")
JSONL_KINDS = ("truncated_json", "text_in_numeric", "bad_timestamp")
BAD_TEXT_NUMBERS = ("abc", "n/a", "12,5", "twelve", "1.299,00", "--", "NaN%", "¥99")
BAD_DATES = ("2026-02-30", "not a date", "31/02/2026", "2025-13-01", "0000-00-00")
BAD_TIMESTAMPS = ("2026-02-30T10:00:00Z", "not a timestamp", "31/12/2025 25:61", "2025-13-01T00:00:00+08:00",
                  "yesterday")


class Batch:
    """The rows of one source and day: `lines` holds each row's line followed by a newline.

    key: optional (start, stop) slice of a line that is the record's primary key.
    """

    def __init__(self, lines: pa.LargeStringArray | None = None, key: tuple[int, int] | None = None) -> None:
        self.lines = lines if lines is not None else pa.array([], type=pa.large_string())
        self.n = len(self.lines)
        self.key = key

    @classmethod
    def from_columns(cls, columns: list, key: tuple[int, int] | None = None) -> Batch:
        return cls(join_columns(columns), key)

    def lines_at(self, rows: np.ndarray) -> list[str]:
        return [x[:-1] for x in self.lines.take(rows).to_pylist()]

    def key_of_line(self, line: str) -> str | None:
        return None if self.key is None else line[self.key[0] : self.key[1]]


class Exporter:
    def __init__(self, source: Source, cfg: WorldConfig, out_dir: Path, rng: np.random.Generator,
                 day_names: list[str]) -> None:
        self.source = source
        self.name = source.name
        self.fmt = source.format
        self.ext = "csv" if self.fmt == "csv" else "jsonl"
        self.cfg = cfg
        self.out_dir = out_dir
        self.truth = Truth()  # this source's planted-defect rows (merged in registry order by the caller)
        self.rng = rng
        self.day_names = day_names
        self.last = cfg.last_day
        m = cfg.messiness
        self.late_rate, self.dup_rate, self.resend_rate, self.mal_rate = (
            m.late_rate, m.duplicate_rate, m.resend_rate, m.malformed_rate)
        self.columns = source.column_names
        self.header = ",".join(self.columns)
        self.pk = source.primary_key
        self.pk_idx = [self.columns.index(c) for c in self.pk]
        types = {c.name: c.type for c in source.columns}
        self.numeric = [c for c in self.columns if types[c] in ("integer", "double")]
        self.dates = [c for c in self.columns if types[c] in ("date", "timestamp")]
        self.types = types
        self.varchar_not_last = [i for i, c in enumerate(self.columns[:-1]) if types[c] == "varchar"]
        kinds = CSV_KINDS if self.fmt == "csv" else JSONL_KINDS
        self.kinds = tuple(k for k in kinds if k != "text_in_numeric" or self.numeric)
        # pending lines for later files: (line, key, event day[, first file])
        self.late: dict[int, list[tuple[str, str, int]]] = {}
        self.resend: dict[int, list[tuple[str, str, int, str]]] = {}
        self._csv = CsvLine()
        self.drift_day = cfg.drift_day if self.name == "orders" else None
        self._dirs: set[Path] = set()
        self.lines_written = 0
        self.files_written = 0

    # -- helpers ---------------------------------------------------------------------------------------------
    def rel(self, day: int, resend: bool = False) -> str:
        d = self.day_names[day]
        suffix = "_resend" if resend else ""
        return f"{self.name}/{d}/{self.name}_{d}{suffix}.{self.ext}"

    def adapt(self, line: str, file_day: int) -> str:
        """Give a record the columns of the export it lands in (orders gained `coupon_code` mid-history)."""
        if self.drift_day is not None and file_day >= self.drift_day and '"coupon_code":' not in line:
            return line[:-1] + ',"coupon_code":null}'
        return line

    def key_of(self, line: str) -> str:
        if self.fmt == "jsonl":
            obj = json.loads(line)
            return "|".join("" if obj[c] is None else str(obj[c]) for c in self.pk)
        row = next(csv.reader([line]))
        return "|".join(row[i] for i in self.pk_idx)

    # -- corruption ------------------------------------------------------------------------------------------
    def corrupt(self, line: str, kind: str) -> str:
        rng = self.rng
        if self.fmt == "jsonl":
            if kind == "truncated_json":
                cut = int(rng.integers(max(len(line) // 4, 2), max(3 * len(line) // 4, 3)))
                return line[:cut]
            obj = json.loads(line)
            if kind == "text_in_numeric":
                col = self.numeric[int(rng.integers(len(self.numeric)))]
                obj[col] = BAD_TEXT_NUMBERS[int(rng.integers(len(BAD_TEXT_NUMBERS)))]
            else:  # bad_timestamp
                obj[self.source.event_time] = BAD_TIMESTAMPS[int(rng.integers(len(BAD_TIMESTAMPS)))]
            return json_text(obj)
        row = next(csv.reader([line]))
        if kind == "broken_quote":
            j = self.varchar_not_last[int(rng.integers(len(self.varchar_not_last)))]
            head = self._csv(row[:j]) + "," if j else ""
            raw = row[j].replace('"', "") or "unterminated text"
            return head + '"' + raw + "," + self._csv(row[j + 1 :])
        if kind == "text_in_numeric":
            col = self.numeric[int(rng.integers(len(self.numeric)))]
            row[self.columns.index(col)] = BAD_TEXT_NUMBERS[int(rng.integers(len(BAD_TEXT_NUMBERS)))]
        elif kind == "bad_date":
            col = self.dates[int(rng.integers(len(self.dates)))]
            pool = BAD_DATES if self.types[col] == "date" else BAD_TIMESTAMPS
            row[self.columns.index(col)] = pool[int(rng.integers(len(pool)))]
        elif kind == "extra_fields":
            row = row + ["extra"] * int(rng.integers(1, 3))
        else:  # missing_fields
            row = row[: -int(rng.integers(1, 3))]
        return self._csv(row)

    # -- one day ---------------------------------------------------------------------------------------------
    def day(self, day: int, batch: Batch) -> None:
        rng = self.rng
        n = batch.n
        truth = self.truth
        if n and self.late_rate > 0 and day < self.last:
            late_mask = rng.random(n) < self.late_rate
            delays = rng.integers(1, 4, size=n)
            late_idx = np.nonzero(late_mask)[0]
            for i, line in zip(late_idx.tolist(), batch.lines_at(late_idx), strict=True):
                target = min(day + int(delays[i]), self.last)
                self.late.setdefault(target, []).append((line, batch.key_of_line(line) or self.key_of(line), day))
            on_idx = np.nonzero(~late_mask)[0]
        else:
            on_idx = np.arange(n)
        m0 = len(on_idx)
        arrivals = [(self.adapt(line, day), key, d) for line, key, d in self.late.pop(day, [])]
        m = m0 + len(arrivals)

        def lines_of(rows: list[int]) -> list[str]:
            fetched = iter(batch.lines_at(on_idx[[i for i in rows if i < m0]]))
            return [next(fetched) if i < m0 else arrivals[i - m0][0] for i in rows]

        def key_for(i: int, line: str) -> str:
            if i >= m0:
                return arrivals[i - m0][1]
            return batch.key_of_line(line) or self.key_of(line)

        def event_day(i: int) -> int:
            return day if i < m0 else arrivals[i - m0][2]

        # extras: (after main row, order, line, kind, main row, key)
        extras: list[tuple[int, int, str, str, int, str]] = []
        if m:
            if self.dup_rate > 0:
                rows = np.nonzero(rng.random(m) < self.dup_rate)[0].tolist()
                for i, line in zip(rows, lines_of(rows), strict=True):
                    extras.append((int(rng.integers(i, m)), len(extras), line, "duplicate", i, key_for(i, line)))
            if self.mal_rate > 0:
                rows = np.nonzero(rng.random(m) < self.mal_rate)[0].tolist()
                for i, line in zip(rows, lines_of(rows), strict=True):
                    kind = self.kinds[int(rng.integers(len(self.kinds)))]
                    extras.append((int(rng.integers(0, m)), len(extras), self.corrupt(line, kind), kind, i,
                                   key_for(i, line)))
            if self.resend_rate > 0:
                resent = np.nonzero(rng.random(m) < self.resend_rate)[0].tolist()
                offsets = rng.integers(0, 3, size=len(resent)).tolist()
                for i, off, line in zip(resent, offsets, lines_of(resent), strict=True):
                    target = min(day + off, self.last)
                    self.resend.setdefault(target, []).append((line, key_for(i, line), event_day(i), self.rel(day)))
        extras.sort()

        # positions of main rows and extra lines in the file
        after = np.array([e[0] for e in extras], dtype=np.int64)
        shift = np.zeros(m + 1, dtype=np.int64)
        if len(extras):
            np.add.at(shift, after + 1, 1)
        pos_main = np.arange(m) + np.cumsum(shift)[:m]
        rank = np.zeros(len(extras), dtype=np.int64)
        for k in range(1, len(extras)):
            if extras[k][0] == extras[k - 1][0]:
                rank[k] = rank[k - 1] + 1
        pos_extra = pos_main[after] + 1 + rank if len(extras) else after
        rel = self.rel(day)
        first_line = 2 if self.fmt == "csv" else 1
        for i in range(m0, m):
            truth.messiness.append((self.name, "late", rel, first_line + int(pos_main[i]), arrivals[i - m0][1],
                                    self.day_names[arrivals[i - m0][2]], ""))
        for (_, _, _, kind, src, key), pos in zip(extras, pos_extra.tolist(), strict=True):
            if kind == "duplicate":
                truth.messiness.append((self.name, "duplicate", rel, first_line + pos, key,
                                        self.day_names[event_day(src)], rel))
            else:
                truth.malformed.append((self.name, rel, first_line + pos, kind, key))
        full_lines = [a[0] for a in arrivals] + [e[2] for e in extras]
        full_pos = np.concatenate([pos_main[m0:], pos_extra]).astype(np.int64)
        body = self._assemble(batch, on_idx, pos_main[:m0], full_lines, full_pos, m + len(extras))
        self._write(rel, body, m + len(extras), day, "main", m)

        resend = self.resend.pop(day, [])
        if resend:
            rrel = self.rel(day, resend=True)
            rlines = [self.adapt(x, day) for x, _, _, _ in resend]
            for k, (_, key, d, first) in enumerate(resend):
                truth.messiness.append((self.name, "resend", rrel, first_line + k, key, self.day_names[d], first))
            self._write(rrel, ("\n".join(rlines) + "\n").encode(), len(rlines), day, "resend", len(rlines))

    @staticmethod
    def _assemble(batch: Batch, rows: np.ndarray, rows_pos: np.ndarray, full_lines: list[str], full_pos: np.ndarray,
                  total: int) -> pa.Buffer:
        """The file's bytes: batch rows `rows` at positions `rows_pos`, `full_lines` at `full_pos`."""
        source_row = np.empty(total, dtype=np.int64)
        source_row[rows_pos] = rows
        source_row[full_pos] = batch.n + np.arange(len(full_lines))
        extra = pa.array([x + "\n" for x in full_lines], type=pa.large_string())
        return text_of(pa.concat_arrays([batch.lines, extra]).take(source_row))

    def _write(self, rel: str, body: bytes | pa.Buffer, n_lines: int, day: int, kind: str, records: int) -> None:
        path = self.out_dir / rel
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        with open(path, "wb") as fh:
            if self.fmt == "csv":
                fh.write(self.header.encode() + b"\n")
            fh.write(body)
        self.lines_written += n_lines
        self.files_written += 1
        self.truth.files.append((self.name, rel, self.day_names[day], kind, n_lines, records))
