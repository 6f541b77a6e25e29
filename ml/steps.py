"""The ML steps between the dbt layers, as plain functions of a DuckDB connection to the warehouse.

    intermediate (int_feedback_texts) -> text_insights -> features (feat_churn_snapshots, feat_topic_exposure)
        -> churn_scores -> marts (customer_360, topic_churn_lift, at_risk_interventions, ...)
    marts (fct_orders) -> customer_clv -> marts (customer_360, at_risk_interventions)

Each step reads its inputs from the warehouse, calls the models of this package, writes its tables in schema
`ml` (dbt sources in models/features/_ml__sources.yml) and returns the metadata of the run. The Dagster assets
(dagster_project/assets/ml.py) are thin wrappers around them. Free text is masked with `ml.text.mask_pii`
before it is embedded, stored or logged: the clear text stays in the intermediate layer.
"""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ml import churn as churn_ml
from ml import clv as clv_ml
from ml.embeddings import (
    CharNgramEncoder,
    EmbeddingCache,
    SentenceTransformerEncoder,
    StaticEmbeddingEncoder,
    distill_static_model,
    static_model_name,
)
from ml.sentiment import SentimentModel, train_sentiment, weak_labels
from ml.text import detect_script, mask_pii
from ml.topics import OTHER_TOPIC, TopicRegistry, clustering_scores, fit_topics

CHURN_HORIZON_DAYS = 90
CLV_HORIZON_DAYS = 365


def replace_table(con, table: str, frame: pd.DataFrame) -> int:
    """Replace `ml.<table>` by the frame in one transaction (readers never see a half-written table)."""
    con.execute("create schema if not exists ml")
    con.register("_frame", frame)
    try:
        con.execute("begin transaction")
        con.execute(f"create or replace table ml.{table} as select * from _frame")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("_frame")
    return len(frame)


# -- text: masking, embeddings, topics, sentiment ---------------------------------------------------------------
# How texts are embedded: the sentence-transformers model itself, or the static table distilled from it (about
# 100 times faster, for corpora of millions of texts; see ml.embeddings.distill_static_model).
ENCODERS = ("transformer", "static")


@dataclass(frozen=True)
class TextSettings:
    warehouse_dir: Path
    ground_truth_dir: Path
    model_path: Path
    seed: int = 0
    encoder: str = "transformer"

    def __post_init__(self) -> None:
        if self.encoder not in ENCODERS:
            raise ValueError(f"embedding encoder {self.encoder!r}: choose one of {', '.join(ENCODERS)}")

    @property
    def embeddings_dir(self) -> Path:
        return self.warehouse_dir / "embeddings"

    @property
    def static_model_dir(self) -> Path:
        """The static tables distilled in this warehouse (token vectors only, no text)."""
        return self.embeddings_dir / "static"

    @property
    def registry_path(self) -> Path:
        return self.warehouse_dir / "ml" / "topic_registry.json"

    @property
    def zh_encoder_path(self) -> Path:
        return self.warehouse_dir / "ml" / "topic_zh_encoder.npz"

    @property
    def sentiment_model_path(self) -> Path:
        return self.warehouse_dir / "ml" / "sentiment_model.pkl"


def planted_topics(truth_dir: Path) -> pd.DataFrame | None:
    """The generator's topic and sentiment per text, keyed like int_feedback_texts.text_id.

    texts.csv has one row per (source, key, column); a review's title and body are one text here and take the
    body's truth (the generator writes both on the review's topic)."""
    path = truth_dir / "texts.csv"
    if not path.exists():
        return None
    truth = pd.read_csv(path, usecols=["source", "key", "column", "topic", "sentiment"], dtype=str)
    truth["text_id"] = truth["source"] + ":" + truth["key"] + ":" + truth["column"]
    return truth.drop_duplicates("text_id").set_index("text_id")[["topic", "sentiment"]]


MIN_SENTIMENT_LABELS = 30


