"""The ML layer end to end on a generated world: landed, staged, identities resolved, intermediate built; then
text insights (masking, cached embeddings, topics, sentiment), the features layer, churn and CLV, and the
marts that read them, each dbt layer with its tests. The world is large enough (1,500 customers over 240
days) for the planted slow-service churn effect to be visible; the text step dominates the runtime (about
90 s of CPU embedding on two cores)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ml.churn import assert_no_future_information
from ml.embeddings import default_model_path
from ml.steps import TextSettings, planted_topics_sql, text_insights
from ml.text import find_pii
from support.world_build import build_world

START = "2026-01-01"
CUSTOMERS, DAYS, SEED = 1500, 240, 7
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


@dataclass
class World:
    root: Path
    warehouse: Path
    truth_dir: Path
    results: list[dict]
    text_run: dict
    text_rerun: dict
    text_refit: dict
    churn_run: dict
    clv_run: dict

    def df(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).df()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    build = build_world(tmp_path_factory.mktemp("ml_world"), START, CUSTOMERS, DAYS, SEED)
    # the text step once more on the same texts (nothing new to classify), then refitted on all of them: from
    # the embedding cache, against the saved topic registry
    with duckdb.connect(str(build.warehouse)) as con:
        text_rerun = text_insights(con, build.text_settings)
        text_refit = text_insights(con, build.text_settings, refit=True)
    runs = build.ml_runs
    return World(build.root, build.warehouse, build.truth_dir, build.results, runs["text_insights"], text_rerun,
                 text_refit, runs["churn_scores"], runs["customer_clv"])


def test_every_model_data_test_and_unit_test_passed(world: World):
    not_passed = {r["unique_id"]: r["status"] for r in world.results if r["status"] not in ("success", "pass")}
    assert not not_passed, not_passed
    ids = {r["unique_id"] for r in world.results}
    for model in ("int_feedback_texts", "feat_churn_snapshots", "feat_topic_exposure", "topic_churn_lift",
                  "topic_spend_effects", "topic_trends", "at_risk_interventions", "customer_360"):
        assert f"model.voc360.{model}" in ids, model
    assert any("feat_churn_snapshots_uses_only_events_before_the_cutoff" in i for i in ids)


# -- text ---------------------------------------------------------------------------------------------------------
def test_text_insights_cover_every_feedback_text_with_masked_text(world: World):
    missing = world.df(
        "select count(*) as n from intermediate.int_feedback_texts f "
        "left join ml.text_insights t using (text_id) where t.text_id is null"
    )["n"].iloc[0]
    assert missing == 0
    insights = world.df("select masked_text, topic_id, sentiment from ml.text_insights")
    assert len(insights) == world.text_run["texts"] > 5000
    assert not insights["masked_text"].str.contains(EMAIL).any()
    assert not any(find_pii(t)["phone"] or find_pii(t)["email"] for t in insights["masked_text"])
    assert insights["masked_text"].str.contains("<EMAIL>|<PHONE>").sum() > 50  # the planted PII was there
    assert set(insights["sentiment"]) <= {"negative", "neutral", "positive"}
    # every topic id of a text has its row in ml.topics ("other" included)
    orphans = world.df("select count(*) as n from ml.text_insights t left join ml.topics using (topic_id) "
                       "where topics.topic_id is null")["n"].iloc[0]
    assert orphans == 0


def test_topics_recover_planted_topics_and_sentiment_is_reported(world: World):
    run = world.text_run
    assert run["truth_texts_matched"] > 0.95 * run["texts"]
    assert run["truth_topic_nmi"] >= 0.45, run
    assert run["truth_planted_topic_nmi"] >= run["truth_topic_nmi"] - 0.02, run
    assert 0.5 < run["sentiment_heldout_accuracy"] <= 1
    assert run["truth_sentiment_accuracy"] > 0.5


def test_rerun_classifies_nothing_and_a_refit_embeds_nothing_new_and_keeps_topic_ids(world: World):
    assert world.text_run["embedded_new"] > 0 and world.text_run["topic_mode"].startswith("refit")
    rerun = world.text_rerun
    assert rerun["topic_mode"].startswith("new and changed") and rerun["texts_classified"] == 0
    assert rerun["registry_version"] == world.text_run["registry_version"]
    assert rerun["texts"] == world.text_run["texts"] and rerun["truth_topic_nmi"] == world.text_run["truth_topic_nmi"]

    refit = world.text_refit
    assert refit["topic_mode"] == "refit on every text (asked)" and refit["texts_classified"] == refit["texts"]
    assert refit["embedded_new"] == 0
    assert refit["embedded_from_cache"] == world.text_run["embedded_new"]
    assert refit["registry_version"] == world.text_run["registry_version"] + 1
    topics = world.df("select count(*) as n from ml.topics where not retired and topic_id >= 0")["n"].iloc[0]
    assert topics == refit["topics"]  # the same clusters matched their registered ids


def _warehouse_copy(world: World, tmp_path: Path) -> Path:
    """The world's warehouse, embedding cache and ML models in a directory of their own."""
    warehouse_dir = tmp_path / "warehouse"
    warehouse_dir.mkdir()
    shutil.copy2(world.warehouse, warehouse_dir / world.warehouse.name)
    for folder in ("embeddings", "ml"):
        shutil.copytree(world.warehouse.parent / folder, warehouse_dir / folder)
    return warehouse_dir


