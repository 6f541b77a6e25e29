"""Plots of the published marts, shown in the Dagster UI: each asset of group "reports" draws one picture from
the serving database after a publication and attaches it to its materialization as Markdown with the PNG
embedded, beside the numbers it was drawn from.

    publish/serving -> reports/kpi_trends        NPS per sales channel, first response per ticket channel, by month
                    -> reports/topic_trends      texts and mean sentiment per topic, by week
                    -> reports/topic_churn_lift  churn lift per topic with its 95% interval
"""

from __future__ import annotations

import base64
import functools
import io
import logging
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from dagster_project.assets.table_metadata import preview_markdown
from voc360.settings import get_settings

# matplotlib (and its font cache) and pandas are imported when a report is drawn: the Dagster definitions load
# without them.
if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

PUBLISHED = dg.AssetKey(["publish", "serving"])
TOP_TOPICS = 8
# WenQuanYi has one weight; matplotlib says so each time it substitutes it, which is noise in the run log.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


@functools.cache
def fonts() -> list[str]:
    """Topic labels can be Chinese: a CJK font for the glyphs DejaVu lacks, when one is installed."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *(name for name in ("WenQuanYi Zen Hei", "Noto Sans CJK SC") if name in installed)]


def png_markdown(figure: Figure) -> dg.MetadataValue:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return dg.MetadataValue.md(f"![plot](data:image/png;base64,{encoded})")


def new_figure(panels: int) -> tuple[Figure, list]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6 * panels, 4))
    axes = figure.subplots(1, panels, squeeze=False)[0].tolist()
    return figure, axes


def _no_data(axis) -> None:
    axis.text(0.5, 0.5, "no data in this build", ha="center", va="center", transform=axis.transAxes, color="grey")


def _lines(axis, frame: pd.DataFrame, x: str, y: str, series: str, title: str, legend: bool = True) -> None:
    drawn = frame.dropna(subset=[y])
    for name, rows in drawn.groupby(series, sort=True):
        axis.plot(rows[x], rows[y], marker="o", label=str(name), linewidth=2.5 if name == "all" else 1.2)
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.tick_params(axis="x", labelrotation=30, labelsize=8)
    if drawn.empty:
        _no_data(axis)
    elif legend:  # below the plot, where it hides no line
        axis.legend(prop={"family": fonts(), "size": 7}, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3)


def kpi_trends_plot(con: duckdb.DuckDBPyConnection) -> tuple[Figure, pd.DataFrame]:
    """NPS per sales channel and median first response per ticket channel, month by month."""
    nps = con.execute("select month_start, channel, nps from marts.kpi_monthly order by month_start").df()
    response = con.execute(
        "select month_start, channel, first_response_minutes_median from marts.kpi_service_monthly order by month_start"
    ).df()
    figure, (left, right) = new_figure(2)
    _lines(left, nps, "month_start", "nps", "channel", "NPS by sales channel")
    _lines(right, response, "month_start", "first_response_minutes_median", "channel",
           "First response, median minutes, by ticket channel")
    data = nps.merge(response[response["channel"] == "all"], on=["month_start", "channel"], how="left")
    return figure, data[data["channel"] == "all"].reset_index(drop=True)


def topic_trends_plot(con: duckdb.DuckDBPyConnection) -> tuple[Figure, pd.DataFrame]:
    """Texts and mean sentiment per week of the most frequent topics."""
    weekly = con.execute(
        "select week_start, topic_label, texts, mean_sentiment_score from marts.topic_trends order by week_start"
    ).df()
    top = weekly.groupby("topic_label")["texts"].sum().nlargest(TOP_TOPICS)
    shown = weekly[weekly["topic_label"].isin(top.index)]
    figure, (left, right) = new_figure(2)
    _lines(left, shown, "week_start", "texts", "topic_label", f"Texts per week, {len(top)} largest topics")
    _lines(right, shown, "week_start", "mean_sentiment_score", "topic_label", "Mean sentiment per week (-1..1)",
           legend=False)
    right.axhline(0, color="grey", linewidth=0.8)
    summary = top.rename("texts").reset_index()
    return figure, summary


def churn_lift_plot(con: duckdb.DuckDBPyConnection) -> tuple[Figure, pd.DataFrame]:
    """Churn lift per topic with its 95% interval; high-risk topics (interval above 1) in red."""
    lift = con.execute(
        "select topic_label, customers_raised, lift, lift_ci_low, lift_ci_high, is_high_risk "
        "from marts.topic_churn_lift where lift_ci_low is not null order by lift"
    ).df()
    figure, (axis,) = new_figure(1)
    figure.set_size_inches(8, max(3, 0.35 * len(lift) + 1))
    colours = ["tab:red" if risky else "tab:blue" for risky in lift["is_high_risk"]]
    axis.errorbar(lift["lift"], range(len(lift)), fmt="none",
                  xerr=[lift["lift"] - lift["lift_ci_low"], lift["lift_ci_high"] - lift["lift"]], ecolor="grey")
    axis.scatter(lift["lift"], range(len(lift)), c=colours, zorder=3)
    axis.axvline(1, color="black", linestyle="--", linewidth=0.8)
    axis.set_yticks(range(len(lift)), lift["topic_label"], fontsize=8, family=fonts())
    axis.set_xlabel("churn lift of customers who raised the topic (95% interval)")
    axis.set_title("Topic -> churn lift")
    axis.grid(axis="x", alpha=0.3)
    if lift.empty:
        _no_data(axis)
    return figure, lift.sort_values("lift", ascending=False).reset_index(drop=True)


def build_report_asset(name: str, draw, description: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["reports", name],
        group_name="reports",
        deps=[PUBLISHED],
        kinds={"python", "matplotlib", "duckdb"},
        owners=["team:analytics"],
        description=f"{description} Drawn from the published serving database after each publication; the "
        "picture is in the materialization's `plot` metadata, the numbers beside it in `data`.",
    )
    def report() -> dg.MaterializeResult:
        with duckdb.connect(str(get_settings().serving_path), read_only=True) as con:
            figure, data = draw(con)
            build_id = con.execute("select build_id from voc360_meta.publications").fetchone()[0]
        return dg.MaterializeResult(
            metadata={
                "plot": png_markdown(figure),
                "data": preview_markdown(data.round({c: 3 for c in data.select_dtypes("number").columns}).head(20)),
                "dagster/row_count": len(data),
                "build_id": build_id,
            }
        )

    return report


report_assets = [
    build_report_asset("kpi_trends", kpi_trends_plot,
                       "NPS per sales channel and median first response time per ticket channel, month by month."),
    build_report_asset("topic_trends", topic_trends_plot,
                       f"Weekly volume and mean sentiment of the {TOP_TOPICS} largest feedback topics."),
    build_report_asset("topic_churn_lift", churn_lift_plot,
                       "Churn lift of each feedback topic with its 95% interval; high-risk topics in red."),
]