def _sentiment(masked: list[str], labels: pd.Series, encoder, cache, settings: TextSettings
               ) -> tuple[pd.DataFrame, dict]:
    """Train the sentiment model on the weak labels and apply it; returns per-text sentiment and metadata.

    With too few rated texts to learn from (a world of a few days), the model of the last run that had enough
    is applied; with none, sentiment stays unknown (null) and the metadata says why."""
    rated = labels.dropna()
    metadata: dict = {"sentiment_weak_labels": {k: int(v) for k, v in rated.value_counts().sort_index().items()}}
    if len(rated) >= MIN_SENTIMENT_LABELS and rated.nunique() >= 2:
        model, metrics = train_sentiment(masked, labels, encoder, cache, seed=settings.seed)
        model.save(settings.sentiment_model_path)
        metadata.update({"sentiment_model": "trained", "sentiment_heldout_accuracy": metrics["accuracy"],
                         "sentiment_heldout_macro_f1": metrics["macro_f1"]})
        return model.predict(masked, encoder, cache), metadata
    if settings.sentiment_model_path.exists():
        model = SentimentModel.load(settings.sentiment_model_path)
        if model.encoder_model_id == encoder.model_id:
            metadata["sentiment_model"] = f"reused ({len(rated)} rated texts in {rated.nunique()} class(es))"
            return model.predict(masked, encoder, cache), metadata
    metadata["sentiment_model"] = (f"not trained: {len(rated)} rated texts in {rated.nunique()} class(es); "
                                   f"need {MIN_SENTIMENT_LABELS} in two classes")
    return pd.DataFrame({"sentiment": [None] * len(masked), "score": [float("nan")] * len(masked)}), metadata


def text_encoder(settings: TextSettings, masked: list[str], cache: EmbeddingCache):
    """The encoder of the text step. The static table is distilled once per warehouse, refined on a sample of
    the first corpus it meets, and kept: a new table on every run would change the vectors, and with them the
    cache keys, the topic centroids and the sentiment model's inputs. Delete `static_model_dir` to distil
    again (after a backfill that brought a different kind of text, say)."""
    teacher = SentenceTransformerEncoder(settings.model_path)
    if settings.encoder == "transformer":
        return teacher
    kept = sorted(settings.static_model_dir.glob(f"{static_model_name(teacher)}-refined*.npz"))
    path = kept[0] if kept else distill_static_model(settings.static_model_dir, teacher=teacher, corpus=masked,
                                                     cache=cache, seed=settings.seed)
    return StaticEmbeddingEncoder.load(path)


