"""The ML steps between the dbt layers, as plain functions of a DuckDB connection to the warehouse.

    intermediate (int_feedback_texts) -> text_insights -> features (feat_churn_snapshots, feat_topic_exposure)
        -> churn_scores -> marts (customer_360, topic_churn_lift, at_risk_interventions, ...)
    marts (fct_orders) -> customer_clv -> marts (customer_360, at_risk_interventions)

Each step reads its inputs from the warehouse, calls the models of this package, writes its tables in schema
`ml` (dbt sources in models/features/_ml__sources.yml) and returns the metadata of the run. The Dagster assets
(dagster_project/assets/ml.py) are thin wrappers around them. Free text is masked with `ml.text.mask_pii`
before it is embedded, stored or logged: the clear text stays in the intermediate layer.
"""

import time
from contextlib import contextmanager
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
from ml.io import sql_string
from ml.sentiment import SentimentModel, train_sentiment, weak_labels
from ml.text import detect_script, mask_pii
from ml.topics import OTHER_TOPIC, TopicRegistry, assign_topics, assignable, clustering_scores, fit_topics

CHURN_HORIZON_DAYS = 90
CLV_HORIZON_DAYS = 365


@contextmanager
def transaction_with_frame(con, name: str, frame: pd.DataFrame):
    """A transaction in which `frame` is the view `name`: committed when the block ends, rolled back if it
    raises (readers never see half of what it writes)."""
    con.register(name, frame)
    try:
        con.execute("begin transaction")
        yield
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister(name)


def replace_table(con, table: str, frame: pd.DataFrame) -> int:
    """Replace `ml.<table>` by the frame in one transaction."""
    con.execute("create schema if not exists ml")
    with transaction_with_frame(con, "_frame", frame):
        con.execute(f"create or replace table ml.{table} as select * from _frame")
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


def planted_topics_sql(truth_dir: Path) -> str | None:
    """SQL of the generator's topic and sentiment per text with a planted topic (text_id, topic, sentiment),
    text_id as in int_feedback_texts; None when the world has no truth.

    texts.csv has one row per (source, key, column); a review's title and body are one text here and take the
    body's truth (the generator writes both on the review's topic). The first row of a text_id wins, and a text
    whose first row has no topic is left out. DuckDB reads the file: at medium scale it has 1.5 M texts, which
    pandas took 2 s to read."""
    path = Path(truth_dir) / "texts.csv"
    if not path.exists():
        return None
    return f"""
        select text_id, topic, sentiment
        from (
            select text_id, topic, sentiment
            from (
                select source || ':' || key || ':' || "column" as text_id, topic, sentiment,
                    row_number() over () as line
                from read_csv({sql_string(str(path))}, header = true, all_varchar = true)
            ) as rows
            qualify row_number() over (partition by text_id order by line) = 1
        ) as first_rows
        where topic is not null
    """


MIN_SENTIMENT_LABELS = 30


def _sentiment(masked: list[str], labels: pd.Series, encoder, cache, settings: TextSettings
               ) -> tuple[pd.DataFrame, dict]:
    """Train the sentiment model on the weak labels and apply it; returns per-text sentiment and metadata.

    With too few rated texts to learn from (a world of a few days), the model of the last run that had enough
    is applied (`_saved_sentiment`)."""
    rated = labels.dropna()
    metadata: dict = {"sentiment_weak_labels": {k: int(v) for k, v in rated.value_counts().sort_index().items()}}
    if len(rated) >= MIN_SENTIMENT_LABELS and rated.nunique() >= 2:
        model, metrics = train_sentiment(masked, labels, encoder, cache, seed=settings.seed)
        model.save(settings.sentiment_model_path)
        metadata.update({"sentiment_model": "trained", "sentiment_heldout_accuracy": metrics["accuracy"],
                         "sentiment_heldout_macro_f1": metrics["macro_f1"]})
        return model.predict(masked, encoder, cache), metadata
    sentiment, applied = _saved_sentiment(masked, encoder, cache, settings)
    rated_counts = f"{len(rated)} rated texts in {rated.nunique()} class(es)"
    metadata["sentiment_model"] = (f"saved model applied ({rated_counts})" if applied else
                                   f"not trained: {rated_counts}; need {MIN_SENTIMENT_LABELS} in two classes")
    return sentiment, metadata


