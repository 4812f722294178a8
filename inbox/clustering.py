"""Near-duplicate detection for crisis clusters: pure functions, no database.

A mention's text is normalised (lower case, accents folded, links, handles and numbers masked, the
commonest function words dropped), cut into character shingles, and summarised as a MinHash
signature of `PERMUTATIONS` values. Two signatures agree on a position with probability equal to the
Jaccard similarity of the shingle sets, so `signature_similarity` estimates it.

Lookup is LSH: the signature is split in `BANDS` bands of `ROWS` values and each band is hashed to
one 64-bit key (the band's number in the top byte, so equal values in different bands never meet).
Texts with Jaccard J share at least one band key with probability 1 - (1 - J^ROWS)^BANDS: 0.99 at
J = 0.5, 0.88 at J = 0.4, 0.004 at J = 0.05 (about the most that unrelated complaints share).
PostgreSQL finds the candidate clusters of a whole batch in one query (`bands && keys`, GIN-indexed);
each candidate is then verified with the estimate (at least `SIMILARITY_THRESHOLD`).

Everything but the normalisation is computed for a whole batch at once with numpy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

PERMUTATIONS = 96
BANDS = 32
ROWS = PERMUTATIONS // BANDS
SHINGLE = 4
SIMILARITY_THRESHOLD = 0.4
MAX_TEXT = 1000

TOKEN = re.compile(
    r"(?P<url>(?:https?://|www\.)\S+)|(?P<user>[@＠][\w.]+)|(?P<num>\d+(?:[.,:/]\d+)*)|(?P<word>[^\W\d_]+)",
    re.IGNORECASE,
)
MASKS = {"url": "_url_", "user": "_user_", "num": "_num_"}
# The commonest Spanish and English function words: they make unrelated short texts look alike.
STOP_WORDS = frozenset(
    """a al con de del el en es la las lo los me mi no o para por que se su un una y ya
    the to of and in on is it my for at be this that i you we are was with""".split()
)

_RANDOM = np.random.RandomState(20261202)  # fixed: signatures are stored and compared across processes
_MULTIPLIERS = (_RANDOM.randint(0, 2**32, PERMUTATIONS, dtype=np.uint64) << np.uint64(32)) | (
    _RANDOM.randint(0, 2**32, PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
)
_OFFSETS = (_RANDOM.randint(0, 2**32, PERMUTATIONS, dtype=np.uint64) << np.uint64(32)) | _RANDOM.randint(
    0, 2**32, PERMUTATIONS, dtype=np.uint64
)
_BAND_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5], np.uint64)
_BAND_NUMBERS = np.arange(BANDS, dtype=np.uint64) << np.uint64(56)
_KEY_MASK = np.uint64(2**56 - 1)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What clustering keeps of one text: its MinHash signature and its LSH band keys."""

    signature: tuple[int, ...]
    bands: tuple[int, ...]


def _fold_table() -> dict[int, str]:
    """Latin letters with diacritics (U+00C0 to U+024F) to their base letters, computed once."""
    table = {}
    for code in range(0xC0, 0x250):
        base = "".join(char for char in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(char))
        if base and base != chr(code):
            table[code] = base
    return table


_FOLD = _fold_table()


def text_normalise(text: str) -> str:
    """The words that carry the meaning, in a canonical spelling: "¡Sin FIBRA en Cádiz @telco!" and
    "sin fibra en cadiz @ayuda_telco" both become "sin fibra cadiz _user_"."""
    text = text[:MAX_TEXT].lower()
    if not text.isascii():
        text = text.translate(_FOLD)
    words = []
    for match in TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "word":
            word = match.group()
            if word not in STOP_WORDS:
                words.append(word)
        elif kind is not None:
            words.append(MASKS[kind])
    return " ".join(words)


def shingles(normalised: str) -> set[str]:
    """Character shingles of the normalised text (the whole text when shorter), never an empty set.

    `signatures` computes the same shingles, as bytes, with numpy; this is the readable definition.
    """
    if len(normalised) <= SHINGLE:
        return {normalised}
    return {normalised[start : start + SHINGLE] for start in range(len(normalised) - SHINGLE + 1)}


