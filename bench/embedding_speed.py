"""Texts per second of the embedding paths: transformer (cold cache), static table, cache hits.

    .venv/bin/python bench/embedding_speed.py [--texts 4514] [--static-texts 100000]

Uses the Bitext support requests from ../shared/data when present (short texts, about 43 characters),
otherwise generated sentences. The transformer runs into an empty temporary cache; the static table is
distilled once into --static-dir (reused on later runs); the cache-hit pass reads back what the cold pass
stored, in a new cache object (as a new process would).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from ml.embeddings import (
    EmbeddingCache,
    SentenceTransformerEncoder,
    StaticEmbeddingEncoder,
    distill_static_model,
    embed_texts,
)

BITEXT = Path(__file__).resolve().parents[2] / "shared" / "data" / "support" / "bitext_customer_support_sample.csv"


def corpus(n: int) -> list[str]:
    if BITEXT.exists():
        texts = pd.read_csv(BITEXT)["instruction"].tolist()
    else:
        texts = [f"my order {i} has not arrived after {i % 9 + 2} days, where is it?" for i in range(n)]
    return [texts[i % len(texts)] + ("" if i < len(texts) else f" ({i // len(texts)})") for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=4514, help="texts for the transformer and cache passes")
    parser.add_argument("--static-texts", type=int, default=100_000, help="texts for the static pass")
    parser.add_argument("--static-dir", type=Path, default=Path(tempfile.gettempdir()) / "voc360-static")
    parser.add_argument("--model-path", type=Path, default=None, help="a local sentence-transformers model")
    args = parser.parse_args()

    texts = corpus(args.texts)
    encoder = SentenceTransformerEncoder(args.model_path)
    t0 = time.perf_counter()
    encoder.model  # loading the model is reported apart from encoding
    load_seconds = time.perf_counter() - t0
    results: dict = {"model": encoder.model_id, "threads": encoder.num_threads, "load_seconds": round(load_seconds, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        _, cold = embed_texts(texts, encoder, EmbeddingCache(tmp))
        _, hit = embed_texts(texts, encoder, EmbeddingCache(tmp))
    results["transformer_cold"] = cold
    results["cache_hit"] = hit

    static = StaticEmbeddingEncoder.load(distill_static_model(args.static_dir, teacher=encoder))
    many = corpus(args.static_texts)
    t0 = time.perf_counter()
    static.encode(many)
    seconds = time.perf_counter() - t0
    results["static_encode"] = {"texts": len(many), "seconds": round(seconds, 3),
                                "texts_per_second": round(len(many) / seconds, 1)}
    _, static_stats = embed_texts(many, static)
    results["static_embed_texts"] = static_stats
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