def _saved_sentiment(masked: list[str], encoder, cache, settings: TextSettings) -> tuple[pd.DataFrame, bool]:
    """The saved sentiment model applied to the texts, and whether there was one for this encoder; without one,
    sentiment stays unknown (null)."""
    if settings.sentiment_model_path.exists():
        model = SentimentModel.load(settings.sentiment_model_path)
        if model.encoder_model_id == encoder.model_id:
            return model.predict(masked, encoder, cache), True
    return pd.DataFrame({"sentiment": [None] * len(masked), "score": [float("nan")] * len(masked)}), False


def text_encoder(settings: TextSettings, masked: list[str], cache: EmbeddingCache):
    """The encoder of the text step. The static table is distilled once per warehouse, refined on a sample of
    the first corpus it meets, and kept: a new table on every run would change the vectors, and with them the
    cache keys, the topic centroids and the sentiment model's inputs. Delete `static_model_dir` to distil
    again (after a backfill that brought a different kind of text, say)."""
    teacher = SentenceTransformerEncoder(settings.model_path)
    if settings.encoder == "transformer":
        return teacher
    kept = _kept_static_tables(settings, teacher)
    path = kept[0] if kept else distill_static_model(settings.static_model_dir, teacher=teacher, corpus=masked,
                                                     cache=cache, seed=settings.seed)
    return StaticEmbeddingEncoder.load(path)


def _kept_static_tables(settings: TextSettings, teacher: SentenceTransformerEncoder) -> list[Path]:
    return sorted(settings.static_model_dir.glob(f"{static_model_name(teacher)}-refined*.npz"))


# Topics and the sentiment model are refitted on every text when the corpus has moved on: after
# REFIT_AFTER_DAYS days of texts newer than the last fit, or once the texts classified since the fit reach
# REFIT_AFTER_SHARE of those it was fitted on. In between, a run masks, embeds and classifies only the texts
# that are new or changed, by the registered topics and the saved sentiment model: a day costs seconds rather
# than a refit of the whole history, and a topic that emerges is found at the next refit, within a week.
REFIT_AFTER_DAYS = 7
REFIT_AFTER_SHARE = 0.05
# How a text got its topic (ml.text_insights.topic_assignment).
ASSIGNED_BY_FIT, ASSIGNED_BY_NEAREST_TOPIC = "fit", "nearest topic"
FEEDBACK_COLUMNS = ("text_id, person_id, source, channel, created_at, created_date, text, review_rating, "
                    "nps_score, csat_score")


def _content_md5(alias: str) -> str:
    """SQL: a digest of what the text step reads from a feedback text; a text whose digest changed is new."""
    parts = [f"coalesce(cast({alias}.{c} as varchar), '')" for c in ("text", "review_rating", "nps_score",
                                                                       "csat_score")]
    return f"md5(concat_ws(chr(31), {', '.join(parts)}))"


CHANGED_TEXTS = f"""
    select {', '.join(f'f.{c.strip()}' for c in FEEDBACK_COLUMNS.split(','))}, {_content_md5('f')} as content_md5
    from intermediate.int_feedback_texts as f
    left join ml.text_insights as t using (text_id)
    where t.text_id is null or t.content_md5 is distinct from {_content_md5('f')}
    order by f.text_id
"""


