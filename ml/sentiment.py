"""Sentiment per text (negative / neutral / positive and a score), learnt from the ratings customers give.

No hand-labelled sentiment set is needed: star ratings and survey scores that come with a text are weak
labels (`label_from_stars`, `label_from_nps`, `label_from_csat`). A multinomial logistic regression learns
them from the text's embedding (the same vectors the topics use, from the cache); Chinese texts, which an
English-only model does not cover, get a logistic regression on character n-gram TF-IDF of their own. A
stratified held-out split (seeded) gives accuracy and macro-F1 per space and overall, for the asset's
metadata; the returned model is then refitted on every labelled text.

``score`` = P(positive) - P(negative), in [-1, 1].
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ml.embeddings import MAIN_SPACE, ZH_SPACE, EmbeddingCache, Encoder, embed_texts
from ml.io import load_pickle, save_pickle
from ml.text import detect_script, normalize_text

__all__ = [
    "CLASSES",
    "label_from_stars",
    "label_from_nps",
    "label_from_csat",
    "weak_labels",
    "SentimentModel",
    "train_sentiment",
]

CLASSES = ("negative", "neutral", "positive")


def _bucket(values, low_max: float, mid_max: float, lo: float, hi: float) -> pd.Series:
    v = pd.to_numeric(pd.Series(values), errors="coerce")
    v = v.where((v >= lo) & (v <= hi))
    out = pd.Series(pd.NA, index=v.index, dtype="object")
    out[v <= low_max] = "negative"
    out[(v > low_max) & (v <= mid_max)] = "neutral"
    out[v > mid_max] = "positive"
    return out


def label_from_stars(stars) -> pd.Series:
    """1-2 stars negative, 3 neutral, 4-5 positive; anything else missing."""
    return _bucket(stars, 2, 3, 1, 5)


def label_from_nps(score) -> pd.Series:
    """NPS 0-6 (detractor) negative, 7-8 (passive) neutral, 9-10 (promoter) positive."""
    return _bucket(score, 6, 8, 0, 10)


def label_from_csat(score) -> pd.Series:
    """CSAT 1-2 negative, 3 neutral, 4-5 positive."""
    return _bucket(score, 2, 3, 1, 5)


def weak_labels(frame: pd.DataFrame, *, stars_col: str | None = None, nps_col: str | None = None,
                csat_col: str | None = None) -> pd.Series:
    """One weak label per row from the first rating present: stars, then NPS, then CSAT."""
    out = pd.Series(pd.NA, index=frame.index, dtype="object")
    for col, fn in ((stars_col, label_from_stars), (nps_col, label_from_nps), (csat_col, label_from_csat)):
        if col and col in frame.columns:
            lab = fn(frame[col].to_numpy())
            lab.index = frame.index
            out = out.where(out.notna(), lab)
    return out


def _char_features(max_features: int = 50000):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1,
                           max_features=max_features, preprocessor=normalize_text, dtype=np.float32)


def _classifier(seed: int, c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=seed)


@dataclass
class SentimentModel:
    """Per space: a fitted classifier (and, for the Chinese space, its TF-IDF vectoriser)."""

    encoder_model_id: str
    multilingual: bool
    classifiers: dict[str, object]
    vectorizers: dict[str, object] = field(default_factory=dict)

    def save(self, path: str | Path) -> Path:
        """Pickle the model (scikit-learn objects); load only files this project wrote."""
        return save_pickle(self, path)

    @classmethod
    def load(cls, path: str | Path) -> SentimentModel:
        return load_pickle(cls, path)

    def _spaces(self, texts: list[str]) -> np.ndarray:
        if self.multilingual or ZH_SPACE not in self.classifiers:
            return np.array([MAIN_SPACE] * len(texts), dtype=object)
        return np.array([ZH_SPACE if detect_script(t) == "zh" else MAIN_SPACE for t in texts], dtype=object)

    def predict(self, texts: Iterable[str | None], encoder: Encoder, cache: EmbeddingCache | None = None,
                vectors: np.ndarray | None = None) -> pd.DataFrame:
        """``sentiment``, ``score``, ``p_negative``, ``p_neutral``, ``p_positive``, ``space`` per text.

        `vectors` (the texts' embeddings, in order) saves a cache lookup when the caller already has them.
        """
        items = ["" if t is None else str(t) for t in texts]
        if encoder.model_id != self.encoder_model_id:
            raise ValueError(f"model trained on {self.encoder_model_id}, asked to predict with {encoder.model_id}")
        spaces = self._spaces(items)
        proba = np.zeros((len(items), len(CLASSES)))
        for space in (MAIN_SPACE, ZH_SPACE):
            idx = np.flatnonzero(spaces == space)
            if not len(idx):
                continue
            x = self._features(space, [items[i] for i in idx], encoder, cache,
                               None if vectors is None else vectors[idx])
            clf = self.classifiers[space]
            p = clf.predict_proba(x)
            for j, cls in enumerate(clf.classes_):
                proba[idx, CLASSES.index(cls)] = p[:, j]
        out = pd.DataFrame(proba, columns=[f"p_{c}" for c in CLASSES])
        out.insert(0, "sentiment", np.array(CLASSES, dtype=object)[proba.argmax(axis=1)] if len(items) else [])
        out.insert(1, "score", out["p_positive"] - out["p_negative"])
        out["space"] = spaces
        return out

    def _features(self, space: str, texts: list[str], encoder: Encoder, cache: EmbeddingCache | None,
                  vectors: np.ndarray | None):
        if space == ZH_SPACE:
            return self.vectorizers[ZH_SPACE].transform(texts)
        if vectors is not None:
            return vectors
        return embed_texts(texts, encoder, cache)[0]


def _evaluate(y_true, y_pred) -> dict:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, average="macro", labels=list(CLASSES), zero_division=0)), 4),
        "n": int(len(y_true)),
        "confusion": confusion_matrix(y_true, y_pred, labels=list(CLASSES)).tolist(),
    }


def train_sentiment(
    texts: Sequence[str | None],
    labels: Sequence[str | None],
    encoder: Encoder,
    cache: EmbeddingCache | None = None,
    *,
    seed: int = 0,
    test_size: float = 0.2,
    c: float = 1.0,
    min_zh_texts: int = 30,
) -> tuple[SentimentModel, dict]:
    """Fit the sentiment model on texts with weak labels (rows with a missing label are ignored).

    Returns ``(model, metrics)``; metrics hold ``overall`` and per-space held-out ``accuracy``,
    ``macro_f1``, ``n`` and a confusion matrix (rows true, columns predicted, in `CLASSES` order), plus the
    label distribution of the training data. With fewer than `min_zh_texts` labelled Chinese texts the
    Chinese texts are learnt and predicted in the main space.
    """
    from sklearn.model_selection import train_test_split

    items = ["" if t is None else str(t) for t in texts]
    labs = pd.Series(list(labels), dtype="object")
    keep = labs.isin(CLASSES).to_numpy()
    items = [t for t, k in zip(items, keep, strict=True) if k]
    y = labs[keep].to_numpy(dtype=object)
    if len(set(y)) < 2:
        raise ValueError("train_sentiment needs at least two sentiment classes among the labels")
    if encoder.multilingual:
        spaces = np.array([MAIN_SPACE] * len(items), dtype=object)
    else:
        spaces = np.array([ZH_SPACE if detect_script(t) == "zh" else MAIN_SPACE for t in items], dtype=object)
        if (spaces == ZH_SPACE).sum() < min_zh_texts:
            spaces[:] = MAIN_SPACE
    model = SentimentModel(encoder.model_id, bool(encoder.multilingual), {}, {})
    metrics: dict = {"labels": {k: int(v) for k, v in pd.Series(y).value_counts().sort_index().items()},
                     "spaces": {}}
    all_true, all_pred = [], []
    for space in (MAIN_SPACE, ZH_SPACE):
        idx = np.flatnonzero(spaces == space)
        if not len(idx):
            continue
        sub_texts = [items[i] for i in idx]
        sub_y = y[idx]
        if space == ZH_SPACE:
            model.vectorizers[ZH_SPACE] = _char_features().fit(sub_texts)
            x = model.vectorizers[ZH_SPACE].transform(sub_texts)
        else:
            x, _ = embed_texts(sub_texts, encoder, cache)
        counts = pd.Series(sub_y).value_counts()
        stratify = sub_y if counts.min() >= 2 and len(sub_y) * test_size >= len(counts) else None
        positions = np.arange(len(sub_y))
        tr, te = train_test_split(positions, test_size=test_size, random_state=seed, stratify=stratify)
        held_out = _classifier(seed, c).fit(x[tr], sub_y[tr])
        pred = held_out.predict(x[te])
        metrics["spaces"][space] = {**_evaluate(sub_y[te], pred), "train": int(len(tr))}
        all_true.extend(sub_y[te])
        all_pred.extend(pred)
        model.classifiers[space] = _classifier(seed, c).fit(x, sub_y)
    metrics["overall"] = _evaluate(np.array(all_true, dtype=object), np.array(all_pred, dtype=object))
    metrics["accuracy"] = metrics["overall"]["accuracy"]
    metrics["macro_f1"] = metrics["overall"]["macro_f1"]
    return model, metrics
