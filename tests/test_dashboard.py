"""The KPI dashboard in a real browser: the marts of a generated world are published to a serving database,
the dashboard is started on it with `python -m dashboard` (what `make dashboard` runs), and headless Chromium
(Debian's package, driven by Playwright) opens every page. Each page must show the numbers the serving database
holds, read back from the rendered page and compared with SQL run here; a full-page screenshot of each page is
saved under test-artifacts/dashboard/."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from support.world_build import Build, shared_world
from voc360.publish import publish
from voc360.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "dashboard"
TIMEOUT_MS = 60_000


# -- the serving database, the dashboard process and the browser ---------------------------------------------------
@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Build:
    built = shared_world(tmp_path_factory)
    serving = Path(built.env["VOC360_WAREHOUSE_DIR"]) / "serving.duckdb"
    if not serving.exists():
        publish(built.warehouse, serving, ["marts"], build_id="dashboard-test", checks_passed=[])
    return built


def query(serving: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute(sql, params or []).df()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def start_dashboard() -> Iterator:
    """Starts `python -m dashboard` on a warehouse directory; every process started is stopped at the end."""
    processes = []

    def start(warehouse_dir: Path, env: dict[str, str]) -> str:
        port = free_port()
        log = (warehouse_dir / f"dashboard-{port}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "--server.port", str(port)],
            env={**env, "VOC360_WAREHOUSE_DIR": str(warehouse_dir)}, cwd=PROJECT_ROOT, stdout=log, stderr=log,
        )
        processes.append((process, log))
        url = f"http://localhost:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return url
            except OSError:
                pass
            assert process.poll() is None, (warehouse_dir / f"dashboard-{port}.log").read_text()
            assert time.monotonic() < deadline, "the dashboard did not answer within 60 s"
            time.sleep(0.5)

    yield start
    for process, log in processes:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def dashboard(build: Build, start_dashboard) -> str:
    return start_dashboard(Path(build.env["VOC360_WAREHOUSE_DIR"]), build.env)


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run installs it)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
            headless=True, viewport={"width": 1400, "height": 1000},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser):
    tab = browser.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    yield tab
    tab.close()


# -- reading a rendered page ---------------------------------------------------------------------------------------
def settled(page) -> None:
    """Waits until the app is connected, its script has finished running and every element is drawn (Streamlit
    shows a skeleton while an element's code loads), and checks that nothing failed."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    page.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
        " return app.dataset.testScriptState === 'notRunning'"
        " && document.querySelector('[data-testid=\"stMain\"] h1') !== null"
        " && document.querySelector('[data-testid^=\"stSkeleton\"], [data-testid=\"stAppSkeleton\"]') === null; }"
    )
    page.wait_for_timeout(500)  # charts draw after the script has finished
    errors = page.locator('[data-testid="stException"]').all_inner_texts()
    assert not errors, errors


