"""The KPI dashboard (Streamlit): one page per question a business reader asks of the marts.

Started by `make dashboard` (`python -m dashboard`); reads `<VOC360_WAREHOUSE_DIR>/serving.duckdb` read-only,
with a fresh connection per page view, so a new publication shows on the next view and no run is ever blocked.
Numbers go in tables and metrics (text a reader can copy), trends in Altair charts.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

from dashboard import queries
from voc360.settings import get_settings

SALES_KPIS = {"NPS": "nps", "AOV": "aov", "Orders": "orders", "Net revenue": "net_revenue"}
SERVICE_KPIS = {
    "First response, median (min)": "first_response_minutes_median",
    "CSAT": "csat",
    "Resolution rate": "resolution_rate",
    "One-touch resolution rate": "one_touch_resolution_rate",
    "Inquiries": "tickets_created",
}
MISSING = "–"
# The rows of one customer's timeline listed as a table (the chart above it shows every touch).
TIMELINE_ROWS = 100


@contextlib.contextmanager
def serving() -> Iterator[duckdb.DuckDBPyConnection]:
    path = get_settings().serving_path
    if not path.exists():
        st.error(f"No serving database at {path}: run a build first (`make demo`).")
        st.stop()
    with duckdb.connect(str(path), read_only=True) as con:
        yield con


# -- formatting: one place, so every page writes a number the same way ---------------------------------------------
def number(value, digits: int = 1) -> str:
    return MISSING if pd.isna(value) else f"{value:,.{digits}f}"


def percent(value, digits: int = 1) -> str:
    return MISSING if pd.isna(value) else f"{100 * value:.{digits}f}%"


def day(value) -> str:
    return MISSING if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def plain(text) -> str:
    """Free text as it was written: st.table renders cells as Markdown, so its punctuation is escaped."""
    return MISSING if pd.isna(text) else re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~])", r"\\\1", str(text))


def month(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m")


def points(value) -> str:
    """A change of a rate, in percentage points."""
    return f"{100 * value:.1f} pp"


def change(this, before, formatter) -> str | None:
    return None if pd.isna(this) or pd.isna(before) else formatter(this - before)


def line_chart(data: pd.DataFrame, x: str, y: str, color: str, y_title: str, unit: str = "yearmonthdate") -> alt.Chart:
    return (
        alt.Chart(data.dropna(subset=[y]))
        .mark_line(point=True)
        .encode(x=alt.X(f"{x}:T", timeUnit=unit, title=None), y=alt.Y(f"{y}:Q", title=y_title),
                color=f"{color}:N", tooltip=[x, color, y])
    )


# -- pages ---------------------------------------------------------------------------------------------------------
def kpi_page() -> None:
    st.title("KPIs by channel")
    with serving() as con:
        report = queries.report_month(con)
        sales_month = queries.sales_kpis(con, "month")
        service_month = queries.service_kpis(con, "month")
        retention = queries.cohort_retention(con)
        churn = queries.churn_monthly(con)
        grain = st.radio("Trend by", ["month", "day"], horizontal=True, key="grain")
        sales = queries.sales_kpis(con, grain)
        service = queries.service_kpis(con, grain)
    if pd.isna(report):
        st.info("No orders in the published build yet.")
        return

    sales_now = sales_month[sales_month["period"] == report].set_index("channel")
    service_now = service_month[service_month["period"] == report].set_index("channel")
    previous = report - pd.DateOffset(months=1)
    sales_before = sales_month[sales_month["period"] == previous].set_index("channel")
    service_before = service_month[service_month["period"] == previous].set_index("channel")
    month_one = retention[
        (retention["months_since_first_order"] == 1) & retention["is_complete_month"] & ~retention["is_left_censored"]
    ]
    churn_known = churn.dropna(subset=["churn_rate"])

    st.subheader(f"All channels, {month(report)}")
    st.caption("Change against the month before. Retention: the latest cohort whose first month after its first "
               "order is complete. Churn: customers with an order in the 180 days before the cut-off and none in "
               "the 90 days after it.")

    def all_channels(frame: pd.DataFrame, column: str):
        return frame.loc["all", column] if "all" in frame.index else None

    money = functools.partial(number, digits=2)
    headline = [  # label, this month, the month before, column, format, format of the change, colour of a rise
        ("NPS", sales_now, sales_before, "nps", number, number, "normal"),
        ("CSAT", service_now, service_before, "csat", percent, points, "normal"),
        ("First response, median (min)", service_now, service_before, "first_response_minutes_median", number,
         number, "inverse"),
        ("Resolution rate", service_now, service_before, "resolution_rate", percent, points, "normal"),
        ("AOV", sales_now, sales_before, "aov", money, money, "normal"),
    ]
    cells = [*st.columns(4), *st.columns(4)[:3]]
    for cell, (label, now, before, column, formatted, moved, colour) in zip(cells, headline):
        this, last = all_channels(now, column), all_channels(before, column)
        cell.metric(label, formatted(this), change(this, last, moved), delta_color=colour)
    if len(month_one):
        cohort = month_one.iloc[-1]
        cells[5].metric(f"Retention, month 1 (cohort {month(cohort['cohort_month'])})",
                        percent(cohort["retention_rate"]))
    else:
        cells[5].metric("Retention, month 1", MISSING)
    if len(churn_known):
        latest = churn_known.iloc[-1]
        cells[6].metric(f"Churn rate (as of {day(latest['as_of_date'])})", percent(latest["churn_rate"]))
    else:
        cells[6].metric("Churn rate", MISSING)

    st.subheader(f"Sales channels, {month(report)}")
    st.table(
        pd.DataFrame({
            "Channel": sales_now.index,
            "Orders": sales_now["orders"].map(lambda v: number(v, 0)),
            "Net revenue": sales_now["net_revenue"].map(lambda v: number(v, 2)),
            "AOV": sales_now["aov"].map(lambda v: number(v, 2)),
            "NPS": sales_now["nps"].map(number),
            "NPS responses": sales_now["nps_responses"].map(lambda v: number(v, 0)),
        }),
        hide_index=True,
    )
    label = st.selectbox("Sales KPI", list(SALES_KPIS), key="sales_kpi")
    unit = "yearmonth" if grain == "month" else "yearmonthdate"
    st.altair_chart(line_chart(sales, "period", SALES_KPIS[label], "channel", label, unit), width="stretch")

    st.subheader(f"Service channels, {month(report)}")
    st.table(
        pd.DataFrame({
            "Channel": service_now.index,
            "Inquiries": service_now["tickets_created"].map(lambda v: number(v, 0)),
            "First response, median (min)": service_now["first_response_minutes_median"].map(number),
            "First response, p90 (min)": service_now["first_response_minutes_p90"].map(number),
            "Resolution rate": service_now["resolution_rate"].map(percent),
            "One-touch resolution": service_now["one_touch_resolution_rate"].map(percent),
            "CSAT": service_now["csat"].map(percent),
        }),
        hide_index=True,
    )
    label = st.selectbox("Service KPI", list(SERVICE_KPIS), key="service_kpi")
    st.altair_chart(line_chart(service, "period", SERVICE_KPIS[label], "channel", label, unit), width="stretch")

    st.subheader("Retention and churn")
    left, right = st.columns(2)
    cohorts = retention.assign(cohort=retention["cohort_month"].map(month))
    left.altair_chart(
        alt.Chart(cohorts)
        .mark_line(point=True)
        .encode(x=alt.X("months_since_first_order:O", title="months since first order"),
                y=alt.Y("retention_rate:Q", title="retention", axis=alt.Axis(format="%")), color="cohort:N"),
        width="stretch",
    )
    right.altair_chart(
        line_chart(churn.assign(kpi="churn rate"), "as_of_date", "churn_rate", "kpi", "churn rate"), width="stretch"
    )


def topics_page() -> None:
    st.title("Topics and sentiment")
    with serving() as con:
        trends = queries.topic_trends(con)
        spend = queries.topic_spend(con)
    if trends.empty:
        st.info("No feedback texts in the published build.")
        return
    trends["sentiment_x_texts"] = trends["mean_sentiment_score"] * trends["texts"]
    totals = (
        trends.groupby(["topic_id", "topic_label"], as_index=False)
        .agg(texts=("texts", "sum"), negative=("negative_texts", "sum"), positive=("positive_texts", "sum"),
             weighted=("sentiment_x_texts", "sum"), weeks=("week_start", "nunique"))
        .sort_values(["texts", "topic_id"], ascending=[False, True])
    )
    labels = totals["topic_label"].tolist()
    chosen = st.multiselect("Topics", labels, default=labels[:6], key="topics")
    shown = trends[trends["topic_label"].isin(chosen)]
    left, right = st.columns(2)
    left.subheader("Texts per week")
    left.altair_chart(
        alt.Chart(shown).mark_area().encode(
            x=alt.X("week_start:T", title=None), y=alt.Y("texts:Q", stack=True), color="topic_label:N",
            tooltip=["week_start", "topic_label", "texts"]),
        width="stretch",
    )
    right.subheader("Mean sentiment per week")
    right.altair_chart(line_chart(shown, "week_start", "mean_sentiment_score", "topic_label", "sentiment (-1..1)"),
                       width="stretch")
    st.subheader("Every topic over the whole history")
    st.table(
        pd.DataFrame({
            "Topic": totals["topic_label"],
            "Texts": totals["texts"].map(lambda v: number(v, 0)),
            "Negative": (totals["negative"] / totals["texts"]).map(percent),
            "Positive": (totals["positive"] / totals["texts"]).map(percent),
            "Mean sentiment": (totals["weighted"] / totals["texts"]).map(lambda v: number(v, 3)),
            "Weeks": totals["weeks"],
        }),
        hide_index=True,
    )
    st.subheader("Spend of the buyers who raised a topic")
    st.caption("Descriptive, not causal: average order value and gift-order share of the buyers who wrote about "
               "the topic, against the buyers who did not.")
    st.table(
        pd.DataFrame({
            "Topic": spend["topic_label"],
            "Buyers who raised it": spend["buyers_raised"].map(lambda v: number(v, 0)),
            "AOV, raised": spend["aov_raised"].map(lambda v: number(v, 2)),
            "AOV, not raised": spend["aov_not_raised"].map(lambda v: number(v, 2)),
            "Gift share, raised": spend["gift_share_raised"].map(percent),
            "Gift share, not raised": spend["gift_share_not_raised"].map(percent),
        }),
        hide_index=True,
    )


def churn_lift_page() -> None:
    st.title("Topic → churn lift")
    with serving() as con:
        lift = queries.topic_churn_lift(con)
    if lift.empty:
        st.info("No topics in the published build.")
        return
    st.caption(f"Churn from {day(lift['cutoff_date'].iloc[0])} to the end of the history of the customers who "
               "raised a topic before that cut-off, against those who did not. Lift: the ratio adjusted for having "
               "contacted customer service, with its 95% interval; crude: the plain ratio. A topic whose whole "
               "interval lies above 1 is high-risk.")
    rated = lift.dropna(subset=["lift_ci_low", "lift_ci_high"])
    base = alt.Chart(rated).encode(y=alt.Y("topic_label:N", title=None, axis=alt.Axis(labelLimit=320)))
    st.altair_chart(
        base.mark_rule().encode(x=alt.X("lift_ci_low:Q", title="churn lift (95% interval)"), x2="lift_ci_high:Q")
        + base.mark_point(filled=True, size=60).encode(x="lift:Q", color="is_high_risk:N",
                                                       tooltip=["topic_label", "lift", "lift_ci_low", "lift_ci_high"])
        + alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q"),
        width="stretch",
    )
    st.table(
        pd.DataFrame({
            "Topic": lift["topic_label"],
            "Customers who raised it": lift["customers_raised"].map(lambda v: number(v, 0)),
            "Churn, raised": lift["churn_rate_raised"].map(percent),
            "Churn, not raised": lift["churn_rate_not_raised"].map(percent),
            "Crude lift": lift["crude_lift"].map(lambda v: number(v, 2)),
            "Lift": lift["lift"].map(lambda v: number(v, 2)),
            "95% interval": [MISSING if pd.isna(lo) else f"{number(lo, 2)} – {number(hi, 2)}"
                             for lo, hi in zip(lift["lift_ci_low"], lift["lift_ci_high"])],
            "High risk": lift["is_high_risk"].map({True: "yes", False: "no"}),
        }),
        hide_index=True,
    )


def at_risk_page() -> None:
    st.title("Customers to contact now")
    with serving() as con:
        rows = queries.interventions(con)
        inputs = queries.intervention_inputs(con)
    st.caption("Not yet churned, predicted 12-month value at least the median, and negative feedback on a "
               "high-risk topic; ranked by value at risk (churn score × predicted value).")
    cells = st.columns(4)
    cells[0].metric("Customers to contact", number(len(rows), 0))
    cells[1].metric("Value at risk", number(rows["value_at_risk"].sum(), 2))
    cells[2].metric("Customers with a churn score", number(inputs["scored_customers"], 0))
    cells[3].metric("High-risk topics", number(inputs["high_risk_topics"], 0))
    if rows.empty:
        st.info("No customer meets every condition in the published build: the list needs churn scores (a history "
                "of two labelled cut-offs, about five months) and at least one high-risk topic.")
        return
    reasons = rows[["reason_1", "reason_2", "reason_3"]].apply(lambda r: "; ".join(r.dropna()), axis=1)
    st.table(
        pd.DataFrame({
            "Rank": rows["priority_rank"],
            "Person": rows["person_id"],
            "Churn score": rows["churn_score"].map(lambda v: number(v, 3)),
            "Predicted value, 12 months": rows["clv_12m"].map(lambda v: number(v, 2)),
            "Value at risk": rows["value_at_risk"].map(lambda v: number(v, 2)),
            "Topic": rows["topic_label"],
            "Why the score is high": reasons.map(plain),
            "In their words": rows["quote"].map(plain),
            "Said on": rows["quote_at"].map(day) + " (" + rows["quote_source"].fillna(MISSING) + ")",
        }),
        hide_index=True,
    )


def customer_page() -> None:
    st.title("Customer lookup")
    person_id = st.text_input("Person id", key="person_id", bind="query-params", placeholder="P…").strip()
    with serving() as con:
        if not person_id:
            st.caption("Enter a person id, for example one of the customers with the highest net revenue:")
            examples = queries.example_customers(con)
            st.table(examples.assign(net_revenue=examples["net_revenue"].map(lambda v: number(v, 2))),
                     hide_index=True)
            return
        profile = queries.customer_profile(con, person_id)
        if profile is None:
            st.warning(f"No person {person_id} in the published build.")
            return
        tags = queries.customer_tags(con, person_id)
        timeline = queries.customer_timeline(con, person_id)

    st.subheader(person_id)
    st.caption(f"{profile['city'] or 'city unknown'} · first seen {day(profile['first_seen_at'])} · last seen "
               f"{day(profile['last_seen_at'])} · segment {profile['rfm_segment'] or MISSING} · membership "
               f"{profile['membership_status'] or 'none'} · channels {profile['channels_used'] or MISSING}")
    cells = st.columns(4)
    cells[0].metric("Completed orders", number(profile["completed_orders"], 0))
    cells[1].metric(f"Net revenue ({profile['reporting_currency']})", number(profile["net_revenue"], 2))
    cells[2].metric("AOV", number(profile["aov"], 2))
    cells[3].metric("Tickets", number(profile["tickets"], 0))
    cells = st.columns(4)
    cells[0].metric("Last NPS score", number(profile["last_nps_score"], 0))
    cells[1].metric("Mean sentiment", number(profile["sentiment_mean"], 3))
    cells[2].metric("Churn score", number(profile["churn_score"], 3))
    cells[3].metric("Predicted value, 12 months", number(profile["clv_12m"], 2))
    if profile["top_topics"]:
        st.markdown(f"**Topics they raised:** {profile['top_topics']}")
    if profile["churn_reasons"]:
        st.markdown(f"**Churn reasons:** {profile['churn_reasons']}")
    if len(tags):
        st.markdown("**Tags**")
        st.table(tags, hide_index=True)
    st.subheader("Timeline")
    st.altair_chart(
        alt.Chart(timeline).mark_tick(thickness=2).encode(
            x=alt.X("occurred_at:T", title=None), y=alt.Y("source:N", title=None), color="source:N",
            tooltip=["occurred_at", "source", "kind", "amount_reporting", "score"]),
        width="stretch",
    )
    latest = timeline.tail(TIMELINE_ROWS)
    shown = f"the latest {len(latest)} of {len(timeline)}" if len(timeline) > len(latest) else f"all {len(timeline)}"
    st.caption(f"Touches on every channel in time order: {shown}.")
    st.table(
        pd.DataFrame({
            "When": latest["occurred_at"].map(lambda v: pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")),
            "Source": latest["source"],
            "Channel": latest["channel"].fillna(MISSING),
            "What": latest["kind"],
            "Amount": latest["amount_reporting"].map(lambda v: number(v, 2)),
            "Score": latest["score"].map(lambda v: number(v, 0)),
        }),
        hide_index=True,
    )


PAGES = [
    st.Page(kpi_page, title="KPIs by channel", default=True),  # the default page is served at /
    st.Page(topics_page, title="Topics and sentiment", url_path="topics"),
    st.Page(churn_lift_page, title="Topic → churn lift", url_path="churn-lift"),
    st.Page(at_risk_page, title="Customers to contact", url_path="at-risk"),
    st.Page(customer_page, title="Customer lookup", url_path="customer"),
]

st.set_page_config(page_title="voc360", layout="wide")
with serving() as connection:
    published = queries.publication(connection)
st.sidebar.caption(f"Build {published['build_id']}, published {published['published_at']:%Y-%m-%d %H:%M} UTC")
st.navigation(PAGES).run()