def test_new_changed_and_gone_texts_are_classified_on_their_own_until_the_corpus_moves_on(world: World, tmp_path):
    warehouse_dir = _warehouse_copy(world, tmp_path)
    settings = TextSettings(warehouse_dir, world.truth_dir, default_model_path())
    with duckdb.connect(str(warehouse_dir / world.warehouse.name)) as con:
        # a text at the heart of its topic; a new text and a changed text say the same thing
        model, gone, changed, moved = [r[0] for r in con.execute(
            "select text_id from ml.text_insights where topic_id >= 0 and script <> 'zh' "
            "order by topic_similarity desc, text_id limit 4").fetchall()]
        newest = con.execute("select max(created_date) from intermediate.int_feedback_texts").fetchone()[0]
        con.execute("""
            insert into intermediate.int_feedback_texts by name
            select * replace ('test:new:text' as text_id, cast(? as date) as created_date)
            from intermediate.int_feedback_texts where text_id = ?""", [newest, model])
        con.execute("delete from intermediate.int_feedback_texts where text_id = ?", [gone])
        con.execute("update intermediate.int_feedback_texts set text = "
                    "(select text from intermediate.int_feedback_texts where text_id = ?) || ' Still waiting.' "
                    "where text_id = ?", [model, changed])
        con.execute("update intermediate.int_feedback_texts set person_id = 'moved-person' where text_id = ?", [moved])

        daily = text_insights(con, settings)
        rows = con.execute("select text_id, topic_id, topic_assignment, person_id, masked_text from ml.text_insights "
                           "where text_id in (?, ?, ?, ?, 'test:new:text')", [model, gone, changed, moved]
                           ).df().set_index("text_id")
        counts = con.execute("select (select count(*) from ml.text_insights), "
                             "(select count(*) from intermediate.int_feedback_texts)").fetchone()
        # a week later the topics are refitted on everything
        con.execute("""
            insert into intermediate.int_feedback_texts by name
            select * replace ('test:next:week' as text_id, cast(? as date) + 7 as created_date)
            from intermediate.int_feedback_texts where text_id = ?""", [newest, model])
        weekly = text_insights(con, settings)
        assignment = dict(con.execute("select topic_assignment, count(*) from ml.text_insights group by 1").fetchall())

    assert daily["topic_mode"].startswith("new and changed"), daily["topic_mode"]
    assert (daily["texts_classified"], daily["texts_removed"], daily["embedded_new"]) == (2, 1, 1)
    assert daily["registry_version"] == world.text_refit["registry_version"]
    assert counts[0] == counts[1] == world.text_run["texts"]
    assert gone not in rows.index
    assert rows.loc["test:new:text", "topic_id"] == rows.loc[model, "topic_id"]
    assert rows.loc["test:new:text", "masked_text"] == rows.loc[model, "masked_text"]
    assert rows.loc[changed, "masked_text"].endswith("Still waiting.")
    assert (rows.loc[["test:new:text", changed], "topic_assignment"] == "nearest topic").all()
    assert rows.loc[model, "topic_assignment"] == "fit"
    assert rows.loc[moved, "person_id"] == "moved-person"

    assert weekly["topic_mode"].startswith("refit on every text (texts up to"), weekly["topic_mode"]
    assert weekly["registry_version"] == world.text_refit["registry_version"] + 1
    assert assignment == {"fit": world.text_run["texts"] + 1}