class _Laps:
    """Wall seconds of a step's phases, for its metadata (a phase met twice adds up)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = round(self.seconds.get(phase, 0.0) + now - self._last, 3)
        self._last = now


def text_insights(con, settings: TextSettings, *, refit: bool = False) -> dict:
    """Masked text, topic and sentiment of every feedback text: ml.text_insights and ml.topics.

    Refits the topics (registry) and the sentiment model on every text when asked, on the first run and when
    the corpus has moved on (see REFIT_AFTER_DAYS); otherwise classifies only new and changed texts and removes
    those gone from int_feedback_texts. Returns the metadata of the run, with the seconds of its phases
    (phase_seconds: "encoder" is where the static table is distilled, the first time)."""
    laps = _Laps()
    reason, changed = ("asked", None) if refit else _refit_reason(con, settings)
    laps("read")
    metadata = None
    if reason is None:
        metadata, reason = _classify_changed_texts(con, settings, changed, laps)
    if metadata is None:
        metadata = _refit_texts(con, settings, reason, laps)
    metadata.update(_corpus_metadata(con, settings.ground_truth_dir))
    laps("truth_metrics")
    metadata["phase_seconds"] = laps.seconds
    return metadata


def _refit_reason(con, settings: TextSettings) -> tuple[str | None, pd.DataFrame | None]:
    """Why this run must refit on every text, or None and the new and changed texts (CHANGED_TEXTS), which can
    be classified on their own."""
    columns = {c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_schema = 'ml' "
        "and table_name = 'text_insights'").fetchall()}
    if not columns:
        return "first run", None
    if not {"content_md5", "topic_assignment"} <= columns:
        return "ml.text_insights was written before texts were classified incrementally", None
    if not settings.registry_path.exists():
        return "no topic registry", None
    teacher = SentenceTransformerEncoder(settings.model_path)
    if settings.encoder == "static" and not _kept_static_tables(settings, teacher):
        return "no static table distilled yet", None
    fitted, classified_since, last_fit_day = con.execute(
        f"select count(*) filter (where topic_assignment = '{ASSIGNED_BY_FIT}'), "
        f"count(*) filter (where topic_assignment = '{ASSIGNED_BY_NEAREST_TOPIC}'), "
        f"cast(max(created_date) filter (where topic_assignment = '{ASSIGNED_BY_FIT}') as date) "
        "from ml.text_insights"
    ).fetchone()
    if not fitted:
        return "no text of the last fit is left", None
    changed = con.execute(CHANGED_TEXTS).df()
    newest_day = pd.Timestamp(changed["created_date"].max()).date() if len(changed) else last_fit_day
    if (newest_day - last_fit_day).days >= REFIT_AFTER_DAYS:
        return f"texts up to {newest_day}, {(newest_day - last_fit_day).days} days after the last fit's newest", None
    if classified_since + len(changed) >= REFIT_AFTER_SHARE * fitted:
        return (f"{classified_since + len(changed)} texts new since the last fit, "
                f"{REFIT_AFTER_SHARE:.0%} of the {fitted} it was fitted on"), None
    return None, changed


def _masked(clear: list[str]) -> tuple[list[str], list[str]]:
    # Each distinct text once: texts repeat (a quarter of the sample world's, templates and pasted complaints
    # in real ones), and masking is regular expressions in Python.
    masked_of = {text: mask_pii(text) for text in dict.fromkeys(clear)}
    script_of = {text: detect_script(text) for text in dict.fromkeys(masked_of.values())}
    masked = [masked_of[text] for text in clear]
    return masked, [script_of[text] for text in masked]


def _insight_rows(texts: pd.DataFrame, masked: list[str], scripts: list[str], assignments: pd.DataFrame,
                  registry: TopicRegistry, sentiment: pd.DataFrame, labels: pd.Series, assigned_by: str
                  ) -> pd.DataFrame:
    """Rows of ml.text_insights for `texts` (columns of int_feedback_texts and content_md5), in order."""
    topic_labels = {int(t["topic_id"]): t["label"] for t in registry.topics}
    rows = pd.DataFrame({
        "text_id": texts["text_id"],
        "person_id": texts["person_id"],
        "source": texts["source"],
        "channel": texts["channel"],
        "created_at": texts["created_at"],
        "created_date": texts["created_date"],
        "masked_text": masked,
        "script": scripts,
        "topic_id": assignments["topic_id"].astype("int64").to_numpy(),
        "topic_similarity": assignments["similarity"].astype("float64").to_numpy(),
        "sentiment": sentiment["sentiment"].to_numpy(),
        "sentiment_score": sentiment["score"].astype("float64").round(6).to_numpy(),
        "weak_label": labels.astype("object").where(labels.notna(), None).to_numpy(),
    })
    rows["topic_label"] = rows["topic_id"].map(topic_labels).fillna("other")
    rows["topic_assignment"] = assigned_by
    rows["content_md5"] = texts["content_md5"].to_numpy()
    return rows


def _embedding_metadata(spaces: dict, encoder) -> dict:
    main = spaces.get("main", {}).get("embedding", {})
    return {
        "embedded_new": int(main.get("embedded_new", 0)),
        "embedded_from_cache": int(main.get("from_cache", 0)),
        "embedding_texts_per_second": main.get("texts_per_second"),
        "embedding_seconds": main.get("seconds"),
        "embedding_model": encoder.model_id,
    }


def _refit_texts(con, settings: TextSettings, reason: str, laps: _Laps) -> dict:
    """Mask, embed (cached), fit topics (registry), train and apply sentiment on every text."""
    texts = con.execute(f"select {FEEDBACK_COLUMNS}, {_content_md5('f')} as content_md5 "
                        "from intermediate.int_feedback_texts as f order by text_id").df()
    laps("read")
    clear = texts.pop("text").tolist()
    masked, scripts = _masked(clear)
    laps("mask")

    cache = EmbeddingCache(settings.embeddings_dir)
    encoder = text_encoder(settings, masked, cache)
    laps("encoder")
    registry = TopicRegistry.load(settings.registry_path)
    zh_encoder = CharNgramEncoder.load(settings.zh_encoder_path) if settings.zh_encoder_path.exists() else None
    fit = fit_topics(masked, encoder, cache, registry=registry, zh_encoder=zh_encoder, seed=settings.seed)
    fit.registry.save(settings.registry_path)
    if fit.zh_encoder is not None:
        fit.zh_encoder.save(settings.zh_encoder_path)
    laps("embed_and_topics")

    labels = weak_labels(texts, stars_col="review_rating", nps_col="nps_score", csat_col="csat_score")
    sentiment, sentiment_metadata = _sentiment(masked, labels, encoder, cache, settings)
    laps("sentiment")
    insights = _insight_rows(texts, masked, scripts, fit.assignments, fit.registry, sentiment, labels,
                             ASSIGNED_BY_FIT)
    replace_table(con, "text_insights", insights)
    topics = _write_topics(con, fit.registry)
    laps("write")
    return {
        "topic_mode": f"refit on every text ({reason})",
        "texts_classified": len(insights),
        **_embedding_metadata(fit.stats["spaces"], encoder),
        "scripts": {k: int(v) for k, v in pd.Series(scripts).value_counts().items()},
        "topic_seconds": fit.stats["seconds"],
        "topic_table": topics,
        **sentiment_metadata,
        "texts_with_pii_masked": int(sum(m != t for m, t in zip(masked, clear, strict=True))),
    }


def _classify_changed_texts(con, settings: TextSettings, texts: pd.DataFrame, laps: _Laps
                            ) -> tuple[dict | None, str | None]:
    """Classify new and changed texts by the registered topics and the saved sentiment model, remove texts gone
    from int_feedback_texts and carry over the person and channel of the others. Returns the metadata, or
    why the texts need a refit instead (nothing is written then)."""
    clear = texts.pop("text").tolist()
    masked, scripts = _masked(clear)
    laps("mask")
    cache = EmbeddingCache(settings.embeddings_dir)
    encoder = text_encoder(settings, masked, cache)
    laps("encoder")
    registry = TopicRegistry.load(settings.registry_path)
    reason = assignable(registry, encoder.model_id)
    if reason is not None:
        return None, reason
    zh_encoder = CharNgramEncoder.load(settings.zh_encoder_path) if settings.zh_encoder_path.exists() else None
    assignment = assign_topics(masked, encoder, cache, registry, zh_encoder)
    laps("embed_and_topics")
    if assignment.refit_reason is not None:
        return None, assignment.refit_reason
    sentiment, applied = _saved_sentiment(masked, encoder, cache, settings)
    laps("sentiment")
    labels = weak_labels(texts, stars_col="review_rating", nps_col="nps_score", csat_col="csat_score")
    insights = _insight_rows(texts, masked, scripts, assignment.assignments, registry, sentiment, labels,
                             ASSIGNED_BY_NEAREST_TOPIC)
    removed = _merge_insights(con, insights)
    topics = _write_topics(con, registry)
    laps("write")
    return {
        "topic_mode": "new and changed texts joined the registered topics",
        "texts_classified": len(insights),
        "texts_removed": removed,
        **_embedding_metadata(assignment.stats["spaces"], encoder),
        "scripts": {k: int(v) for k, v in pd.Series(scripts, dtype=object).value_counts().items()},
        "topic_seconds": assignment.stats["seconds"],
        "topic_table": topics,
        "sentiment_model": "saved model applied" if applied else f"no saved model for {encoder.model_id}",
        "texts_with_pii_masked": int(sum(m != t for m, t in zip(masked, clear, strict=True))),
    }, None


def _merge_insights(con, insights: pd.DataFrame) -> int:
    """In one transaction: drop the rows of texts gone from int_feedback_texts and of changed texts, insert
    `insights`, and update the person and channel columns of the others (identities are resolved anew on
    every build). Returns how many texts were gone."""
    with transaction_with_frame(con, "_changed_insights", insights):
        removed = con.execute(
            "delete from ml.text_insights as t where not exists "
            "(select 1 from intermediate.int_feedback_texts as f where f.text_id = t.text_id)").fetchone()[0]
        con.execute("delete from ml.text_insights where text_id in (select text_id from _changed_insights)")
        con.execute("insert into ml.text_insights by name select * from _changed_insights")
        con.execute("""
            update ml.text_insights as t
            set person_id = f.person_id, source = f.source, channel = f.channel, created_at = f.created_at,
                created_date = f.created_date
            from intermediate.int_feedback_texts as f
            where f.text_id = t.text_id
              and (t.person_id, t.source, t.channel, t.created_at, t.created_date)
                  is distinct from (f.person_id, f.source, f.channel, f.created_at, f.created_date)
        """)
    return int(removed)


def _write_topics(con, registry: TopicRegistry) -> pd.DataFrame:
    """ml.topics from the registry, with "other" as a row of its own (every topic_id of ml.text_insights has
    its row); returns the active topics for the run's metadata."""
    topics = registry.to_frame()
    topics = topics.assign(
        topic_id=topics["topic_id"].astype("int64"),
        size=topics["size"].astype("int64"),
        retired=topics["retired"].astype(bool),
    )[["topic_id", "space", "label", "keywords", "size", "retired", "first_version", "last_version", "model_id"]]
    other_size = con.execute(f"select count(*) from ml.text_insights where topic_id = {OTHER_TOPIC}").fetchone()[0]
    other = pd.DataFrame([{"topic_id": OTHER_TOPIC, "space": "all", "label": "other", "keywords": "[]",
                           "size": int(other_size), "retired": False,
                           "first_version": None, "last_version": registry.version, "model_id": None}])
    topics = pd.concat([other, topics], ignore_index=True)
    replace_table(con, "topics", topics)
    return topics.drop(columns=["model_id"]).query("not retired").head(40)