def open_page(page, url: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(url)
    settled(page)


def screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window is made as tall as that block."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(1000, height)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def metrics(page) -> dict[str, str]:
    return dict(
        zip(
            page.locator('[data-testid="stMetricLabel"]').all_inner_texts(),
            page.locator('[data-testid="stMetricValue"]').all_inner_texts(),
            strict=True,
        )
    )


def tables(page) -> list[pd.DataFrame]:
    """Every st.table of the page as a frame of the texts shown."""
    found = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid="stTable"] table')).map(t => ({
            header: Array.from(t.querySelectorAll('thead th')).map(c => c.innerText.trim()),
            rows: Array.from(t.querySelectorAll('tbody tr')).map(r =>
                Array.from(r.querySelectorAll('th, td')).map(c => c.innerText.trim())),
        }))"""
    )
    return [pd.DataFrame(t["rows"], columns=t["header"]) for t in found]


def shown(text: str) -> float | None:
    """A number as the dashboard writes it ('1,234.5', '57.6%', '–' for none) -> its value (57.6% -> 0.576)."""
    text = text.strip()
    if text == "–":
        return None
    value = float(text.rstrip("%").replace(",", ""))
    return value / 100 if text.endswith("%") else value


def same(text: str, expected) -> bool:
    """The text shows `expected`, to the precision it is written with."""
    if expected is None or pd.isna(expected):
        return text.strip() == "–"
    digits = len(text.rstrip("%").partition(".")[2])
    scale = 100 if text.endswith("%") else 1
    return abs(shown(text) * scale - float(expected) * scale) <= 0.5 * 10 ** -digits + 1e-9


def assert_column(table: pd.DataFrame, key: str, column: str, expected: pd.Series) -> None:
    """Each row of `table` shows in `column` the expected value of its `key`."""
    assert set(table[key]) == set(expected.index), (sorted(table[key]), sorted(expected.index))
    wrong = {k: (v, expected[k]) for k, v in zip(table[key], table[column]) if not same(v, expected[k])}
    assert not wrong, (column, wrong)


# -- the pages -----------------------------------------------------------------------------------------------------
def serving_of(build: Build) -> Path:
    return Path(build.env["VOC360_WAREHOUSE_DIR"]) / "serving.duckdb"


def test_kpi_page_shows_the_last_complete_month_by_channel(build: Build, dashboard: str, page):
    serving = serving_of(build)
    report = query(serving, "select max(month_start) as m from marts.kpi_monthly where is_complete_month")["m"][0]
    sales = query(serving, "select * from marts.kpi_monthly where month_start = ?", [report]).set_index("channel")
    service = query(serving, "select * from marts.kpi_service_monthly where month_start = ?", [report]).set_index(
        "channel")
    assert sales["orders"].sum() > 0 and service["tickets_created"].sum() > 0

    open_page(page, dashboard)
    screenshot(page, "kpis")
    assert f"All channels, {report:%Y-%m}" in page.locator('[data-testid="stMain"]').inner_text()
    shown_metrics = metrics(page)
    for label, expected in {
        "NPS": sales.loc["all", "nps"],
        "CSAT": service.loc["all", "csat"],
        "First response, median (min)": service.loc["all", "first_response_minutes_median"],
        "Resolution rate": service.loc["all", "resolution_rate"],
        "AOV": sales.loc["all", "aov"],
    }.items():
        assert same(shown_metrics[label], expected), (label, shown_metrics[label], expected)
    retention = query(
        serving,
        "select cohort_month, retention_rate from marts.kpi_cohort_retention where months_since_first_order = 1 "
        "and is_complete_month and not is_left_censored order by cohort_month desc limit 1",
    ).iloc[0]
    label = f"Retention, month 1 (cohort {retention['cohort_month']:%Y-%m})"
    assert same(shown_metrics[label], retention["retention_rate"])
    churn = query(
        serving, "select as_of_date, churn_rate from marts.kpi_churn_monthly where churn_rate is not null "
        "order by as_of_date desc limit 1"
    ).iloc[0]
    assert same(shown_metrics[f"Churn rate (as of {churn['as_of_date']:%Y-%m-%d})"], churn["churn_rate"])

    sales_table, service_table = tables(page)
    for column, mart_column in {"Orders": "orders", "Net revenue": "net_revenue", "AOV": "aov", "NPS": "nps"}.items():
        assert_column(sales_table, "Channel", column, sales[mart_column])
    for column, mart_column in {
        "Inquiries": "tickets_created",
        "First response, median (min)": "first_response_minutes_median",
        "First response, p90 (min)": "first_response_minutes_p90",
        "Resolution rate": "resolution_rate",
        "CSAT": "csat",
    }.items():
        assert_column(service_table, "Channel", column, service[mart_column])

    # the daily grain redraws the trends from the daily marts without an error
    page.get_by_text("day", exact=True).click()
    settled(page)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 4


def test_topics_page_shows_volume_and_sentiment_per_topic(build: Build, dashboard: str, page):
    serving = serving_of(build)
    totals = query(
        serving,
        "select topic_label, sum(texts) as texts, sum(negative_texts) / sum(texts) as negative, "
        "sum(mean_sentiment_score * texts) / sum(texts) as sentiment from marts.topic_trends group by topic_label",
    ).set_index("topic_label")
    spend = query(serving, "select * from marts.topic_spend_effects").set_index("topic_label")
    assert totals["texts"].sum() > 100

    open_page(page, f"{dashboard}/topics")
    screenshot(page, "topics")
    trends_table, spend_table = tables(page)
    assert_column(trends_table, "Topic", "Texts", totals["texts"])
    assert_column(trends_table, "Topic", "Negative", totals["negative"])
    assert_column(trends_table, "Topic", "Mean sentiment", totals["sentiment"])
    assert trends_table["Texts"].map(shown).is_monotonic_decreasing
    assert_column(spend_table, "Topic", "AOV, raised", spend["aov_raised"])
    assert_column(spend_table, "Topic", "Gift share, not raised", spend["gift_share_not_raised"])
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 2


def test_churn_lift_page_shows_each_topic_with_its_interval(build: Build, dashboard: str, page):
    lift = query(serving_of(build), "select * from marts.topic_churn_lift").set_index("topic_label")
    assert lift["lift_ci_low"].notna().any()

    open_page(page, f"{dashboard}/churn-lift")
    screenshot(page, "churn_lift")
    (table,) = tables(page)
    assert_column(table, "Topic", "Lift", lift["lift"])
    assert_column(table, "Topic", "Crude lift", lift["crude_lift"])
    assert_column(table, "Topic", "Churn, raised", lift["churn_rate_raised"])
    interval = table.set_index("Topic")["95% interval"]
    for topic, row in lift.dropna(subset=["lift_ci_low"]).iterrows():
        low, high = interval[topic].split(" – ")
        assert same(low, row["lift_ci_low"]) and same(high, row["lift_ci_high"]), (topic, interval[topic])
    assert set(table.loc[table["High risk"] == "yes", "Topic"]) == set(lift.index[lift["is_high_risk"]])
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 1


def test_at_risk_page_counts_what_the_list_needs(build: Build, dashboard: str, page):
    serving = serving_of(build)
    listed = query(serving, "select count(*) as n from marts.at_risk_interventions")["n"][0]
    scored = query(serving, "select count(churn_score) as n from marts.customer_360")["n"][0]
    high_risk = query(serving, "select count(*) filter (where is_high_risk) as n from marts.topic_churn_lift")["n"][0]

    open_page(page, f"{dashboard}/at-risk")
    screenshot(page, "at_risk")
    shown_metrics = metrics(page)
    assert same(shown_metrics["Customers to contact"], listed)
    assert same(shown_metrics["Customers with a churn score"], scored)
    assert same(shown_metrics["High-risk topics"], high_risk)
    assert len(tables(page)) == (1 if listed else 0)


@pytest.fixture(scope="module")
def intervention_rows(build: Build, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """A copy of the serving database whose intervention list holds three hand-written rows about real
    customers (a world small enough for a test has no churn scores and no high-risk topic, so its list is empty)."""
    warehouse_dir = tmp_path_factory.mktemp("serving_with_interventions")
    serving = warehouse_dir / "serving.duckdb"
    shutil.copy(serving_of(build), serving)
    with duckdb.connect(str(serving)) as con:
        people = con.execute(
            "select person_id from marts.customer_360 order by net_revenue desc nulls last, person_id limit 3"
        ).df()["person_id"]
        rows = pd.DataFrame({
            "priority_rank": [1, 2, 3],
            "person_id": people,
            "scored_as_of": pd.Timestamp("2026-05-01").date(),
            "churn_score": [0.81, 0.64, 0.52],
            "clv_12m": [2400.5, 1900.25, 2100.0],
            "probability_alive": [0.7, 0.8, 0.75],
            "value_at_risk": [1944.405, 1216.16, 1092.0],
            "topic_id": [7, 7, 3],
            "topic_label": ["delivery, parcel, shipping", "delivery, parcel, shipping", "service, team, slow"],
            "topic_lift": [2.9, 2.9, 1.8],
            "reason_1": ["days since last order: 75", "slow first response: 3 tickets", "NPS detractor"],
            "reason_2": ["orders in the last 90 days: 0", None, "negative reviews: 2"],
            "reason_3": [None, None, "app crashes: 4"],
            "quote": ["Parcel came a week late *again*, [order] #1 of 2.", "Nobody answered my chat for hours.",
                      "Support took 3 days to reply."],
            "quote_at": pd.to_datetime(["2026-04-20 10:00", "2026-04-11 09:30", "2026-03-30 18:05"]),
            "quote_source": ["review", "ticket_message", "survey"],
        })
        con.execute("delete from marts.at_risk_interventions")
        con.execute("insert into marts.at_risk_interventions by name select * from rows")
    return warehouse_dir, rows


def test_at_risk_page_lists_each_customer_with_reasons_and_quote(build: Build, start_dashboard, intervention_rows,
                                                                 page):
    warehouse_dir, rows = intervention_rows
    url = start_dashboard(warehouse_dir, build.env)

    open_page(page, f"{url}/at-risk")
    screenshot(page, "at_risk_list")
    shown_metrics = metrics(page)
    assert same(shown_metrics["Customers to contact"], len(rows))
    assert same(shown_metrics["Value at risk"], rows["value_at_risk"].sum())
    (table,) = tables(page)
    assert table["Person"].tolist() == rows["person_id"].tolist()
    assert table["Rank"].tolist() == ["1", "2", "3"]
    assert all(same(a, b) for a, b in zip(table["Value at risk"], rows["value_at_risk"]))
    assert all(same(a, b) for a, b in zip(table["Churn score"], rows["churn_score"]))
    # the customer's own words and every reason, exactly as written (Markdown characters included)
    assert table["In their words"].tolist() == rows["quote"].tolist()
    assert table["Why the score is high"].tolist() == [
        "days since last order: 75; orders in the last 90 days: 0", "slow first response: 3 tickets",
        "NPS detractor; negative reviews: 2; app crashes: 4",
    ]
    assert table["Said on"].tolist() == ["2026-04-20 (review)", "2026-04-11 (ticket_message)", "2026-03-30 (survey)"]


def test_customer_lookup_shows_one_persons_profile_tags_and_timeline(build: Build, dashboard: str, page):
    serving = serving_of(build)
    # a person who bought, used service and answered a survey
    person_id = query(
        serving,
        "select person_id from marts.fct_interactions where person_id is not null group by person_id "
        "having count(distinct case when source in ('orders', 'tickets', 'surveys') then source end) = 3 "
        "order by count(*) desc, person_id limit 1",
    )["person_id"][0]
    profile = query(serving, "select * from marts.customer_360 where person_id = ?", [person_id]).iloc[0]
    tags = query(serving, "select tag, reason from marts.dim_customer_tags where person_id = ? order by tag",
                 [person_id])
    timeline = query(
        serving,
        "select occurred_at, source, kind, amount_reporting from marts.fct_interactions where person_id = ? "
        "order by occurred_at, interaction_id",
        [person_id],
    )

    open_page(page, f"{dashboard}/customer")
    page.get_by_label("Person id").fill(person_id)
    page.get_by_label("Person id").press("Enter")
    page.wait_for_selector(f'h3:has-text("{person_id}")')
    settled(page)
    assert f"person_id={person_id}" in page.url  # a lookup is a link that can be shared
    screenshot(page, "customer")
    shown_metrics = metrics(page)
    assert same(shown_metrics["Completed orders"], profile["completed_orders"])
    assert same(shown_metrics[f"Net revenue ({profile['reporting_currency']})"], profile["net_revenue"])
    assert same(shown_metrics["AOV"], profile["aov"])
    assert same(shown_metrics["Tickets"], profile["tickets"])
    assert same(shown_metrics["Last NPS score"], profile["last_nps_score"])

    tag_table, timeline_table = tables(page)
    assert tag_table["tag"].tolist() == tags["tag"].tolist() and len(tags) > 0
    latest = timeline.tail(len(timeline_table))
    assert len(timeline_table) == min(len(timeline), 100)
    listed = f"the latest 100 of {len(timeline)}" if len(timeline) > 100 else f"all {len(timeline)}"
    assert page.get_by_text(f"Touches on every channel in time order: {listed}.").count() == 1
    assert timeline_table["When"].tolist() == latest["occurred_at"].dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert timeline_table["Source"].tolist() == latest["source"].tolist()
    assert all(same(a, b) for a, b in zip(timeline_table["Amount"], latest["amount_reporting"]))

    # an id that is not in the warehouse says so
    page.get_by_label("Person id").fill("P-not-a-person")
    page.get_by_label("Person id").press("Enter")
    page.wait_for_selector('[data-testid="stAlert"]:has-text("No person P-not-a-person")')


# -- the Dagster UI ------------------------------------------------------------------------------------------------
def test_every_asset_has_a_description_owner_kinds_and_group_and_tables_a_column_schema():
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    nodes = [graph.get(key) for key in graph.get_all_asset_keys()]
    lacking = {
        node.key.to_user_string(): [name for name, value in
                                    [("description", node.description), ("owners", node.owners),
                                     ("kinds", node.kinds), ("group", node.group_name)] if not value]
        for node in nodes
    }
    assert not {key: missing for key, missing in lacking.items() if missing}
    # landing declares its columns; the marts document every column in YAML (every dbt model also reports its
    # columns as built when it materialises: test_dbt_outputs_carry_row_count_columns_and_a_masked_preview)
    tables = [node for node in nodes if node.group_name in ("landing", "marts")]
    assert len(tables) > 20
    assert all(node.metadata["dagster/column_schema"].columns for node in tables)
    kinds = set().union(*(node.kinds for node in nodes))
    assert {"duckdb", "dbt", "python", "sentence-transformers", "great-expectations", "matplotlib"} <= kinds
    assert {node.key.to_user_string() for node in nodes if node.group_name == "reports"} == {
        "reports/kpi_trends", "reports/topic_trends", "reports/topic_churn_lift"}


def test_report_assets_attach_plots_drawn_from_the_serving_database(build: Build, monkeypatch):
    import base64
    import io

    import dagster as dg
    from matplotlib import image

    from dagster_project.assets.reports import report_assets
    from voc360.settings import get_settings

    monkeypatch.setenv("VOC360_WAREHOUSE_DIR", build.env["VOC360_WAREHOUSE_DIR"])
    # settings export these two to the environment when read: restored after the test like the one above
    monkeypatch.setenv("VOC360_WAREHOUSE_PATH", str(build.warehouse))
    monkeypatch.setenv("VOC360_PII_SALT", get_settings().pii_salt)
    get_settings.cache_clear()
    try:
        result = dg.materialize(report_assets)
    finally:
        get_settings.cache_clear()
    assert result.success
    serving = serving_of(build)
    for asset in report_assets:
        (materialization,) = result.asset_materializations_for_node(asset.op.name)
        metadata = materialization.metadata
        encoded = re.fullmatch(r"!\[plot\]\(data:image/png;base64,(.+)\)", metadata["plot"].value).group(1)
        picture = image.imread(io.BytesIO(base64.b64decode(encoded)), format="png")
        assert picture.shape[0] > 200 and picture.shape[1] > 400
        assert picture[..., :3].std() > 0.05  # something is drawn
        assert metadata["dagster/row_count"].value > 0
        assert metadata["build_id"].value == query(serving, "select build_id from voc360_meta.publications")["build_id"][0]
    # the numbers beside the KPI plot are those of the mart
    kpi = next(m for m in result.asset_materializations_for_node("reports__kpi_trends"))
    months = query(serving, "select count(*) as n from marts.kpi_monthly where channel = 'all'")["n"][0]
    assert kpi.metadata["dagster/row_count"].value == months


def test_dbt_outputs_carry_row_count_columns_and_a_masked_preview(tmp_path):
    import dagster as dg
    from dagster_duckdb import DuckDBResource

    from dagster_project.assets.dbt import with_table_metadata

    database = tmp_path / "w.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema staging")
        con.execute("create table staging.stg_notes as select range as note_id, "
                    "'call me on 13812345678 or a.b@example.com' as body from range(7)")
    manifest = {"nodes": {"model.voc360.stg_notes": {
        "schema": "staging", "alias": "stg_notes", "columns": {"note_id": {"description": "The note."}}}}}
    unrelated = dg.AssetObservation(asset_key="other")
    events = [dg.Output(None, "stg_notes", metadata={"unique_id": "model.voc360.stg_notes"}), unrelated]

    output, passed_on = with_table_metadata(events, manifest, DuckDBResource(database=str(database)))
    assert passed_on is unrelated
    metadata = output.metadata
    assert metadata["dagster/row_count"].value == 7
    columns = metadata["dagster/column_schema"].schema.columns
    assert [(c.name, c.type, c.description) for c in columns] == [
        ("note_id", "BIGINT", "The note."), ("body", "VARCHAR", None)]
    preview = metadata["preview"].value
    assert preview.count("call me on") == 5  # five rows, the phone number and e-mail masked
    assert "13812345678" not in preview and "example.com" not in preview