def test_static_encoder_is_distilled_once_keeps_topic_quality_and_reruns_from_the_cache(world: World, tmp_path):
    """The fast path for large corpora, on a copy of the world's warehouse (the transformer's cache included,
    so distilling embeds no sample text again): one table, refined on this corpus, then kept."""
    warehouse_dir = tmp_path / "warehouse"
    warehouse_dir.mkdir()
    shutil.copy2(world.warehouse, warehouse_dir / world.warehouse.name)
    shutil.copytree(world.warehouse.parent / "embeddings", warehouse_dir / "embeddings")
    settings = TextSettings(warehouse_dir, world.truth_dir, default_model_path(), encoder="static")
    with duckdb.connect(str(warehouse_dir / world.warehouse.name)) as con:
        first = text_insights(con, settings)
        tables = sorted(settings.static_model_dir.glob("static-*-refined*.npz"))
        second = text_insights(con, settings)
    assert first["embedding_model"].startswith("static:") and len(tables) == 1
    assert first["embedded_new"] > 0 and second["embedded_new"] == 0
    assert second["embedding_model"] == first["embedding_model"]
    assert sorted(settings.static_model_dir.glob("static-*-refined*.npz")) == tables  # kept, not distilled again
    transformer = world.text_run
    assert first["truth_planted_topic_nmi"] >= transformer["truth_planted_topic_nmi"] - 0.05, (first, transformer)
    assert first["truth_sentiment_accuracy"] >= transformer["truth_sentiment_accuracy"] - 0.05
    with pytest.raises(ValueError, match="choose one of transformer, static"):
        TextSettings(warehouse_dir, world.truth_dir, default_model_path(), encoder="bag-of-words")