def _shingle_values(normalised: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every text's 4-byte shingles of its UTF-8 bytes as uint32 values, and where each text's start.

    The texts are joined in one buffer (each padded to at least 4 bytes); a shingle is kept only if it
    lies within one text, so one numpy pass serves the whole batch.
    """
    encoded = [text.encode().ljust(SHINGLE) for text in normalised]
    lengths = np.fromiter((len(item) for item in encoded), dtype=np.int64, count=len(encoded))
    buffer = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.uint64)
    grams = buffer[:-3] << np.uint64(24) | buffer[1:-2] << np.uint64(16) | buffer[2:-1] << np.uint64(8) | buffer[3:]
    ends = np.cumsum(lengths)
    owner_end = np.repeat(ends, lengths)[: len(grams)]
    keep = np.arange(len(grams)) + SHINGLE <= owner_end
    counts = lengths - (SHINGLE - 1)
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return grams[keep], starts


def signatures(texts: Sequence[str]) -> np.ndarray:
    """MinHash signatures of many texts at once, shape (len(texts), PERMUTATIONS), values < 2**32.

    Permutation k is h_k(x) = (a_k·x + b_k mod 2**64) >> 32 (multiply-add-shift hashing, strongly
    universal for 32-bit keys) of each shingle's 4 bytes; the signature keeps the minimum per permutation.
    """
    return normalised_signatures([text_normalise(text) for text in texts])


def normalised_signatures(normalised: Sequence[str]) -> np.ndarray:
    """`signatures` of texts already normalised (`text_normalise`)."""
    if not normalised:
        return np.zeros((0, PERMUTATIONS), dtype=np.uint64)
    values, starts = _shingle_values(normalised)
    with np.errstate(over="ignore"):
        permuted = np.multiply(_MULTIPLIERS[:, None], values[None, :])
        permuted += _OFFSETS[:, None]  # in place: the temporaries of a batch are megabytes
        permuted >>= np.uint64(32)
    return np.minimum.reduceat(permuted, starts, axis=1).T


def band_keys(signature_rows: np.ndarray) -> np.ndarray:
    """The LSH keys of each signature, shape (n, BANDS), as non-negative int64 (PostgreSQL bigint)."""
    grouped = signature_rows.reshape(len(signature_rows), BANDS, ROWS)
    with np.errstate(over="ignore"):
        mixed = (grouped * _BAND_MIX[None, None, :ROWS]).sum(axis=2, dtype=np.uint64)
        mixed ^= mixed >> np.uint64(29)
        mixed *= np.uint64(0xBF58476D1CE4E5B9)
    return ((mixed & _KEY_MASK) | _BAND_NUMBERS[None, :]).astype(np.int64)


def fingerprints(texts: Sequence[str]) -> list[Fingerprint]:
    """Signature and band keys of every text, in order."""
    rows = signatures(texts)
    keys = band_keys(rows)
    return [Fingerprint(tuple(row), tuple(key)) for row, key in zip(rows.tolist(), keys.tolist(), strict=True)]


def signature_similarity(first: Sequence[int], second: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the two texts' shingles (the share of equal positions)."""
    if len(first) != len(second) or not first:
        return 0.0
    return sum(a == b for a, b in zip(first, second, strict=True)) / len(first)


def best_match(
    fingerprint: Fingerprint,
    candidates: Iterable[tuple[int, Sequence[int]]],
    *,
    threshold: float = SIMILARITY_THRESHOLD,
) -> int | None:
    """The candidate (key, signature) most similar to `fingerprint`, if at least `threshold` alike."""
    best_key, best_score = None, threshold
    for key, signature in candidates:
        score = signature_similarity(fingerprint.signature, signature)
        if score >= best_score and (best_key is None or score > best_score):
            best_key, best_score = key, score
    return best_key


def _existing_best(existing_rows: np.ndarray, signature_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every text, the most similar existing cluster (row index) and the equal positions, in chunks."""
    count, found = len(signature_rows), len(existing_rows)
    best = np.zeros(count, dtype=np.int64)
    scores = np.zeros(count, dtype=np.int64)
    if found == 0:
        return best, scores
    step = max(1, 4_000_000 // (found * PERMUTATIONS))
    for start in range(0, count, step):
        equal = np.count_nonzero(signature_rows[start : start + step, None, :] == existing_rows[None, :, :], axis=2)
        best[start : start + step] = equal.argmax(axis=1)
        scores[start : start + step] = equal.max(axis=1)
    return best, scores


def batch_assign(
    existing: Sequence[tuple[int, Sequence[int], Sequence[int]]],
    signature_rows: np.ndarray,
    band_rows: np.ndarray,
    *,
    threshold: float = SIMILARITY_THRESHOLD,
) -> tuple[list[int], list[int]]:
    """Place a batch among clusters: each text joins the most similar cluster if at least `threshold`
    alike, else opens a cluster that later texts of the batch sharing a band with it may join.

    `existing` holds (key, signature, bands) of the clusters the band lookup found for the batch; they
    are compared with every text at once. Returns, per text, an existing key or -1 - k for the k-th
    cluster opened here, and the index of each opened cluster's representative text.
    """
    needed = threshold * PERMUTATIONS - 1e-9
    existing_rows = np.array([signature for _key, signature, _bands in existing], dtype=np.uint64)
    best, scores = _existing_best(existing_rows.reshape(len(existing), PERMUTATIONS), signature_rows)
    opened: list[int] = []
    opened_by_band: dict[int, list[int]] = {}
    band_lists = band_rows.tolist()
    choices: list[int] = []
    for position in range(len(signature_rows)):
        if scores[position] >= needed:
            choices.append(existing[int(best[position])][0])
            continue
        rows = {row for band in band_lists[position] for row in opened_by_band.get(band, ())}
        if rows:
            candidates = np.fromiter(rows, dtype=np.int64, count=len(rows))
            representatives = signature_rows[[opened[row] for row in candidates]]
            equal = np.count_nonzero(representatives == signature_rows[position], axis=1)
            if equal.max() >= needed:
                choices.append(-1 - int(candidates[int(equal.argmax())]))
                continue
        for band in band_lists[position]:
            opened_by_band.setdefault(band, []).append(len(opened))
        choices.append(-1 - len(opened))
        opened.append(position)
    return choices, opened


def near_duplicates(first: str, second: str, *, threshold: float = SIMILARITY_THRESHOLD) -> bool:
    """Would these two texts land in the same cluster (they share a band and are alike enough)?"""
    a, b = fingerprints([first, second])
    if not set(a.bands) & set(b.bands):
        return False
    return signature_similarity(a.signature, b.signature) >= threshold