def _corpus_metadata(con, truth_dir: Path) -> dict:
    """What ml.text_insights holds after the run, and its agreement with the generator's truth when there is
    one (the sample world)."""
    texts, other = con.execute("select count(*), count(*) filter (where topic_id = ?) from ml.text_insights",
                               [OTHER_TOPIC]).fetchone()
    sentiments = con.execute("select sentiment, count(*) from ml.text_insights where sentiment is not null "
                             "group by sentiment order by count(*) desc, sentiment").fetchall()
    registry_version, topics, retired = con.execute(
        "select max(last_version), count(*) filter (where not retired and topic_id >= 0), "
        "count(*) filter (where retired) from ml.topics").fetchone()
    metadata: dict = {
        "texts": int(texts),
        "topics": int(topics),
        "other_share": round(other / texts, 4) if texts else 0.0,
        "registry_version": int(registry_version),
        "retired_topics": int(retired),
        "sentiment_distribution": {sentiment: int(n) for sentiment, n in sentiments},
    }
    truth_sql = planted_topics_sql(truth_dir)
    if truth_sql is not None:
        joined = con.execute(f"""
            select truth.topic, insights.topic_id, coalesce(insights.sentiment = truth.sentiment, false) as agrees
            from ml.text_insights as insights
            inner join ({truth_sql}) as truth on insights.text_id = truth.text_id""").df()
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
            "truth_sentiment_accuracy": round(float(joined["agrees"].mean()), 4),
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


