"""What the dashboard pages read from the serving database: plain functions of a read-only DuckDB connection.

Each returns a pandas frame of one mart (or a small selection of it); the pages only chart and format them.
"""

from __future__ import annotations

import pandas as pd
from duckdb import DuckDBPyConnection

def frame(con: DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def publication(con: DuckDBPyConnection) -> pd.Series:
    """The build the serving database holds and when it was published."""
    return frame(con, "select build_id, published_at from voc360_meta.publications").iloc[0]


# -- KPIs ----------------------------------------------------------------------------------------------------------
def report_month(con: DuckDBPyConnection) -> pd.Timestamp:
    """The last complete month of the loaded history, or the latest month when none is complete yet."""
    return frame(
        con,
        "select coalesce(max(month_start) filter (where is_complete_month), max(month_start)) as month_start "
        "from marts.kpi_monthly where channel = 'all'",
    )["month_start"].iloc[0]


def sales_kpis(con: DuckDBPyConnection, grain: str) -> pd.DataFrame:
    """Orders, revenue, AOV and NPS per sales channel (and "all"), by month or by day."""
    if grain == "month":
        return frame(
            con,
            "select month_start as period, channel, orders, net_revenue, aov, nps, nps_responses, "
            "active_customers, purchase_frequency from marts.kpi_monthly order by period, channel",
        )
    return frame(
        con,
        "select date_day as period, channel, orders, net_revenue, aov, nps, nps_responses "
        "from marts.kpi_daily_channel order by period, channel",
    )


def service_kpis(con: DuckDBPyConnection, grain: str) -> pd.DataFrame:
    """Inquiries, first response, resolution and CSAT per ticket channel (and "all"), by month or by day."""
    table, period = {"month": ("marts.kpi_service_monthly", "month_start"),
                     "day": ("marts.kpi_service_daily", "date_day")}[grain]
    return frame(
        con,
        f"select {period} as period, channel, tickets_created, first_response_minutes_median, "
        "first_response_minutes_p90, resolution_rate, one_touch_resolution_rate, csat, csat_responses "
        f"from {table} order by period, channel",
    )


def cohort_retention(con: DuckDBPyConnection) -> pd.DataFrame:
    return frame(
        con,
        "select cohort_month, months_since_first_order, cohort_customers, active_customers, retention_rate, "
        "is_complete_month, is_left_censored from marts.kpi_cohort_retention "
        "order by cohort_month, months_since_first_order",
    )


def churn_monthly(con: DuckDBPyConnection) -> pd.DataFrame:
    return frame(
        con,
        "select as_of_date, customers_at_risk, customers_churned, churn_rate, is_lookback_complete, "
        "memberships_due, membership_renewal_rate from marts.kpi_churn_monthly order by as_of_date",
    )


# -- topics --------------------------------------------------------------------------------------------------------
def topic_trends(con: DuckDBPyConnection) -> pd.DataFrame:
    return frame(
        con,
        "select week_start, topic_id, topic_label, texts, negative_texts, positive_texts, mean_sentiment_score "
        "from marts.topic_trends order by week_start, topic_id",
    )


def topic_spend(con: DuckDBPyConnection) -> pd.DataFrame:
    return frame(
        con,
        "select topic_id, topic_label, buyers_raised, aov_raised, aov_not_raised, aov_ratio, gift_share_raised, "
        "gift_share_not_raised from marts.topic_spend_effects order by topic_id",
    )


def topic_churn_lift(con: DuckDBPyConnection) -> pd.DataFrame:
    return frame(
        con,
        "select topic_id, topic_label, cutoff_date, customers_raised, churned_raised, churn_rate_raised, "
        "churn_rate_not_raised, crude_lift, lift, lift_ci_low, lift_ci_high, is_high_risk "
        "from marts.topic_churn_lift order by lift desc nulls last, topic_id",
    )


# -- at-risk customers ---------------------------------------------------------------------------------------------
def interventions(con: DuckDBPyConnection) -> pd.DataFrame:
    return frame(
        con,
        "select priority_rank, person_id, churn_score, clv_12m, value_at_risk, topic_label, topic_lift, "
        "reason_1, reason_2, reason_3, quote, quote_at, quote_source "
        "from marts.at_risk_interventions order by priority_rank",
    )


def intervention_inputs(con: DuckDBPyConnection) -> pd.Series:
    """What the intervention list needs before it can name anyone: scored customers and high-risk topics."""
    return frame(
        con,
        "select (select count(churn_score) from marts.customer_360) as scored_customers, "
        "(select count(*) filter (where is_high_risk) from marts.topic_churn_lift) as high_risk_topics",
    ).iloc[0]


# -- one customer --------------------------------------------------------------------------------------------------
def customer_profile(con: DuckDBPyConnection, person_id: str) -> pd.Series | None:
    found = frame(con, "select * from marts.customer_360 where person_id = ?", [person_id])
    return found.iloc[0] if len(found) else None


def customer_tags(con: DuckDBPyConnection, person_id: str) -> pd.DataFrame:
    return frame(
        con, "select tag, reason from marts.dim_customer_tags where person_id = ? order by tag", [person_id]
    )


def customer_timeline(con: DuckDBPyConnection, person_id: str) -> pd.DataFrame:
    """Every touch of the person on every channel, in time order."""
    return frame(
        con,
        "select occurred_at, source, channel, kind, amount_reporting, score, interaction_id "
        "from marts.fct_interactions where person_id = ? order by occurred_at, interaction_id",
        [person_id],
    )


def example_customers(con: DuckDBPyConnection, limit: int = 5) -> pd.DataFrame:
    """A few customers to look up: the highest net revenue."""
    return frame(
        con,
        "select person_id, completed_orders, net_revenue, rfm_segment from marts.customer_360 "
        "order by net_revenue desc nulls last, person_id limit ?",
        [limit],
    )