def text_insights(con, settings: TextSettings) -> dict:
    """Mask, embed (cached), fit topics (registry), train and apply sentiment; write ml.text_insights and
    ml.topics. Returns the metadata of the run."""
    texts = con.execute(
        "select text_id, person_id, source, channel, created_at, created_date, text, review_rating, nps_score, "
        "csat_score from intermediate.int_feedback_texts order by text_id"
    ).df()
    clear = texts.pop("text").tolist()
    masked = [mask_pii(t) for t in clear]
    scripts = [detect_script(t) for t in masked]

    cache = EmbeddingCache(settings.embeddings_dir)
    encoder = text_encoder(settings, masked, cache)
    registry = TopicRegistry.load(settings.registry_path)
    zh_encoder = CharNgramEncoder.load(settings.zh_encoder_path) if settings.zh_encoder_path.exists() else None
    fit = fit_topics(masked, encoder, cache, registry=registry, zh_encoder=zh_encoder, seed=settings.seed)
    fit.registry.save(settings.registry_path)
    if fit.zh_encoder is not None:
        fit.zh_encoder.save(settings.zh_encoder_path)

    labels = weak_labels(texts, stars_col="review_rating", nps_col="nps_score", csat_col="csat_score")
    sentiment, sentiment_metadata = _sentiment(masked, labels, encoder, cache, settings)

    labels_by_id = {int(t["topic_id"]): t["label"] for t in fit.registry.topics}
    insights = pd.DataFrame({
        "text_id": texts["text_id"],
        "person_id": texts["person_id"],
        "source": texts["source"],
        "channel": texts["channel"],
        "created_at": texts["created_at"],
        "created_date": texts["created_date"],
        "masked_text": masked,
        "script": scripts,
        "topic_id": fit.assignments["topic_id"].astype("int64").to_numpy(),
        "topic_similarity": fit.assignments["similarity"].astype("float64").to_numpy(),
        "sentiment": sentiment["sentiment"].to_numpy(),
        "sentiment_score": sentiment["score"].astype("float64").round(6).to_numpy(),
        "weak_label": labels.astype("object").where(labels.notna(), None).to_numpy(),
    })
    insights["topic_label"] = insights["topic_id"].map(labels_by_id).fillna("other")
    topics = fit.registry.to_frame()
    topics = topics.assign(
        topic_id=topics["topic_id"].astype("int64"),
        size=topics["size"].astype("int64"),
        retired=topics["retired"].astype(bool),
    )[["topic_id", "space", "label", "keywords", "size", "retired", "first_version", "last_version", "model_id"]]
    # "other" is a row too, so every topic_id of ml.text_insights has its row in ml.topics
    other = pd.DataFrame([{"topic_id": OTHER_TOPIC, "space": "all", "label": "other", "keywords": "[]",
                           "size": int((insights["topic_id"] == OTHER_TOPIC).sum()), "retired": False,
                           "first_version": None, "last_version": fit.registry.version, "model_id": None}])
    topics = pd.concat([other, topics], ignore_index=True)
    replace_table(con, "text_insights", insights)
    replace_table(con, "topics", topics)

    embedding = {space: s["embedding"] for space, s in fit.stats["spaces"].items()}
    main = embedding.get("main", {})
    metadata: dict = {
        "texts": len(insights),
        "embedded_new": int(main.get("embedded_new", 0)),
        "embedded_from_cache": int(main.get("from_cache", 0)),
        "embedding_texts_per_second": main.get("texts_per_second"),
        "embedding_seconds": main.get("seconds"),
        "embedding_model": encoder.model_id,
        "scripts": {k: int(v) for k, v in pd.Series(scripts).value_counts().items()},
        "topics": int(fit.stats["topics"]),
        "other_share": fit.stats["other_share"],
        "registry_version": fit.registry.version,
        "retired_topics": fit.stats["retired_topics"],
        "topic_seconds": fit.stats["seconds"],
        "topic_table": topics.drop(columns=["model_id"]).query("not retired").head(40),
        **sentiment_metadata,
        "sentiment_distribution": {k: int(v) for k, v in insights["sentiment"].value_counts().items()},
        "texts_with_pii_masked": int(sum(m != t for m, t in zip(masked, clear, strict=True))),
    }
    truth = planted_topics(settings.ground_truth_dir)
    if truth is not None:
        joined = insights[["text_id", "topic_id", "sentiment"]].join(
            truth.rename(columns={"sentiment": "sentiment_true"}), on="text_id")
        joined = joined[joined["topic"].notna()]
        scores = clustering_scores(joined["topic"], joined["topic_id"])
        # "other" is the generator's chatter (thanks, greetings, questions on colours): no topic to recover
        on_topic = joined[joined["topic"] != "other"]
        planted = clustering_scores(on_topic["topic"], on_topic["topic_id"])
        metadata.update({
            "truth_texts_matched": int(len(joined)),
            "truth_topic_nmi": scores["nmi"],
            "truth_topic_ari": scores["ari"],
            "truth_planted_topic_nmi": planted["nmi"],
            "truth_planted_topic_ari": planted["ari"],
            "truth_sentiment_accuracy": round(float((joined["sentiment"] == joined["sentiment_true"]).mean()), 4),
        })
    return metadata


def person_texts(con, person_ids: list[str]) -> list[str]:
    """The persons' feedback texts as the text step embeds them (masked): from the intermediate layer and from
    ml.text_insights, which may hold texts of an earlier build. Read before an erasure purges the sources."""
    texts = con.execute(
        "select text from intermediate.int_feedback_texts where person_id = any(?)", [person_ids]
    ).fetchall()
    masked = [mask_pii(t) for (t,) in texts]
    has_insights = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'ml' and table_name = 'text_insights'"
    ).fetchone()[0]
    if has_insights:
        masked += [t for (t,) in con.execute(
            "select masked_text from ml.text_insights where person_id = any(?)", [person_ids]).fetchall()]
    return sorted(set(masked))