# -- churn ----------------------------------------------------------------------------------------------------------
def test_snapshots_use_no_information_after_their_cutoff(world: World):
    snapshots = world.df("select * from features.feat_churn_snapshots")
    orders = world.df(
        "select person_id, ordered_at as event_at from marts.fct_orders where is_completed and person_id is not null"
    )

    def order_features(before: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
        return before.groupby("person_id").size().rename("orders_total").to_frame()

    checked = assert_no_future_information(
        snapshots, orders, order_features, id_col="person_id", cutoff_col="cutoff_date",
        feature_cols=["orders_total"],
    )
    assert checked["max_event_check"] and checked["recomputed_cutoffs"] >= 4
    labelled = snapshots[snapshots["churned"].notna()]
    assert labelled["cutoff_date"].nunique() >= 3
    scoring = snapshots[snapshots["is_scoring_cutoff"]]
    assert scoring["churned"].isna().all() and len(scoring) > 500


def test_churn_model_beats_chance_on_a_later_cutoff(world: World):
    run = world.churn_run
    assert run["auc"] > 0.6, run
    assert run["test_cutoff"] > max(run["train_cutoffs"].split(", "))
    assert 0 < run["pr_auc"] <= 1
    assert len(run["calibration"]) == 10
    scores = world.df("select * from ml.churn_scores")
    assert scores["person_id"].is_unique and scores["churn_score"].between(0, 1).all()
    assert scores["reason_1"].notna().all()


def test_clv_is_fitted_and_bounded(world: World):
    clv = world.df("select * from ml.customer_clv")
    assert clv["probability_alive"].between(0, 1).all()
    assert (clv["clv_12m"] >= 0).all()
    # the 12-month prediction is of the order of the history's revenue, not an optimiser blow-up
    assert clv["clv_12m"].sum() < 10 * clv["historical_net_revenue"].sum()
    assert world.clv_run["gamma_gamma_params"]["q"] < 1000


# -- marts ----------------------------------------------------------------------------------------------------------
# Planted topics that the world gives no churn effect: a person's hazard moves with bad experiences and
# complaints about slow service, never with praise, questions or chatter.
NEUTRAL_TOPICS = ["other", "order_inquiry", "product_praise", "helpful_staff", "packaging_gift_praise"]


def _planted_topic_of(world: World, min_purity: float = 0.0) -> pd.Series:
    """Majority planted topic of each topic id whose majority holds at least `min_purity` of its texts."""
    joined = world.df(f"""select insights.topic_id, truth.topic from ml.text_insights as insights
                           inner join ({planted_topics_sql(world.truth_dir)}) as truth on insights.text_id = truth.text_id""")
    shares = joined.groupby("topic_id")["topic"].value_counts(normalize=True).rename("share").reset_index()
    top = shares.sort_values("share", ascending=False).drop_duplicates("topic_id").set_index("topic_id")
    return top.loc[top["share"] >= min_purity, "topic"]


def test_slow_service_topic_has_a_churn_lift_and_neutral_topics_none(world: World):
    lift = world.df("select * from marts.topic_churn_lift").set_index("topic_id")
    planted = _planted_topic_of(world)
    slow = lift[lift.index.map(planted) == "slow_service_response"]
    assert len(slow), planted.to_dict()
    best = slow.sort_values("customers_raised", ascending=False).iloc[0]
    assert best["lift_ci_low"] > 1, slow
    assert 1.3 < best["lift"] < 4
    # no large effect is invented for topics that carry none in the world: praise, questions, chatter
    clear = _planted_topic_of(world, min_purity=0.8)
    neutral = lift[lift.index.map(clear).isin(NEUTRAL_TOPICS) & (lift["customers_raised"] >= 30)]
    assert len(neutral) >= 5
    assert not neutral["is_high_risk"].any(), neutral
    assert (neutral["lift"] < 1.6).all(), neutral
    # adjusting for contact with customer service keeps the slow-service effect and removes the contact's own
    assert lift.loc[lift["is_high_risk"]].index.map(planted).isin(["slow_service_response", "price_too_high",
                                                                   "product_defect", "delivery_delay",
                                                                   "app_crash", "battery_performance"]).all()


def test_packaging_praisers_spend_more_and_buy_more_gifts(world: World):
    spend = world.df("select * from marts.topic_spend_effects").set_index("topic_id")
    planted = _planted_topic_of(world)
    packaging = spend[spend.index.map(planted) == "packaging_gift_praise"]
    assert len(packaging)
    assert (packaging["aov_raised"] > packaging["aov_not_raised"]).all(), packaging
    assert (packaging["gift_share_raised"] > packaging["gift_share_not_raised"]).all(), packaging


def test_topic_trends_add_up_to_all_texts(world: World):
    total = world.df("select sum(texts) as n from marts.topic_trends")["n"].iloc[0]
    assert total == world.text_run["texts"]


def test_interventions_list_high_value_at_risk_customers_with_masked_quotes(world: World):
    rows = world.df("select * from marts.at_risk_interventions order by priority_rank")
    assert len(rows) > 0
    assert not rows["quote"].str.contains(EMAIL).any()
    assert not any(find_pii(t)["phone"] or find_pii(t)["email"] for t in rows["quote"])
    assert rows["value_at_risk"].is_monotonic_decreasing
    high_risk = set(world.df("select topic_id from marts.topic_churn_lift where is_high_risk")["topic_id"])
    assert set(rows["topic_id"]) <= high_risk


def test_customer_360_carries_the_ml_columns(world: World):
    c360 = world.df("select * from marts.customer_360")
    for col in ("sentiment_mean", "top_topics", "churn_score", "churn_reasons", "clv_12m", "probability_alive"):
        assert c360[col].notna().sum() > 0.3 * len(c360), col
    assert c360["churn_score"].dropna().between(0, 1).all()
