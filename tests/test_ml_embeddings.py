"""Embedding cache, de-duplication, script routing and the static encoder (ml.embeddings), with a tiny
deterministic encoder so that these tests need no model."""

import hashlib
import json

import numpy as np
import pytest

from ml.embeddings import (
    CharNgramEncoder,
    EmbeddingCache,
    StaticEmbeddingEncoder,
    embed_corpus,
    embed_texts,
)


class CountingEncoder:
    """Hash-seeded random unit vectors; records every text it is asked to encode."""

    dim = 8
    multilingual = False
    cacheable = True

    def __init__(self, model_id="fake:v1"):
        self.model_id = model_id
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        rows = []
        for t in texts:
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).normal(size=self.dim))
        return np.asarray(rows, dtype=np.float32)


def test_embed_texts_deduplicates_caches_and_keeps_order(tmp_path):
    enc = CountingEncoder()
    cache = EmbeddingCache(tmp_path / "emb")
    texts = ["Slow delivery", "slow   DELIVERY", "App crashes", None, "Slow delivery"]
    m, stats = embed_texts(texts, enc, cache)
    assert m.shape == (5, 8) and m.dtype == np.float32
    assert np.allclose(np.linalg.norm(m[[0, 1, 2, 4]], axis=1), 1.0)
    # normalised duplicates share one vector and were encoded once, as their normalised text
    assert np.array_equal(m[0], m[1]) and np.array_equal(m[0], m[4])
    assert sorted(enc.seen) == ["", "app crashes", "slow delivery"]
    assert stats["distinct"] == 3 and stats["embedded_new"] == 3 and stats["from_cache"] == 0

    # a re-run (new process: a new cache object on the same directory) embeds nothing
    enc2 = CountingEncoder()
    m2, stats2 = embed_texts(texts, enc2, EmbeddingCache(tmp_path / "emb"))
    assert enc2.seen == [] and stats2["embedded_new"] == 0 and stats2["from_cache"] == 3
    assert np.array_equal(m, m2)

    # only the new text is encoded; another model id has its own vectors
    m3, stats3 = embed_texts(["app crashes", "Battery drains fast"], enc2, cache)
    assert enc2.seen == ["battery drains fast"] and stats3["embedded_new"] == 1
    assert np.array_equal(m3[0], m[2]) and np.allclose(np.linalg.norm(m3[1]), 1.0)
    other = CountingEncoder("fake:v2")
    embed_texts(["App crashes"], other, cache)
    assert other.seen == ["app crashes"]
    assert set(cache.models()) == {"fake:v1", "fake:v2"}


def test_cache_survives_many_writers_and_compacts(tmp_path):
    root = tmp_path / "emb"
    enc = CountingEncoder()
    for i in range(5):  # five "processes", each adding a shard
        embed_texts([f"text {i}", "shared text"], enc, EmbeddingCache(root))
    cache = EmbeddingCache(root)
    assert cache.count("fake:v1") == 6
    before, _ = embed_texts([f"text {i}" for i in range(5)], CountingEncoder(), cache)
    cache.compact()
    assert len(list(cache.model_dir("fake:v1").glob("part-*.npz"))) == 1
    after, stats = embed_texts([f"text {i}" for i in range(5)], CountingEncoder(), EmbeddingCache(root))
    assert stats["embedded_new"] == 0 and np.array_equal(before, after)


def test_cache_delete_erases_a_text_for_every_model(tmp_path):
    cache = EmbeddingCache(tmp_path / "emb")
    embed_texts(["my phone is <PHONE>", "keep me"], CountingEncoder("a"), cache)
    embed_texts(["My phone is <PHONE>"], CountingEncoder("b"), cache)
    assert cache.delete(["my  phone is <PHONE>"]) == 2
    fresh = EmbeddingCache(tmp_path / "emb")
    assert ("a", "my phone is <PHONE>") not in fresh and ("a", "keep me") in fresh
    assert fresh.count("b") == 0
    # nothing but hashes and vectors is stored
    for shard in (tmp_path / "emb").rglob("part-*.npz"):
        assert b"phone" not in shard.read_bytes()


def test_char_ngram_space_is_seeded_and_persistent(tmp_path):
    texts = ["快递三天还没到", "物流太慢了", "客服不回复消息", "客服电话没人接", "包装很精美", "礼盒包装好看"] * 5
    a = CharNgramEncoder(seed=1).fit(texts)
    b = CharNgramEncoder(seed=1).fit(texts)
    assert a.model_id == b.model_id
    assert np.allclose(a.encode(texts), b.encode(texts))
    loaded = CharNgramEncoder.load(a.save(tmp_path / "zh.npz"))
    assert loaded.model_id == a.model_id
    assert np.allclose(loaded.encode(["快递慢", "客服慢"]), a.encode(["快递慢", "客服慢"]), atol=1e-6)


def test_embed_corpus_routes_chinese_to_its_own_space():
    en = [f"my parcel is late, day {i}" for i in range(30)]
    zh = [f"快递第{i}天还没到，物流太慢" for i in range(30)]
    enc = CountingEncoder()
    spaces, zh_enc = embed_corpus(en + zh, enc)
    by_name = {s.space: s for s in spaces}
    assert set(by_name) == {"main", "zh"}
    assert list(by_name["main"].index) == list(range(30))
    assert list(by_name["zh"].index) == list(range(30, 60))
    assert zh_enc is not None and by_name["zh"].model_id == zh_enc.model_id
    assert all(not any("\u4e00" <= c <= "\u9fff" for c in t) for t in enc.seen)

    enc.multilingual = True
    spaces, zh_enc = embed_corpus(en + zh, enc)
    assert [s.space for s in spaces] == ["main"] and zh_enc is None


def test_static_encoder_is_a_weighted_mean_of_token_rows(tmp_path):
    # a three-word vocabulary, whitespace tokenizer
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
        "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None, "decoder": None,
        "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "late": 1, "parcel": 2, "app": 3},
                  "unk_token": "[UNK]"},
    }
    table = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=np.float32)
    weights = np.array([0, 1, 3, 1], dtype=np.float32)
    enc = StaticEmbeddingEncoder(table, weights, json.dumps(tok), model_id="static:test")
    v = enc.encode(["late parcel", "late", "zzz"])
    expected = np.array([1, 3], dtype=np.float32) / np.linalg.norm([1, 3])
    assert np.allclose(v[0], expected) and np.allclose(v[1], [1, 0]) and np.allclose(v[2], [0, 0])
    m, stats = embed_texts(["late parcel"] * 3, enc)
    assert stats["distinct"] == 1 and np.allclose(m[2], expected)


@pytest.mark.parametrize("bad", [float("nan"), None])
def test_missing_texts_are_the_empty_text(bad):
    m, stats = embed_texts(["a", bad], CountingEncoder())
    assert stats["distinct"] == 2 and m.shape == (2, 8)