def forget_texts(texts: list[str], embeddings_dir: Path) -> int:
    """Drop these texts' vectors from the embedding cache (every model); returns how many were removed. The
    topic registry (centroids, keywords) and the sentiment and Chinese n-gram models hold no text of their own:
    the next text step refits them on what is left."""
    return EmbeddingCache(embeddings_dir).delete(texts) if texts else 0


# -- churn ----------------------------------------------------------------------------------------------------------
def churn_frame(con) -> tuple[pd.DataFrame, dict[str, str]]:
    """The snapshots with the long topic exposure pivoted to one column per active topic (negative texts on it
    before the cut-off), and readable names of those columns for reason codes."""
    snapshots = con.execute("select * from features.feat_churn_snapshots order by cutoff_date, person_id").df()
    exposure = con.execute(
        "select person_id, cutoff_date, topic_id, topic_label, negative_texts, max_event_at "
        "from features.feat_topic_exposure"
    ).df()
    labels: dict[str, str] = {}
    if len(exposure):
        exposure["column"] = "topic_" + exposure["topic_id"].astype(str).str.replace("-", "m") + "_negative_texts"
        labels = {c: f"negative texts on '{lab}'" for c, lab in
                  exposure.drop_duplicates("column").set_index("column")["topic_label"].items()}
        wide = exposure.pivot_table(index=["person_id", "cutoff_date"], columns="column", values="negative_texts",
                                    aggfunc="sum", fill_value=0)
        latest = exposure.groupby(["person_id", "cutoff_date"])["max_event_at"].max().rename("_topic_max_event_at")
        snapshots = snapshots.join(wide, on=["person_id", "cutoff_date"]).join(latest, on=["person_id", "cutoff_date"])
        snapshots[list(wide.columns)] = snapshots[list(wide.columns)].fillna(0)
        snapshots["features_max_event_at"] = snapshots[["features_max_event_at", "_topic_max_event_at"]].max(axis=1)
        snapshots = snapshots.drop(columns=["_topic_max_event_at"])
    return snapshots, labels


EMPTY_CHURN_SCORES = pd.DataFrame({
    "person_id": pd.Series([], dtype="object"), "scored_as_of": pd.Series([], dtype="datetime64[us]"),
    "churn_score": pd.Series([], dtype="float64"), "reason_1": pd.Series([], dtype="object"),
    "reason_2": pd.Series([], dtype="object"), "reason_3": pd.Series([], dtype="object"),
})
EMPTY_CLV = pd.DataFrame({
    "person_id": pd.Series([], dtype="object"), "probability_alive": pd.Series([], dtype="float64"),
    "expected_purchases_12m": pd.Series([], dtype="float64"), "clv_12m": pd.Series([], dtype="float64"),
    "historical_net_revenue": pd.Series([], dtype="float64"),
    "calibration_end": pd.Series([], dtype="datetime64[us]"),
})

SNAPSHOT_NON_FEATURES = ("person_id", "cutoff_date", "churned", "features_max_event_at", "is_scoring_cutoff",
                         "is_lookback_complete")