# The model is retrained when what it learns from has changed: a labelled cut-off more (a cut-off's outcome is
# known 90 days after it), other feature columns or topic labels (after a text refit), a week of data since the
# last training, or when asked (an erasure's rebuild). In between, the daily run scores the rows to score with the
# saved model instead of fitting two boosters on every labelled snapshot to learn what it already knows.
CHURN_RETRAIN_AFTER_DAYS = 7


def churn_model_path(warehouse_dir: Path) -> Path:
    return warehouse_dir / "ml" / "churn_model.pkl"


def churn_scores(con, model_path: Path, *, seed: int = 0, retrain: bool = False) -> dict:
    """Score the rows to score (train and validate first when the data has moved on, see above); write
    ml.churn_scores."""
    frame, labels = churn_frame(con)
    checked = churn_ml.assert_no_future_information(frame, id_col="person_id", cutoff_col="cutoff_date")
    labelled = frame[frame["churned"].notna()]
    if labelled["cutoff_date"].nunique() < 2 or labelled["churned"].nunique() < 2:
        # A history shorter than two labelled cut-offs (about five months) cannot train and validate on time:
        # the table is written empty rather than filled with scores nobody validated.
        replace_table(con, "churn_scores", EMPTY_CHURN_SCORES)
        model_path.unlink(missing_ok=True)
        return {"skipped": f"{labelled['cutoff_date'].nunique()} labelled cut-off(s) with "
                           f"{labelled['churned'].nunique()} class(es); need two of each", "scored_rows": 0,
                "look_ahead_check": checked}
    trained_on = {
        "labelled_cutoffs": sorted(str(pd.Timestamp(c).date()) for c in labelled["cutoff_date"].unique()),
        "features": sorted(c for c in frame.columns if c not in SNAPSHOT_NON_FEATURES),
        "feature_labels": labels,
        "seed": seed,
        "latest_cutoff": str(pd.Timestamp(frame["cutoff_date"].max()).date()),
    }
    # asked to retrain, the saved fit is not even read (the way out when it cannot be)
    saved = churn_ml.ChurnFit.load(model_path) if model_path.exists() and not retrain else None
    reason = "asked" if retrain else _churn_retrain_reason(saved, trained_on)
    if reason is not None:
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
        fit = churn_ml.ChurnFit(result.model, result.metrics, result.calibration, result.top_features, trained_on)
        fit.save(model_path)
        scores = result.scores
    else:
        fit = saved
        to_score = churn_ml.rows_to_score(frame)
        scores = fit.model.score(to_score, id_cols=["person_id", "cutoff_date"]).reset_index(drop=True)
    scores = scores.rename(columns={"cutoff_date": "scored_as_of"})
    scores["churn_score"] = scores["churn_score"].astype("float64").round(6)
    scores["scored_as_of"] = pd.to_datetime(scores["scored_as_of"]).dt.date
    scores = scores[["person_id", "scored_as_of", "churn_score", "reason_1", "reason_2", "reason_3"]]
    rows = replace_table(con, "churn_scores", scores)
    metrics = fit.metrics
    top = fit.top_features.head(10).assign(
        feature=lambda d: d["feature"].map(lambda f: labels.get(f, f)), share=lambda d: d["share"].round(4)
    )[["feature", "share"]]
    return {
        "trained": reason is not None,
        "training": reason or f"none: the model trained up to the cut-off of {fit.trained_on['latest_cutoff']} scored",
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
        "calibration": fit.calibration.round(4),
        "top_features": top,
        "look_ahead_check": checked,
        "scored_rows": rows,
    }


def _churn_retrain_reason(saved, trained_on: dict) -> str | None:
    """Why the saved fit cannot score today's rows, or None when it can."""
    if saved is None:
        return "no saved model"
    for key, what in (("labelled_cutoffs", "labelled cut-offs"), ("features", "feature columns"),
                      ("feature_labels", "topic labels"), ("seed", "seed")):
        if saved.trained_on.get(key) != trained_on[key]:
            return f"{what} changed"
    days = (pd.Timestamp(trained_on["latest_cutoff"]) - pd.Timestamp(saved.trained_on["latest_cutoff"])).days
    if days >= CHURN_RETRAIN_AFTER_DAYS:
        return f"{days} days of data since the last training"
    return None


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
        "bgnbd_params": {k: round(v, 6) if isinstance(v, float) else v for k, v in bgnbd.as_dict().items()},
        "gamma_gamma_params": {k: round(v, 6) if isinstance(v, float) else v for k, v in gamma_gamma.as_dict().items()},
        "repeat_buyers": int((summary["frequency"] > 0).sum()),
        "mean_probability_alive": round(float(out["probability_alive"].mean()), 4),
        "total_clv_12m": round(float(out["clv_12m"].sum()), 2),
    }

