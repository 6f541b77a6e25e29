"""The sample-world generator: determinism, file formats against the registry, planted defects and truths."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import hashlib
import json
import multiprocessing
import re
import subprocess
import sys
import zoneinfo
from pathlib import Path

import pytest
from click.testing import CliRunner

from sample_world import Messiness, WorldConfig, generate
from sample_world.cli import main
from sample_world.formats import ZONE_SUFFIXES
from sample_world.sink import USUAL_ZONE
from voc360.registry import load_registry

REGISTRY = load_registry()
START = dt.date(2025, 10, 1)


# -- helpers ----------------------------------------------------------------------------------------------------
class Bad(Exception):
    pass


def _cast(col, value, source):
    """Cast one value to its registry type the way a strict loader would; raise Bad when it does not parse."""
    t = col.type
    if value is None:
        return None
    if t == "varchar":
        if not isinstance(value, str):
            raise Bad(f"{col.name}: not a string")
        return value
    if isinstance(value, bool) and t != "boolean":
        raise Bad(f"{col.name}: boolean in {t} column")
    try:
        if t == "integer":
            if isinstance(value, str):
                if not re.fullmatch(r"-?\d+", value):
                    raise ValueError(value)
                return int(value)
            if not isinstance(value, int):
                raise ValueError(value)
            return value
        if t == "double":
            if isinstance(value, str):
                if not re.fullmatch(r"-?\d+(\.\d+)?", value):
                    raise ValueError(value)
                return float(value)
            if not isinstance(value, int | float):
                raise ValueError(value)
            return float(value)
        if t == "boolean":
            if isinstance(value, bool):
                return value
            if value in ("true", "false"):
                return value == "true"
            raise ValueError(value)
        if not isinstance(value, str):
            raise ValueError(value)
        if t == "date":
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(value)
            return dt.date.fromisoformat(value)
        if t == "timestamp":
            if source.timezone_column and col.name == source.event_time:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", value):
                    raise ValueError(value)
                return dt.datetime.fromisoformat(value)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})", value):
                raise ValueError(value)
            return dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise Bad(f"{col.name}: {value!r} is not a {t}") from exc
    raise AssertionError(t)


def parse_line(source, line: str, header: list[str] | None = None) -> dict:
    """One landing line as {column: typed value}; raises Bad for a malformed line."""
    names = source.column_names
    if source.format == "csv":
        try:
            fields = next(csv.reader([line], strict=True))
        except csv.Error as exc:
            raise Bad(str(exc)) from exc
        if len(fields) != len(header):
            raise Bad(f"{len(fields)} fields, expected {len(header)}")
        raw = {h: (v if v != "" else None) for h, v in zip(header, fields, strict=True)}
    else:
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise Bad(str(exc)) from exc
        if not isinstance(raw, dict):
            raise Bad("not an object")
        required = [c for c in names if source.column(c).required]
        if not set(required) <= set(raw) or not set(raw) <= set(names):
            raise Bad(f"keys {sorted(raw)}")
    return {c: _cast(source.column(c), raw.get(c), source) for c in names if c in raw}


def event_utc_day(source, row: dict) -> dt.date:
    value = row[source.event_time]
    if source.timezone_column:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(row[source.timezone_column]))
    return value.astimezone(dt.UTC).date()


def hash_tree(*roots: Path) -> dict[str, str]:
    out = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                out[f"{root.name}/{path.relative_to(root)}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def make_world(root: Path, **kw) -> tuple[Path, Path, WorldConfig]:
    cfg = WorldConfig(out_dir=root / "landing", truth_dir=root / "truth", quiet=True, **kw)
    generate(cfg)
    return cfg.out_dir, cfg.truth_dir, cfg


class Scan:
    """Every line of every landing file, parsed, with what the ground truth says about it."""

    def __init__(self, landing: Path, truth: Path) -> None:
        self.malformed = {(r["file"], int(r["line"])): r for r in read_csv(truth / "malformed_rows.csv")}
        self.lines: list[tuple] = []  # source, rel, day, is_resend, line_no, raw line, parsed row | None, error
        self.headers: dict[str, list[str]] = {}
        for name, source in REGISTRY.sample_world_sources.items():
            for path in sorted((landing / name).rglob("*")):
                if not path.is_file():
                    continue
                rel = path.relative_to(landing).as_posix()
                day = dt.date.fromisoformat(path.parent.name)
                text = path.read_text(encoding="utf-8")
                assert text == "" or text.endswith("\n"), rel
                lines = text.split("\n")[:-1] if text else []
                header = None
                first = 1
                if source.format == "csv":
                    header = next(csv.reader([lines[0]]))
                    self.headers[rel] = header
                    lines = lines[1:]
                    first = 2
                for i, line in enumerate(lines):
                    try:
                        row, err = parse_line(source, line, header), None
                    except Bad as exc:
                        row, err = None, str(exc)
                    self.lines.append((name, rel, day, path.stem.endswith("_resend"), first + i, line, row, err))

    def good(self):
        return [x for x in self.lines if x[6] is not None]


# -- fixtures ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small(tmp_path_factory):
    landing, truth, cfg = make_world(tmp_path_factory.mktemp("small"), seed=7, customers=80, days=12)
    return landing, truth, cfg, Scan(landing, truth)


MESSY = Messiness(duplicate_rate=0.05, resend_rate=0.05, late_rate=0.05, malformed_rate=0.05,
                  crm_duplicate_rate=0.1, mixed_timezone_rate=0.1)


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    landing, truth, cfg = make_world(tmp_path_factory.mktemp("messy"), seed=11, customers=400, days=30,
                                     messiness=MESSY)
    return landing, truth, cfg, Scan(landing, truth)


@pytest.fixture(scope="module")
def medium(tmp_path_factory):
    """A full-length history (needed for churn) with fewer customers; clean files, the truth is what counts."""
    landing, truth, cfg = make_world(tmp_path_factory.mktemp("medium"), seed=3, customers=1200, days=365,
                                     messiness=Messiness().replace(duplicate_rate=0, resend_rate=0, late_rate=0,
                                                                   malformed_rate=0))
    return landing, truth, cfg


# -- CLI --------------------------------------------------------------------------------------------------------
def test_cli_help_lists_the_flags():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    for flag in ("--seed", "--customers", "--days", "--start-date", "--out", "--truth", "--messiness",
                 "--duplicate-rate", "--resend-rate", "--late-rate", "--malformed-rate", "--crm-duplicate-rate",
                 "--mixed-timezone-rate", "--quiet"):
        assert flag in result.output


def test_module_entry_point_runs(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sample_world", "--help"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0 and "--customers" in proc.stdout
    out = tmp_path / "landing"
    result = CliRunner().invoke(main, ["--customers", "15", "--days", "3", "--out", str(out), "--truth",
                                       str(tmp_path / "gt"), "--quiet", "--messiness", "2", "--late-rate", "0"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "gt" / "summary.json").read_text())
    assert summary["config"]["messiness"]["late_rate"] == 0
    assert summary["config"]["messiness"]["duplicate_rate"] == pytest.approx(0.02)


def test_timings_name_every_phase_and_each_worker_and_leave_the_world_as_it_is(tmp_path):
    timings = tmp_path / "timings" / "generation.json"
    args = ["--customers", "15", "--days", "3", "--quiet", "--workers", "1"]
    for run, extra in (("timed", ["--timings", str(timings)]), ("untimed", [])):
        result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / run / "landing"),
                                           "--truth", str(tmp_path / run / "truth"), *extra])
        assert result.exit_code == 0, result.output
    timed, untimed = (hash_tree(tmp_path / run / "landing", tmp_path / run / "truth") for run in ("timed", "untimed"))
    assert len(timed) > 14 * 3 and timed == untimed
    measured = json.loads(timings.read_text())
    phases = measured["phases"]
    assert {"population", "simulation", "files", "truth"} <= set(phases)
    assert all(seconds >= 0 for seconds in phases.values())
    main_phases = sum(phases[p] for p in ("population", "simulation", "files", "truth"))
    assert main_phases == pytest.approx(measured["seconds"], abs=0.01)
    if "fork" in multiprocessing.get_all_start_methods():
        assert 0 < phases["files_worker_web_events"] <= phases["files"]


# -- determinism ------------------------------------------------------------------------------------------------
def test_weighted_draws_what_random_choices_draws():
    import random

    from sample_world.rng import Weighted

    items, weights = ["a", "b", "c", "d"], [0.5, 3, 0, 1.25]
    weighted, ours, theirs = Weighted(items, weights), random.Random(11), random.Random(11)
    drawn = [weighted.pick(ours) for _ in range(2_000)]
    assert drawn == [theirs.choices(items, weights)[0] for _ in range(2_000)]
    assert "c" not in drawn and set(drawn) == {"a", "b", "d"}


def test_json_lines_are_compact_json_in_utf8_in_column_order():
    from sample_world.formats import json_line

    row = {"text": 'He said "ok"\\ 充电宝\t\n\u2028 \x01', "amount": 1234.5, "n": 3, "flag": True, "none": None}
    columns = ["n", "text", "amount", "flag", "none"]
    line = json_line(columns, row | {"ignored": 1})
    assert line == json.dumps({c: row[c] for c in columns}, ensure_ascii=False, separators=(",", ":"))
    assert line.startswith('{"n":3,"text":"He said \\"ok\\"')
    assert "\n" not in line and json.loads(line) == row
    # floats in their shortest round-trip form: the same number, written without an exponent
    small = json_line(["small"], {"small": 1e-05})
    assert small == '{"small":0.00001}' and json.loads(small) == {"small": 1e-05}


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    a = make_world(tmp_path / "a", seed=5, customers=40, days=6)
    b = make_world(tmp_path / "b", seed=5, customers=40, days=6)
    c = make_world(tmp_path / "c", seed=6, customers=40, days=6)
    ha, hb, hc = hash_tree(a[0], a[1]), hash_tree(b[0], b[1]), hash_tree(c[0], c[1])
    assert ha == hb
    assert len(ha) > 14 * 6
    assert ha != hc
    busy = [k for k in ha if "/web_events/" in k or "/app_events/" in k or k.startswith("truth/persons")]
    assert all(hc.get(k) != ha[k] for k in busy)


def test_worker_processes_do_not_change_the_output(tmp_path):
    a = make_world(tmp_path / "a", seed=9, customers=40, days=5, workers=0)
    b = make_world(tmp_path / "b", seed=9, customers=40, days=5, workers=2)
    assert hash_tree(a[0], a[1]) == hash_tree(b[0], b[1])


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="workers need fork")
def test_a_failing_worker_fails_the_generation_with_its_traceback(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("broken on purpose")

    monkeypatch.setattr("sample_world.bulk.WebEvents.day", broken)  # the forked worker inherits it
    with pytest.raises(RuntimeError, match="(?s)generating web_events failed:.*ValueError: broken on purpose"):
        make_world(tmp_path, seed=3, customers=20, days=3, workers=1)
    assert not (tmp_path / "truth" / "summary.json").exists()


def test_record_lines_spilled_to_disk_give_the_same_files(tmp_path, monkeypatch):
    import tempfile

    from sample_world import sink

    kept = make_world(tmp_path / "kept", seed=4, customers=60, days=20, messiness=MESSY)
    spill_root = tmp_path / "spill"
    spill_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_root))
    monkeypatch.setattr(sink, "SPILL_BUDGET", 3_000)  # spills many times during the simulation
    spilled = make_world(tmp_path / "spilled", seed=4, customers=60, days=20, messiness=MESSY)
    assert hash_tree(kept[0], kept[1]) == hash_tree(spilled[0], spilled[1])
    assert list(spill_root.iterdir()) == []  # the spill files are removed


def test_regeneration_replaces_previous_output(tmp_path):
    landing, truth, _ = make_world(tmp_path, seed=1, customers=20, days=5)
    stale = landing / "orders" / "2020-01-01"
    stale.mkdir()
    (stale / "orders_2020-01-01.jsonl").write_text("{}\n")
    (landing / "not_a_source").mkdir()
    make_world(tmp_path, seed=1, customers=20, days=3)
    assert not stale.exists()
    assert (landing / "not_a_source").exists()  # only the registered sources' folders are replaced
    assert sorted(p.name for p in (landing / "orders").iterdir()) == ["2025-10-01", "2025-10-02", "2025-10-03"]


# -- formats against the registry -------------------------------------------------------------------------------
def test_every_source_gets_a_file_per_day_named_after_it(small):
    landing, _, cfg, _ = small
    days = [(START + dt.timedelta(days=d)).isoformat() for d in range(cfg.days)]
    for name, source in REGISTRY.sample_world_sources.items():
        assert sorted(p.name for p in (landing / name).iterdir()) == days, name
        ext = "csv" if source.format == "csv" else "jsonl"
        for day in days:
            files = sorted(p.name for p in (landing / name / day).iterdir())
            assert f"{name}_{day}.{ext}" in files
            assert set(files) <= {f"{name}_{day}.{ext}", f"{name}_{day}_resend.{ext}"}


def test_csv_headers_and_json_keys_follow_the_registry_with_coupon_code_drift(small):
    landing, _, cfg, scan = small
    drift = START + dt.timedelta(days=cfg.drift_day)
    for rel, header in scan.headers.items():
        assert header == REGISTRY.sources[rel.split("/")[0]].column_names, rel
    for name, rel, day, _, _, line, row, _ in scan.good():
        if REGISTRY.sources[name].format != "jsonl":
            continue
        keys = list(json.loads(line))
        expected = REGISTRY.sources[name].column_names
        if name == "orders" and day < drift:
            expected = [c for c in expected if c != "coupon_code"]
        assert keys == expected, (rel, keys)
    early = [x for x in scan.good() if x[0] == "orders" and x[2] < drift]
    late = [x for x in scan.good() if x[0] == "orders" and x[2] >= drift]
    assert early and late
    assert any(x[6]["coupon_code"] for x in late)


def test_all_lines_parse_and_cast_except_the_planted_malformed_ones(small, messy):
    for _, _, _, scan in (small, messy):
        failing = {(rel, no): err for _, rel, _, _, no, _, row, err in scan.lines if row is None}
        assert set(failing) == set(scan.malformed), "only planted lines may fail, and every planted one fails"
        assert scan.good()


@pytest.mark.parametrize(("customers", "days", "messiness"), [(1, 1, 1.0), (3, 25, 10.0), (25, 4, 0.0)])
def test_tiny_and_extreme_worlds_stay_valid(tmp_path, customers, days, messiness):
    cfg = WorldConfig(customers=customers, days=days, out_dir=tmp_path / "landing", truth_dir=tmp_path / "truth",
                      messiness=Messiness().scaled(messiness), workers=0, quiet=True)
    generate(cfg)
    scan = Scan(cfg.out_dir, cfg.truth_dir)
    assert {(x[1], x[4]) for x in scan.lines if x[6] is None} == set(scan.malformed)
    for name in REGISTRY.sample_world_sources:
        assert len(list((cfg.out_dir / name).iterdir())) == days


def test_good_rows_respect_nullability_value_sets_and_ranges(small):
    _, _, _, scan = small
    for name, rel, _, _, no, _, row, _ in scan.good():
        for col in REGISTRY.sources[name].columns:
            v = row.get(col.name)
            if v is None:
                assert col.nullable, (rel, no, col.name)
                continue
            if col.values:
                assert v in col.values, (rel, no, col.name, v)
            if col.min is not None:
                assert v >= col.min, (rel, no, col.name, v)
            if col.max is not None:
                assert v <= col.max, (rel, no, col.name, v)


def test_primary_keys_are_unique_apart_from_planted_repeats(messy):
    _, truth, _, scan = messy
    seen: dict[tuple, str] = {}
    for name, rel, _, _, _, line, row, _ in scan.good():
        key = (name, tuple(str(row[c]) for c in REGISTRY.sources[name].primary_key))
        if key in seen:
            assert seen[key] == line, f"{key} re-appears with other content"
        seen[key] = line


def test_malformed_kinds_per_format(messy):
    _, truth, _, scan = messy
    rows = read_csv(truth / "malformed_rows.csv")
    kinds = collections.Counter((REGISTRY.sources[r["source"]].format, r["kind"]) for r in rows)
    for kind in ("broken_quote", "text_in_numeric", "bad_date", "extra_fields", "missing_fields"):
        assert kinds[("csv", kind)] > 0, kind
    for kind in ("truncated_json", "text_in_numeric", "bad_timestamp"):
        assert kinds[("jsonl", kind)] > 0, kind
    by_line = {(x[1], x[4]): x for x in scan.lines}
    for r in rows:
        _, rel, _, _, line_no, line, _, _ = by_line[(r["file"], int(r["line"]))]
        assert line_no > 1 or REGISTRY.sources[r["source"]].format == "jsonl"
        if r["kind"] == "truncated_json":
            with pytest.raises(json.JSONDecodeError):
                json.loads(line)
        if r["kind"] == "broken_quote":
            assert line.count('"') % 2 == 1
        assert "\n" not in line


# -- identity and event days ------------------------------------------------------------------------------------
def test_every_record_maps_to_its_true_person(small):
    _, truth, _, scan = small
    mapping = {(r["source"], r["key_column"], r["key"]): r["person_id"] for r in read_csv(truth / "identity_map.csv")}
    key_column = {}
    for r in read_csv(truth / "identity_map.csv"):
        key_column.setdefault(r["source"], r["key_column"])
    persons = {r["person_id"] for r in read_csv(truth / "persons.csv")}
    for name, rel, _, _, no, _, row, _ in scan.good():
        col = "order_id" if name == "order_items" else key_column[name] if name != "social_posts" else "post_id"
        k = (name, col, str(row[col]))
        assert k in mapping, (rel, no, k)
        assert mapping[k] == "" or mapping[k] in persons
    # customers' CRM ids, logins and app users are people; brand posts are nobody's
    for name, _, _, _, _, _, row, _ in scan.good():
        if name == "social_posts" and row["is_brand_account"]:
            assert mapping[("social_posts", "post_id", row["post_id"])] == ""
        if name == "crm_customers":
            assert mapping[("crm_customers", "customer_id", row["customer_id"])] in persons


def test_references_between_sources_resolve(messy):
    _, _, _, scan = messy
    keys = collections.defaultdict(set)
    rows = collections.defaultdict(list)
    for name, _, _, _, _, _, row, _ in scan.good():
        rows[name].append(row)
    for name, col in (("crm_customers", "customer_id"), ("orders", "order_id"), ("tickets", "ticket_id"),
                      ("social_posts", "post_id")):
        keys[name] = {r[col] for r in rows[name]}
    references = [
        ("orders", "customer_id", "crm_customers"), ("order_items", "order_id", "orders"),
        ("tickets", "customer_id", "crm_customers"), ("ticket_messages", "ticket_id", "tickets"),
        ("ticket_status_changes", "ticket_id", "tickets"), ("surveys", "ticket_id", "tickets"),
        ("surveys", "order_id", "orders"), ("surveys", "customer_id", "crm_customers"),
        ("reviews", "order_id", "orders"), ("reviews", "customer_id", "crm_customers"),
        ("memberships", "customer_id", "crm_customers"), ("account_bindings", "customer_id", "crm_customers"),
        ("web_events", "login_id", "crm_customers"), ("app_events", "user_id", "crm_customers"),
        ("social_posts", "reply_to_post_id", "social_posts"),
    ]
    for child, col, parent in references:
        values = {r[col] for r in rows[child] if r[col] is not None}
        assert values, (child, col)
        assert values <= keys[parent], (child, col, sorted(values - keys[parent])[:5])


def test_events_fall_on_their_file_day_except_late_rows(messy):
    _, truth, cfg, scan = messy
    late_truth = {(r["file"], int(r["line"])) for r in read_csv(truth / "messiness.csv") if r["kind"] == "late"}
    for name, rel, day, resend, no, line, row, _ in scan.good():
        event_day = event_utc_day(REGISTRY.sources[name], row)
        if resend:
            assert event_day <= day
        elif event_day != day:
            assert 1 <= (day - event_day).days <= 3, (rel, no)
        elif (rel, no) in late_truth:
            pytest.fail(f"{rel}:{no} is listed as late but is on time")
    late_lines = {(x[1], x[5]) for x in scan.good()
                  if not x[3] and event_utc_day(REGISTRY.sources[x[0]], x[6]) != x[2]}
    assert len(late_lines) == len(late_truth)


def test_pos_times_are_local_wall_clock_within_opening_hours(small):
    _, _, _, scan = small
    rows = [x[6] for x in scan.good() if x[0] == "pos_receipts"]
    assert rows
    assert {r["store_timezone"] for r in rows} <= {"Asia/Shanghai", "Europe/London", "America/New_York",
                                                   "America/Los_Angeles"}
    for r in rows:
        assert r["purchased_at"].tzinfo is None
        assert 10 <= r["purchased_at"].hour < 22


# -- planted export defects -------------------------------------------------------------------------------------
def test_measured_messiness_matches_configured_rates(messy):
    _, truth, cfg, scan = messy
    records = {(x[0], tuple(str(x[6][c]) for c in REGISTRY.sources[x[0]].primary_key)) for x in scan.good()}
    n = len(records)
    assert n > 12_000
    per_file = collections.defaultdict(list)
    for x in scan.lines:
        per_file[x[1]].append(x)
    duplicates = resent = late = 0
    for rel, xs in per_file.items():
        if xs[0][3]:
            resent += len(xs)
            continue
        seen = set()
        for name, _, day, _, _, line, row, _ in xs:
            if row is None:
                continue
            if line in seen:
                duplicates += 1
                continue
            seen.add(line)
            if event_utc_day(REGISTRY.sources[name], row) != day:
                late += 1
    malformed = sum(1 for x in scan.lines if x[6] is None)
    kinds = collections.Counter(r["kind"] for r in read_csv(truth / "messiness.csv"))
    assert kinds["duplicate"] == duplicates
    assert kinds["resend"] == resent
    assert kinds["late"] == late
    assert len(read_csv(truth / "malformed_rows.csv")) == malformed
    last_day_share = 1 / cfg.days  # rows of the last day cannot be late
    for measured, rate in ((duplicates, 0.05), (resent, 0.05), (malformed, 0.05),
                           (late, 0.05 * (1 - last_day_share))):
        assert measured / n == pytest.approx(rate, abs=0.006), (measured, n, rate)


def test_mixed_timezones_and_crm_duplicates_match_their_rates(messy):
    _, truth, cfg, scan = messy
    total = other = 0
    for name, rel, _, _, _, line, row, _ in scan.good():
        source = REGISTRY.sources[name]
        if source.timezone_column:
            continue
        if source.format == "csv":
            raw = next(csv.reader([line]))[scan.headers[rel].index(source.event_time)]
        else:
            raw = json.loads(line)[source.event_time]
        suffix = re.search(r"(Z|[+-]\d{2}:\d{2})$", raw).group(1)
        total += 1
        other += suffix != ZONE_SUFFIXES[USUAL_ZONE[name]]
    assert other / total == pytest.approx(0.1, abs=0.01)
    persons = read_csv(truth / "persons.csv")
    with_two = sum(1 for p in persons if "|" in p["customer_ids"])
    assert with_two / len(persons) == pytest.approx(0.1, abs=0.05)
    crm_ids = {x[6]["customer_id"] for x in scan.good() if x[0] == "crm_customers"}
    for p in persons:
        if "|" in p["customer_ids"]:
            dup = p["customer_ids"].split("|")[1]
            if dup in crm_ids:
                break
    else:
        pytest.fail("no duplicate CRM record landed")


# -- texts and planted truths -----------------------------------------------------------------------------------
def test_text_truth_matches_the_files(small):
    _, truth, _, scan = small
    values = {}
    for name, _, _, _, _, _, row, _ in scan.good():
        source = REGISTRY.sources[name]
        key = "|".join(str(row[c]) for c in source.primary_key)
        for col in source.text_columns:
            values[(name, key, col)] = row.get(col)
    texts = read_csv(truth / "texts.csv")
    assert texts
    for t in texts:
        k = (t["source"], t["key"], t["column"])
        if k in values:
            assert values[k] == t["text"], k
    assert sum(1 for t in texts if (t["source"], t["key"], t["column"]) in values) > 0.95 * len(texts)


def test_texts_are_varied_bilingual_and_carry_pii(medium):
    _, truth, _ = medium
    texts = [t for t in read_csv(truth / "texts.csv") if t["author_type"] in ("customer", "public")]
    assert len(texts) > 8_000
    assert len({t["text"] for t in texts}) / len(texts) > 0.8
    zh = sum(t["language"] == "zh" for t in texts) / len(texts)
    assert 0.08 <= zh <= 0.18
    topics = collections.Counter(t["topic"] for t in texts)
    for topic in ("slow_service_response", "delivery_delay", "product_defect", "price_too_high",
                  "packaging_gift_praise", "app_crash", "helpful_staff", "battery_performance", "other"):
        assert topics[topic] > 50, topic
    pii = [t for t in texts if t["contains_pii"] == "true"]
    assert len(pii) > 50
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    for t in pii:
        kinds = t["pii_kinds"].split("|")
        if "email" in kinds:
            assert email.search(t["text"]), t["text"]
        if "id_number" in kinds:
            assert re.search(r"\d{17}[\dX]", t["text"]), t["text"]
    assert any(re.search(r"1[3-9]\d \d{4} \d{4}|\+86-?1[3-9]\d{9}", t["text"]) for t in pii)


def test_slow_service_complainers_churn_about_twice_as_often(medium):
    _, truth, _ = medium
    persons = [p for p in read_csv(truth / "persons.csv") if p["dormant"] == "false"]
    slow = [p["churned"] == "true" for p in persons if p["slow_service_complainer"] == "true"]
    rest = [p["churned"] == "true" for p in persons if p["slow_service_complainer"] == "false"]
    assert len(slow) > 60
    slow_rate, rest_rate = sum(slow) / len(slow), sum(rest) / len(rest)
    assert 0.08 < rest_rate < 0.4
    assert slow_rate >= 1.5 * rest_rate
    for p in persons:
        if p["churned"] == "true":
            assert START <= dt.date.fromisoformat(p["churn_date"]) < START + dt.timedelta(days=365)
        if p["slow_service_complainer"] == "true":
            assert "slow_service_response" in p["complained_topics"]


def test_detractors_churn_more_and_praisers_spend_more_on_gifts(medium):
    _, truth, _ = medium
    persons = [p for p in read_csv(truth / "persons.csv") if p["dormant"] == "false"]

    def churn(ps):
        return sum(p["churned"] == "true" for p in ps) / len(ps)

    detractors = [p for p in persons if p["nps_segment"] == "detractor"]
    promoters = [p for p in persons if p["nps_segment"] == "promoter"]
    assert churn(detractors) > 1.5 * churn(promoters)
    cn = [p for p in persons if p["currency"] == "CNY" and int(p["n_online_orders"]) > 0]
    praisers = [p for p in cn if p["packaging_praiser"] == "true"]
    others = [p for p in cn if p["packaging_praiser"] == "false"]

    def aov(ps):
        return sum(float(p["net_order_revenue"]) for p in ps) / sum(int(p["n_online_orders"]) for p in ps)

    def gift_share(ps):
        return sum(int(p["n_gift_orders"]) for p in ps) / sum(int(p["n_online_orders"]) for p in ps)

    assert aov(praisers) > 1.15 * aov(others)
    assert gift_share(praisers) > 1.5 * gift_share(others)


def test_churn_is_observable_in_the_orders(medium):
    """A churned customer's orders stop at their churn date."""
    landing, truth, _ = medium
    persons = {p["person_id"]: p for p in read_csv(truth / "persons.csv")}
    owner = {r["key"]: r["person_id"] for r in read_csv(truth / "identity_map.csv") if r["source"] == "orders"}
    last_order: dict[str, dt.date] = {}
    for path in (landing / "orders").rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            pid = owner[row["order_id"]]
            day = dt.datetime.fromisoformat(row["ordered_at"]).astimezone(dt.UTC).date()
            last_order[pid] = max(last_order.get(pid, day), day)
    churned = [p for p in persons.values() if p["churned"] == "true" and p["person_id"] in last_order]
    assert len(churned) > 50
    for p in churned:
        assert last_order[p["person_id"]] <= dt.date.fromisoformat(p["churn_date"])


def test_volumes_are_in_range_and_scale_with_customers_and_days(tmp_path, medium):
    _, truth, _ = medium
    rows = {k: v["lines"] for k, v in json.loads((truth / "summary.json").read_text())["rows"].items()}
    total = sum(rows.values())
    # 1200 of the default 2000 customers: about 0.5-0.9M rows
    assert 0.45e6 < total < 0.95e6
    assert rows["web_events"] + rows["app_events"] > 0.8 * total
    assert 5_000 < rows["orders"] < 13_000
    assert 1_000 < rows["tickets"] < 2_600

    def lines(customers, days):
        _, t, _ = make_world(tmp_path / f"{customers}_{days}", seed=2, customers=customers, days=days)
        return sum(v["lines"] for v in json.loads((t / "summary.json").read_text())["rows"].values())

    base, double_c, double_d = lines(150, 20), lines(300, 20), lines(150, 40)
    assert 1.6 < double_c / base < 2.4
    assert 1.6 < double_d / base < 2.6
