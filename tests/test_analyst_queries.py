"""What analysts read: the README's ten example questions run against the marts of a generated world (the SQL
is taken from the README's code blocks, so the two cannot drift) and answer what they say, every mart column is
documented (and the data dictionary is as new as the dbt YAML), the dashboard's reads are declared as a dbt
exposure, and the semantic layer answers through MetricFlow."""

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
from voc360 import data_dictionary
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


def test_readme_holds_ten_analyst_questions():
    assert len(readme_queries()) >= 10
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


# -- the further questions of the README ------------------------------------------------------------------------
def test_aov_and_frequency_per_channel_and_month(build: Build):
    result = run(build, readme_queries()["aov_and_frequency_by_channel"])
    orders = run(
        build,
        "select date_trunc('month', ordered_date) as month_start, channel, count(*) as orders, "
        "sum(net_amount_reporting) as revenue, count(distinct person_id) as buyers "
        "from marts.fct_orders where is_completed group by all",
    )
    merged = result.merge(orders, on=["month_start", "channel"], validate="one_to_one")
    assert len(merged) == len(result[result["channel"] != "all"]) and len(merged) >= 8
    assert (merged["orders_x"] == merged["orders_y"]).all()
    np.testing.assert_allclose(merged["aov"], (merged["revenue"] / merged["orders_y"]).round(2), atol=0.006)
    assert set(result["channel"]) == {"all", "web", "app", "mini_program", "store"}
    assert (result["orders_per_customer"] >= 1).all()


def test_cohort_retention_counts_later_orders_of_each_first_order_cohort(build: Build):
    result = run(build, readme_queries()["cohort_retention"]).set_index("cohort_month")
    orders = run(build, "select person_id, ordered_date from marts.fct_orders where is_completed and person_id is not null")
    orders["month"] = pd.to_datetime(orders["ordered_date"]).dt.to_period("M")
    first = orders.groupby("person_id")["month"].min().rename("cohort")
    orders = orders.join(first, on="person_id")
    cohort = pd.Timestamp(result["month_1"].dropna().index[0])
    members = first[first == cohort.to_period("M")].index
    again = orders[orders["person_id"].isin(members) & (orders["month"] == cohort.to_period("M") + 1)]
    assert result.loc[cohort, "cohort_customers"] == len(members)
    assert result.loc[cohort, "month_1"] == pytest.approx(again["person_id"].nunique() / len(members))
    assert result[["month_1", "month_2", "month_3"]].stack().dropna().between(0, 1).all()


def test_churn_and_renewal_per_month_come_from_the_churn_mart(build: Build):
    result = run(build, readme_queries()["churn_and_renewal_by_month"])
    mart = run(build, "select month_start, churn_rate, membership_renewal_rate from marts.kpi_churn_monthly")
    assert len(result) == len(mart) and result["month_start"].is_monotonic_increasing
    known = result.dropna(subset=["churn_rate"])
    assert len(known) >= 1
    np.testing.assert_allclose(known["churn_rate"], known["customers_churned"] / known["customers_at_risk"], atol=5e-4)


def test_revenue_by_rfm_segment_adds_up_to_all_revenue(build: Build):
    result = run(build, readme_queries()["revenue_by_rfm_segment"])
    total = run(build, "select sum(net_revenue) as r, count(*) as n from marts.customer_360 where completed_orders > 0")
    assert result["net_revenue"].sum() == pytest.approx(total["r"][0], abs=0.01 * len(result))
    assert result["customers"].sum() == total["n"][0]
    assert result["revenue_share"].sum() == pytest.approx(1, abs=0.005)
    assert result["net_revenue"].is_monotonic_decreasing and len(result) >= 4


def test_topics_by_churn_lift_rank_topics_with_their_interval(build: Build):
    result = run(build, readme_queries()["topics_by_churn_lift"])
    assert len(result) >= 3 and (result["customers_raised"] >= 10).all()
    assert result["lift"].dropna().is_monotonic_decreasing
    rated = result.dropna(subset=["lift_low"])
    assert ((rated["lift_low"] <= rated["lift"]) & (rated["lift"] <= rated["lift_high"])).all()
    crude = result.dropna(subset=["crude_lift"])
    # the query rounds the lift to 2 decimals and the rates to 3, so the ratio of the rates is off by up to ~0.01
    np.testing.assert_allclose(crude["crude_lift"], crude["churn_if_raised"] / crude["churn_if_not"], rtol=0.02,
                               atol=0.015)


def test_topic_trend_compares_the_last_four_weeks_with_the_four_before(build: Build):
    result = run(build, readme_queries()["topic_trend_last_four_weeks"]).set_index("topic_label")
    weekly = run(build, "select topic_label, week_start, texts from marts.topic_trends")
    weekly["week_start"] = pd.to_datetime(weekly["week_start"])
    weeks = sorted(weekly["week_start"].unique())
    last4, before4 = weeks[-4:], weeks[-8:-4]
    expected_last = weekly[weekly["week_start"].isin(last4)].groupby("topic_label")["texts"].sum()
    expected_before = weekly[weekly["week_start"].isin(before4)].groupby("topic_label")["texts"].sum()
    assert result["texts_last_4_weeks"].dropna().to_dict() == expected_last.to_dict()
    assert result["texts_4_weeks_before"].dropna().to_dict() == expected_before.to_dict()
    assert result["sentiment"].dropna().between(-1, 1).all()


def test_topics_and_spend_compare_buyers_who_raised_a_topic(build: Build):
    result = run(build, readme_queries()["topics_and_spend"])
    assert len(result) >= 3 and (result["buyers_raised"] >= 10).all()
    assert result["aov_ratio"].is_monotonic_decreasing
    np.testing.assert_allclose(result["aov_ratio"], result["aov_raised"] / result["aov_not_raised"], atol=0.011)


def test_unhappy_high_value_customers_are_in_the_top_fifth_with_a_reason(build: Build):
    result = run(build, readme_queries()["unhappy_high_value_customers"])
    assert 0 < len(result) <= 20
    floor = run(build, "select quantile_cont(net_revenue, 0.8) as q from marts.customer_360 where completed_orders > 0")
    assert (result["net_revenue"] >= round(floor["q"][0], 2) - 0.01).all()
    unhappy = ("detractor", "unhappy_csat", "unhappy_reviewer", "service_complainer", "slow_response_experienced")
    tags = run(build, "select person_id, tag from marts.dim_customer_tags")
    for row in result.itertuples():
        theirs = set(tags.loc[tags["person_id"] == row.person_id, "tag"]) & set(unhappy)
        assert theirs and {reason.split(":")[0] for reason in row.unhappy_because.split("; ")} == theirs


# -- docs -------------------------------------------------------------------------------------------------------
def test_data_dictionary_is_generated_from_the_current_dbt_yaml():
    models = data_dictionary.mart_models()
    assert {"customer_360", "fct_interactions", "kpi_monthly", "topic_churn_lift", "at_risk_interventions"} <= {
        m["name"] for m in models
    }
    assert data_dictionary.DICTIONARY.read_text(encoding="utf-8") == data_dictionary.render(models), (
        "docs/data_dictionary.md is older than the dbt YAML: run `make dictionary`"
    )


def test_dashboard_exposure_names_every_mart_the_dashboard_reads(project: Path):
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.voc360.kpi_dashboard"]
    declared = {node.split(".")[-1] for node in exposure["depends_on"]["nodes"]}
    read = set(re.findall(r"marts\.(\w+)", (PROJECT_ROOT / "dashboard" / "queries.py").read_text()))
    assert read and read == declared