def churn_scores(con, *, seed: int = 0) -> dict:
    """Train and validate the churn model on the snapshots; score the latest cut-off; write ml.churn_scores."""
    frame, labels = churn_frame(con)
    checked = churn_ml.assert_no_future_information(frame, id_col="person_id", cutoff_col="cutoff_date")
    labelled = frame[frame["churned"].notna()]
    if labelled["cutoff_date"].nunique() < 2 or labelled["churned"].nunique() < 2:
        # A history shorter than two labelled cut-offs (about five months) cannot train and validate on time:
        # the table is written empty rather than filled with scores nobody validated.
        replace_table(con, "churn_scores", EMPTY_CHURN_SCORES)
        return {"skipped": f"{labelled['cutoff_date'].nunique()} labelled cut-off(s) with "
                           f"{labelled['churned'].nunique()} class(es); need two of each", "scored_rows": 0,
                "look_ahead_check": checked}
    result = churn_ml.train_churn(
        frame,
        id_col="person_id",
        cutoff_col="cutoff_date",
        label_col="churned",
        exclude=SNAPSHOT_NON_FEATURES,
        horizon_days=CHURN_HORIZON_DAYS,
        seed=seed,
        feature_labels=labels,
    )
    scores = result.scores.rename(columns={"cutoff_date": "scored_as_of"})
    scores["churn_score"] = scores["churn_score"].astype("float64").round(6)
    scores["scored_as_of"] = pd.to_datetime(scores["scored_as_of"]).dt.date
    scores = scores[["person_id", "scored_as_of", "churn_score", "reason_1", "reason_2", "reason_3"]]
    rows = replace_table(con, "churn_scores", scores)
    metrics = result.metrics
    top = result.top_features.head(10).assign(
        feature=lambda d: d["feature"].map(lambda f: labels.get(f, f)), share=lambda d: d["share"].round(4)
    )[["feature", "share"]]
    return {
        "auc": metrics["auc"],
        "pr_auc": metrics["pr_auc"],
        "brier": metrics["brier"],
        "base_rate": metrics["base_rate"],
        "train_rows": metrics["train_rows"],
        "test_rows": metrics["test_rows"],
        "train_cutoffs": ", ".join(metrics["train_cutoffs"]),
        "test_cutoff": metrics["test_cutoff"],
        "label_window_overlap": metrics["label_window_overlap"],
        "features": metrics["features"],
        "calibration": result.calibration.round(4),
        "top_features": top,
        "look_ahead_check": checked,
        "scored_rows": rows,
    }



# -- lifetime value -------------------------------------------------------------------------------------------------
def customer_clv(con, *, horizon_days: int = CLV_HORIZON_DAYS) -> dict:
    """BG/NBD + Gamma-Gamma on completed orders up to the last loaded day; write ml.customer_clv."""
    orders = con.execute(
        "select person_id, ordered_at, net_amount_reporting from marts.fct_orders "
        "where is_completed and person_id is not null and net_amount_reporting >= 0"
    ).df()
    end = pd.Timestamp(con.execute("select max(date_day) from intermediate.int_calendar_days").fetchone()[0])
    summary = clv_ml.rfm_summary(orders, customer_col="person_id", date_col="ordered_at",
                                 value_col="net_amount_reporting", calibration_end=end)
    if (summary["frequency"] > 0).sum() < 10:
        replace_table(con, "customer_clv", EMPTY_CLV)
        return {"customers": 0, "skipped": f"{int((summary['frequency'] > 0).sum())} repeat buyers; need 10"}
    bgnbd = clv_ml.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    # Started from a spend scale of the data: from (1, 1, 1) the optimiser can run off to a degenerate corner
    # (p -> 0, q and v -> infinity) when spend is in the hundreds.
    repeat_spend = summary.loc[(summary["frequency"] > 0) & (summary["monetary_value"] > 0), "monetary_value"]
    gamma_gamma = clv_ml.fit_gamma_gamma(summary["frequency"], summary["monetary_value"],
                                         initial=(1.0, 3.0, float(repeat_spend.mean()) if len(repeat_spend) else 1.0))
    predicted = clv_ml.predict_clv(summary, bgnbd, gamma_gamma, horizon_days=horizon_days)
    revenue = orders.groupby("person_id")["net_amount_reporting"].sum()
    out = pd.DataFrame({
        "person_id": summary.index.astype(str),
        "probability_alive": predicted["probability_alive"].clip(0, 1).round(6).to_numpy(),
        "expected_purchases_12m": predicted["expected_purchases"].round(6).to_numpy(),
        "clv_12m": predicted["predicted_value"].clip(lower=0).round(2).to_numpy(),
        "historical_net_revenue": revenue.reindex(summary.index).round(2).to_numpy(),
        "calibration_end": end.date(),
    })
    rows = replace_table(con, "customer_clv", out)
    return {
        "customers": rows,
        "calibration_end": str(end.date()),
        "bgnbd_params": {k: round(float(v), 6) for k, v in bgnbd.as_dict().items()},
        "gamma_gamma_params": {k: round(float(v), 6) for k, v in gamma_gamma.as_dict().items()},
        "repeat_buyers": int((summary["frequency"] > 0).sum()),
        "mean_probability_alive": round(float(out["probability_alive"].mean()), 4),
        "total_clv_12m": round(float(out["clv_12m"].sum()), 2),
    }

