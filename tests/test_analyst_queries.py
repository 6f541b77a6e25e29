"""What analysts read: the README's example queries run against the marts of a generated world (the SQL is
taken from the README's code blocks, so the two cannot drift), every mart column is documented, and the
semantic layer answers through MetricFlow."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from support.world_build import DBT, Build, shared_world
from voc360.settings import DBT_PROJECT_DIR, PROJECT_ROOT

README = PROJECT_ROOT / "README.md"


def readme_queries() -> dict[str, str]:
    """The ```sql blocks of the README whose first line is `-- query: <name>`, by name."""
    blocks = re.findall(r"```sql\n-- query: (\w+)\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return dict(blocks)


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Build:
    return shared_world(tmp_path_factory)


@pytest.fixture(scope="module")
def project(build: Build, tmp_path_factory) -> Path:
    """A parsed copy of the dbt project: MetricFlow reads the semantic manifest from <project>/target, and the
    repository's own target is left alone."""
    project = tmp_path_factory.mktemp("parsed") / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    parsed = subprocess.run(
        [str(DBT), "parse", "--quiet", "--profiles-dir", str(project)],
        cwd=project, env=build.env, capture_output=True, text=True,
    )
    assert parsed.returncode == 0, parsed.stdout[-4000:]
    return project


def run(build: Build, sql: str, params: dict | None = None) -> pd.DataFrame:
    with duckdb.connect(str(build.warehouse), read_only=True) as con:
        return con.execute(sql, params or {}).df()


def test_readme_holds_both_analyst_queries():
    assert {"nps_and_first_response_last_month", "person_timeline"} <= set(readme_queries())


def test_nps_by_channel_last_month_and_first_response_movement(build: Build):
    result = run(build, readme_queries()["nps_and_first_response_last_month"])
    nps = result[result["kpi"] == "nps"].set_index("channel")
    first_response = result[result["kpi"] == "first_response_minutes_median"].set_index("channel")
    assert {"all", "web", "app", "mini_program", "store"} == set(nps.index)
    assert {"all", "phone", "chat", "email", "social"} <= set(first_response.index)
    scored = nps["last_month"].dropna()
    assert len(scored) >= 3 and scored.between(-100, 100).all()
    assert (first_response["last_month"].dropna() >= 0).all()
    # the month is the last complete one, and the numbers are those of the KPI marts
    last = run(build, "select max(month_start) as m from marts.kpi_monthly where is_complete_month")["m"].iloc[0]
    mart = run(build, "select channel, nps from marts.kpi_monthly where month_start = ?", [last]).set_index("channel")
    assert nps.loc["all", "last_month"] == pytest.approx(round(mart.loc["all", "nps"], 1))
    service = run(
        build,
        "select month_start, first_response_minutes_median as median from marts.kpi_service_monthly "
        "where channel = 'all' order by month_start",
    ).set_index("month_start")["median"]
    service.index = pd.to_datetime(service.index)
    this, before = service[pd.Timestamp(last)], service[pd.Timestamp(last) - pd.DateOffset(months=1)]
    assert first_response.loc["all", "change"] == pytest.approx(round(this - before, 1), abs=0.051)


def test_person_timeline_is_everything_they_did_in_time_order(build: Build):
    # a person who bought, used service and answered a survey
    person_id = run(
        build,
        "select person_id from marts.fct_interactions where person_id is not null group by person_id "
        "having count(distinct case when source in ('orders', 'tickets', 'surveys') then source end) = 3 "
        "order by count(*), person_id limit 1",
    )["person_id"].iloc[0]
    timeline = run(build, readme_queries()["person_timeline"], {"person_id": person_id})
    assert len(timeline) > 3
    assert timeline["occurred_at"].is_monotonic_increasing
    assert {"orders", "tickets", "surveys"} <= set(timeline["source"])
    everything = run(build, "select count(*) as n from intermediate.int_interactions where person_id = ?", [person_id])
    assert len(timeline) == everything["n"].iloc[0]


def test_every_mart_column_is_described(build: Build, project: Path):
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    marts = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")
    }
    assert {"customer_360", "fct_orders", "fct_interactions", "dim_customer_tags", "kpi_monthly"} <= set(marts)
    undescribed = [
        f"{name}.{column}"
        for name, node in marts.items()
        for column, spec in node["columns"].items()
        if not (spec.get("description") or "").strip()
    ]
    assert not undescribed, undescribed
    assert all(node["description"].strip() for node in marts.values())
    # and the YAML lists every column the built tables have
    built = run(build, "select table_name, column_name from information_schema.columns where table_schema = 'marts'")
    missing = [
        f"{row.table_name}.{row.column_name}"
        for row in built.itertuples()
        if row.table_name in marts and row.column_name not in marts[row.table_name]["columns"]
    ]
    assert not missing, missing


def test_metricflow_answers_nps_per_month_as_the_kpi_mart(build: Build, project: Path, tmp_path):
    mf = DBT.with_name("mf")  # dbt-metricflow, in the dev extra
    env = {**build.env, "DBT_PROFILES_DIR": str(project)}
    out = tmp_path / "nps.csv"
    queried = subprocess.run(
        [str(mf), "query", "--metrics", "nps", "--group-by", "metric_time__month", "--csv", str(out)],
        cwd=project, env=env, capture_output=True, text=True,
    )
    assert queried.returncode == 0, queried.stdout[-4000:] + queried.stderr[-4000:]
    with out.open() as f:
        answered = {row["metric_time__month"][:10]: float(row["nps"]) for row in csv.DictReader(f) if row["nps"]}
    mart = run(build, "select month_start, nps from marts.kpi_monthly where channel = 'all' and nps is not null")
    expected = {str(m)[:10]: v for m, v in zip(mart["month_start"], mart["nps"])}
    assert answered.keys() == expected.keys() and len(answered) >= 3
    np.testing.assert_allclose([answered[k] for k in sorted(expected)], [expected[k] for k in sorted(expected)])
