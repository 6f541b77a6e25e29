"""KPI marts and customer_360 on a generated world: landed, staged, identities resolved, intermediate and marts
built with every dbt test; then each KPI is recomputed independently in pandas from the staging tables (or
the ground truth) and compared with the mart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from ml import identity
from support.world_build import CUSTOMERS, Build, shared_world
from voc360.settings import DBT_PROJECT_DIR

VARS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
MARTS = [
    "customer_360", "fct_orders", "kpi_daily_channel", "kpi_monthly", "kpi_service_daily", "kpi_service_monthly",
    "kpi_cohort_retention", "kpi_churn_monthly", "kpi_web_funnel_daily",
]


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Build:
    return shared_world(tmp_path_factory)


# -- the build ----------------------------------------------------------------------------------------------
def test_every_model_data_test_and_unit_test_passed(build: Build):
    not_passed = {r["unique_id"]: r["status"] for r in build.results if r["status"] not in ("success", "pass")}
    assert not not_passed, not_passed
    kinds = {r["unique_id"].split(".")[0] for r in build.results}
    assert {"model", "test", "unit_test"} <= kinds
    unit_tests = {r["unique_id"].split(".")[-1] for r in build.results if r["unique_id"].startswith("unit_test.")}
    for kpi in ("nps", "csat", "first_response", "one_touch", "aov", "churn", "cohort_retention", "resolution_rate"):
        assert any(kpi in name for name in unit_tests), kpi


def test_every_mart_is_a_populated_table_in_schema_marts(build: Build):
    tables = build.df(
        "select table_name from information_schema.tables where table_schema = 'marts' and table_type = 'BASE TABLE'"
    )["table_name"].tolist()
    assert set(MARTS) <= set(tables)
    for mart in MARTS:
        assert build.df(f"select count(*) as n from marts.{mart}")["n"].iloc[0] > 0, mart


# -- independent recomputations -------------------------------------------------------------------------------
def to_reporting(amount: pd.Series, currency: pd.Series) -> pd.Series:
    return amount * currency.map(VARS["currency_rates_to_reporting"])


def completed_orders(build: Build) -> pd.DataFrame:
    """Completed orders and positive store receipts straight from staging, in the reporting currency."""
    shop = build.df(
        "select order_id, channel, ordered_date as day, net_amount as amount, currency from staging.stg_shop__orders "
        "where status = 'completed'"
    )
    pos = build.df(
        "select receipt_id as order_id, 'store' as channel, purchased_date as day, total_amount as amount, "
        "store_timezone from staging.stg_pos__receipts where total_amount >= 0"
    )
    pos["currency"] = pos.pop("store_timezone").map(VARS["pos_currency_by_timezone"])
    orders = pd.concat([shop, pos], ignore_index=True)
    orders["revenue"] = to_reporting(orders["amount"], orders["currency"])
    orders["day"] = pd.to_datetime(orders["day"])
    return orders


def test_orders_revenue_and_aov_exclude_refunds_and_cancellations(build: Build):
    orders = completed_orders(build)
    by_channel = orders.groupby(["day", "channel"]).agg(orders=("order_id", "size"), revenue=("revenue", "sum"))
    everything = orders.groupby("day").agg(orders=("order_id", "size"), revenue=("revenue", "sum"))
    everything["channel"] = "all"
    expected = pd.concat([by_channel.reset_index(), everything.reset_index()], ignore_index=True)
    expected["aov"] = expected["revenue"] / expected["orders"]
    mart = build.df("select date_day as day, channel, orders, net_revenue, aov from marts.kpi_daily_channel")
    mart["day"] = pd.to_datetime(mart["day"])
    merged = expected.merge(mart, on=["day", "channel"], how="left", validate="one_to_one")
    assert merged["orders_y"].notna().all()
    assert (merged["orders_x"] == merged["orders_y"]).all()
    np.testing.assert_allclose(merged["revenue"], merged["net_revenue"], rtol=1e-9)
    np.testing.assert_allclose(merged["aov_x"], merged["aov_y"], rtol=1e-9)
    # days and channels without completed orders report zero orders, not a row missing
    assert mart["orders"].sum() == 2 * len(orders)
    # refunded and cancelled orders exist in this world and were left out
    statuses = build.df("select status, count(*) as n from staging.stg_shop__orders group by status")
    assert set(statuses["status"]) >= {"cancelled", "refunded"}


def nps(scores: pd.Series) -> float:
    scores = scores.dropna()
    return 100.0 * ((scores >= 9).sum() - (scores <= 6).sum()) / len(scores) if len(scores) else np.nan


def test_nps_per_day_and_per_order_channel(build: Build):
    responses = build.df(
        "select responses.responded_date as day, responses.score, orders.channel "
        "from staging.stg_surveys__responses as responses "
        "left join staging.stg_shop__orders as orders on responses.order_id = orders.order_id "
        "where responses.survey_type = 'nps'"
    )
    responses["day"] = pd.to_datetime(responses["day"])
    mart = build.df("select date_day as day, channel, nps, nps_responses from marts.kpi_daily_channel")
    mart["day"] = pd.to_datetime(mart["day"])
    checked = 0
    groups = [*responses.groupby(["day", "channel"]), *[((day, "all"), g) for day, g in responses.groupby("day")]]
    for (day, channel), group in groups:
        row = mart[(mart["day"] == day) & (mart["channel"] == channel)].iloc[0]
        assert row["nps_responses"] == group["score"].notna().sum()
        if group["score"].notna().any():
            assert row["nps"] == pytest.approx(nps(group["score"]))
            checked += 1
    assert checked > 50
    monthly = build.df("select nps, nps_responses from marts.kpi_monthly where channel = 'all'")
    assert monthly["nps_responses"].sum() == responses["score"].notna().sum()


def test_engaged_customers_count_each_person_once_per_month_and_channel_and_once_across_channels(build: Build):
    touches = build.df("select person_id, channel, occurred_date from intermediate.int_interactions "
                       "where person_id is not null")
    touches["month_start"] = pd.to_datetime(touches["occurred_date"]).dt.to_period("M").dt.start_time
    per_channel = touches.groupby(["month_start", "channel"])["person_id"].nunique()
    across = touches.groupby("month_start")["person_id"].nunique()
    mart = build.df("select month_start, channel, engaged_customers from marts.kpi_monthly")
    mart["month_start"] = pd.to_datetime(mart["month_start"])
    expected = [across.get(m, 0) if c == "all" else per_channel.get((m, c), 0)
                for m, c in zip(mart["month_start"], mart["channel"])]
    assert mart["engaged_customers"].tolist() == expected
    # a person who touched two channels in a month is one engaged customer in "all", not two
    all_rows = mart[mart["channel"] == "all"].set_index("month_start")["engaged_customers"]
    channel_sums = mart[mart["channel"] != "all"].groupby("month_start")["engaged_customers"].sum()
    assert (all_rows < channel_sums.reindex(all_rows.index)).any()


def test_csat_excludes_unrated_responses(build: Build):
    responses = build.df(
        "select responded_date as day, score from staging.stg_surveys__responses where survey_type = 'csat'"
    )
    assert responses["score"].isna().any(), "the world should hold unrated CSAT responses"
    responses["day"] = pd.to_datetime(responses["day"])
    rated = responses.dropna(subset=["score"])
    expected = rated.groupby("day")["score"].agg(lambda s: (s >= 4).mean())
    mart = build.df("select date_day as day, csat, csat_responses from marts.kpi_service_daily where channel = 'all'")
    mart["day"] = pd.to_datetime(mart["day"])
    merged = mart.set_index("day").join(expected.rename("expected"), how="inner")
    assert len(merged) == len(expected)
    np.testing.assert_allclose(merged["csat"], merged["expected"])
    assert mart["csat_responses"].sum() == len(rated)


def first_public_agent_reply(build: Build) -> pd.DataFrame:
    """Per ticket, minutes to the first public agent reply, from the raw message log."""
    messages = build.df(
        "select tickets.ticket_id, tickets.channel, tickets.created_date, tickets.created_at, messages.sent_at, "
        "messages.author_type, messages.is_public from staging.stg_service__tickets as tickets "
        "left join staging.stg_service__ticket_messages as messages on tickets.ticket_id = messages.ticket_id"
    )
    replies = messages[
        (messages["author_type"] == "agent") & messages["is_public"] & (messages["sent_at"] >= messages["created_at"])
    ]
    first = replies.groupby("ticket_id")["sent_at"].min()
    tickets = messages.drop_duplicates("ticket_id").set_index("ticket_id")[["channel", "created_date", "created_at"]]
    tickets["minutes"] = (first.reindex(tickets.index) - tickets["created_at"]).dt.total_seconds() / 60
    return tickets


def test_first_response_ignores_internal_notes_and_system_messages(build: Build):
    tickets = first_public_agent_reply(build)
    measured = build.df("select ticket_id, first_response_minutes from intermediate.int_tickets_measured")
    measured = measured.set_index("ticket_id")["first_response_minutes"]
    # a handful of tickets whose first message after the customer's is an internal note or a system message
    notes = build.df(
        "select distinct ticket_id from staging.stg_service__ticket_messages "
        "where (author_type = 'agent' and not is_public) or author_type = 'system'"
    )["ticket_id"]
    sample = sorted(set(notes) & set(tickets.index))[:10]
    assert len(sample) == 10
    for ticket_id in sample:
        assert measured[ticket_id] == pytest.approx(tickets.loc[ticket_id, "minutes"], nan_ok=True)
    # and the daily median and p90 per channel over all tickets
    tickets["day"] = pd.to_datetime(tickets["created_date"])
    mart = build.df(
        "select date_day as day, channel, first_response_minutes_median as median, first_response_minutes_p90 as p90 "
        "from marts.kpi_service_daily"
    )
    mart["day"] = pd.to_datetime(mart["day"])
    mart = mart.set_index(["day", "channel"])
    for (day, channel), group in tickets.dropna(subset=["minutes"]).groupby(["day", "channel"]):
        # the mart rounds to 0.01 minute
        assert mart.loc[(day, channel), "median"] == pytest.approx(group["minutes"].median(), abs=0.0051)
        assert mart.loc[(day, channel), "p90"] == pytest.approx(np.percentile(group["minutes"], 90), abs=0.0051)


def test_resolution_and_one_touch_rates_from_the_status_log(build: Build):
    tickets = build.df("select ticket_id, created_date from staging.stg_service__tickets")
    changes = build.df(
        "select change_id, ticket_id, to_status, changed_at, changed_date "
        "from staging.stg_service__ticket_status_changes"
    )
    changes = changes[changes["ticket_id"].isin(tickets["ticket_id"])]
    replies = build.df(
        "select ticket_id, count(*) as replies from staging.stg_service__ticket_messages "
        "where author_type = 'agent' and is_public group by ticket_id"
    ).set_index("ticket_id")["replies"]
    last = changes.sort_values(["changed_at", "change_id"]).groupby("ticket_id").tail(1).set_index("ticket_id")
    solved = changes[changes["to_status"] == "solved"]
    resolved_at = solved.groupby("ticket_id")["changed_at"].max()
    resolved = last[last["to_status"].isin(["solved", "closed"])].copy()
    resolved["resolved_at"] = resolved_at.reindex(resolved.index)
    closed = changes[changes["to_status"] == "closed"].groupby("ticket_id")["changed_at"].min()
    resolved["resolved_at"] = resolved["resolved_at"].fillna(closed.reindex(resolved.index))
    resolved["day"] = pd.to_datetime(resolved["resolved_at"].dt.date)
    resolved["one_touch"] = replies.reindex(resolved.index).fillna(0) == 1
    one_touch = resolved.groupby("day")["one_touch"].mean()

    solved_per_day = solved.drop_duplicates(["ticket_id", "changed_date"]).groupby("changed_date").size()
    created_per_day = tickets.groupby("created_date").size()
    resolution = (solved_per_day.reindex(created_per_day.index).fillna(0) / created_per_day).rename("expected")
    resolution.index = pd.to_datetime(resolution.index)

    mart = build.df(
        "select date_day as day, one_touch_resolution_rate, resolution_rate from marts.kpi_service_daily "
        "where channel = 'all'"
    )
    mart["day"] = pd.to_datetime(mart["day"])
    mart = mart.set_index("day")
    np.testing.assert_allclose(mart.loc[one_touch.index, "one_touch_resolution_rate"], one_touch)
    np.testing.assert_allclose(mart.loc[resolution.index, "resolution_rate"], resolution)


def test_cohort_retention_and_churn_recomputed_from_fct_orders(build: Build):
    orders = build.df(
        "select person_id, ordered_date, ordered_month, net_amount_reporting from marts.fct_orders "
        "where is_completed and person_id is not null"
    )
    orders["ordered_month"] = pd.to_datetime(orders["ordered_month"])
    orders["ordered_date"] = pd.to_datetime(orders["ordered_date"])
    cohort = orders.groupby("person_id")["ordered_month"].min().rename("cohort_month")
    orders = orders.join(cohort, on="person_id")
    active = orders.groupby(["cohort_month", "ordered_month"])["person_id"].nunique()
    sizes = cohort.value_counts()
    mart = build.df(
        "select cohort_month, activity_month, retention_rate, cohort_customers from marts.kpi_cohort_retention"
    )
    mart["cohort_month"] = pd.to_datetime(mart["cohort_month"])
    mart["activity_month"] = pd.to_datetime(mart["activity_month"])
    mart = mart.set_index(["cohort_month", "activity_month"])
    for (cohort_month, month), n in active.items():
        assert mart.loc[(cohort_month, month), "retention_rate"] == pytest.approx(n / sizes[cohort_month])
    assert (mart.groupby(level=0)["cohort_customers"].first() == sizes.reindex(mart.index.levels[0])).all()

    churn = build.df("select * from marts.kpi_churn_monthly order by as_of_date")
    assert len(churn) >= 3
    for row in churn.itertuples():
        as_of = pd.Timestamp(row.as_of_date)
        cutoff = as_of - pd.Timedelta(days=VARS["churn_lookahead_days"])
        start = cutoff - pd.Timedelta(days=VARS["churn_lookback_days"])
        known = orders[orders["ordered_date"] <= as_of]  # nothing after the as-of date
        at_risk = set(known[(known["ordered_date"] > start) & (known["ordered_date"] <= cutoff)]["person_id"])
        came_back = set(known[known["ordered_date"] > cutoff]["person_id"])
        assert row.customers_at_risk == len(at_risk)
        assert row.customers_churned == len(at_risk - came_back)


def test_customer_360_has_one_row_per_person_and_no_clear_personal_data(build: Build):
    people = build.df("select * from marts.customer_360")
    persons = build.df("select count(distinct person_id) as n from intermediate.int_person_map")["n"].iloc[0]
    assert people["person_id"].is_unique and len(people) == persons
    truth = identity.true_person_count(build.truth_dir)
    assert truth == CUSTOMERS
    assert abs(len(people) - truth) <= 0.05 * truth
    # every true person's CRM record is there; no clear e-mail, phone or name in any text column
    assert people["is_crm_customer"].sum() >= 0.97 * truth
    truth_persons = pd.read_csv(build.truth_dir / "persons.csv", dtype=str, keep_default_na=False)
    text_columns = [c for c in people.columns if people[c].dtype == object]
    values = {v for v in people[text_columns].to_numpy().ravel() if isinstance(v, str)}  # NULLs hold no data
    assert not any("@" in v for v in values)
    for person in truth_persons.head(200).itertuples():
        assert person.email not in values and person.phone_e164 not in values
        assert f"{person.first_name} {person.last_name}" not in values
    # revenue per person adds up to the completed orders of identified buyers
    revenue = build.df(
        "select sum(net_amount_reporting) as r from marts.fct_orders where is_completed and person_id is not null"
    )
    assert people["net_revenue"].sum() == pytest.approx(revenue["r"].iloc[0])
    segments = {"champions", "loyal", "new", "promising", "at_risk", "hibernating", "no_purchase"}
    assert set(people["rfm_segment"]) <= segments
