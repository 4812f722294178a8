"""Learning a brand's inbox: the shipped heads adapted to its community managers' corrections.

Pure numpy (no scikit-learn, so a production worker can retrain): each head of the shipped model
(sentiment and category, for USE's features and again for the cascade's) is refitted on the
brand's corrections as a logistic regression whose weights are pulled towards the shipped ones
(an L2 penalty on the difference, not on the weights). With few corrections the brand model is
the shipped one; the more there are, the further it may move. The embedders, the features and
the stored layout are the shipped model's, so `ModelTriage` runs a brand model unchanged.

A fixed share of the corrections is held out by a hash of the mention id, never trained on, and
used to decide whether a new model may replace the brand's active one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inbox.triage.base import TriageInput
from inbox.triage.model import Embedder, Heads, LinearHead, Weights, signal_features
from inbox.triage.rules import read_signals

# One correction in five is kept for judging models, never for training them.
HELD_OUT_PERCENT = 20
HELD_OUT_SALT = b"crisisdesk-triage-held-out-v1"
# How hard the brand's heads are pulled towards the shipped ones (on standardised features);
# with few corrections the pull dominates.
PRIOR_STRENGTH = 2.0
ITERATIONS = 400


def held_out(mention_id: int) -> bool:
    """Whether a corrected mention is held out: fixed by its id, the same on every run and worker."""
    digest = hashlib.sha256(HELD_OUT_SALT + str(int(mention_id)).encode("ascii")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


def balanced_weights(labels: Sequence[str]) -> np.ndarray:
    """Each class weighs the same in total (scikit-learn's class_weight="balanced")."""
    values, counts = np.unique(np.asarray(labels), return_counts=True)
    per_class = {value: len(labels) / (len(values) * count) for value, count in zip(values, counts, strict=True)}
    return np.asarray([per_class[label] for label in labels], dtype=np.float64)


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def head_adapt(
    head: LinearHead,
    matrix: np.ndarray,
    labels: Sequence[str],
    *,
    strength: float = PRIOR_STRENGTH,
    iterations: int = ITERATIONS,
) -> LinearHead:
    """Refit `head` on standardised `matrix` and `labels`, pulled towards its own weights.

    Minimises the class-balanced cross-entropy + strength/2 · |W − W_shipped|² by accelerated
    gradient descent (convex, so it converges from the shipped weights). Labels outside the
    head's classes are skipped; no rows leaves the head as it is.
    """
    index = {label: i for i, label in enumerate(head.classes)}
    keep = [i for i, label in enumerate(labels) if label in index]
    if not keep:
        return head
    x = np.asarray(matrix, dtype=np.float64)[keep]
    kept_labels = [labels[i] for i in keep]
    target = np.zeros((len(keep), len(head.classes)))
    target[np.arange(len(keep)), [index[label] for label in kept_labels]] = 1.0
    weight = balanced_weights(kept_labels)
    weight = (weight / weight.sum())[:, None]
    prior_coef, prior_intercept = head.coef.astype(np.float64), head.intercept.astype(np.float64)
    # Step 1/L, L bounding the curvature: ½·|√w·x|² (softmax) + the pull.
    lipschitz = 0.5 * float(np.linalg.norm(x * np.sqrt(weight), 2) ** 2 + weight.sum()) + strength
    step = 1.0 / lipschitz
    coef, intercept = prior_coef.copy(), prior_intercept.copy()
    ahead_coef, ahead_intercept, momentum = coef.copy(), intercept.copy(), 1.0
    for _ in range(iterations):
        error = (_softmax(x @ ahead_coef.T + ahead_intercept) - target) * weight
        gradient_coef = error.T @ x + strength * (ahead_coef - prior_coef)
        gradient_intercept = error.sum(axis=0)
        new_coef = ahead_coef - step * gradient_coef
        new_intercept = ahead_intercept - step * gradient_intercept
        next_momentum = (1 + np.sqrt(1 + 4 * momentum * momentum)) / 2
        blend = (momentum - 1) / next_momentum
        ahead_coef = new_coef + blend * (new_coef - coef)
        ahead_intercept = new_intercept + blend * (new_intercept - intercept)
        coef, intercept, momentum = new_coef, new_intercept, next_momentum
    return LinearHead(head.classes, coef.astype(np.float32), intercept.astype(np.float32))


@dataclass(frozen=True)
class Features:
    """The raw (unstandardised) feature rows of some texts, in both of the shipped model's layouts."""

    first: np.ndarray
    cascade: np.ndarray | None


def features_compute(
    *, texts: list[str], languages: list[str], embedder: Embedder, cascade_embedder: Embedder | None
) -> Features:
    """Embed and read the lexicon signals of the corrected texts, as the model tier does."""
    signals = signal_features(
        [
            read_signals(TriageInput(text=text, language=language or ""), low_accuracy=False)
            for text, language in zip(texts, languages, strict=True)
        ]
    )
    first = _embed(embedder, texts)
    cascade = None
    if cascade_embedder is not None:
        cascade = np.hstack([first, _embed(cascade_embedder, texts), signals])
    return Features(first=np.hstack([first, signals]), cascade=cascade)


def _embed(embedder: Embedder, texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.vstack([embedder.embed(texts[start : start + 64]) for start in range(0, len(texts), 64)])


def _heads_adapt(
    heads: Heads, matrix: np.ndarray, sentiments: list[str], categories: list[str], strength: float
) -> Heads:
    standard = heads.standardise(matrix)
    return Heads(
        mean=heads.mean,
        scale=heads.scale,
        sentiment=head_adapt(heads.sentiment, standard, sentiments, strength=strength),
        category=head_adapt(heads.category, standard, categories, strength=strength),
    )


def weights_adapt(
    *,
    base: Weights,
    features: Features,
    sentiments: list[str],
    categories: list[str],
    strength: float = PRIOR_STRENGTH,
) -> Weights:
    """The shipped weights with every head adapted to the given rows (the standardisation is kept)."""
    first = _heads_adapt(base, features.first, sentiments, categories, strength)
    cascade = base.cascade
    if cascade is not None and features.cascade is not None:
        cascade = _heads_adapt(cascade, features.cascade, sentiments, categories, strength)
    return Weights(**vars(first), meta=dict(base.meta), cascade=cascade)


def macro_f1(gold: Sequence[str], predicted: Sequence[str], classes: Sequence[str] | None = None) -> float:
    """Macro-averaged F1 over `classes` (by default those in the gold labels)."""
    labels = list(classes) if classes is not None else sorted(set(gold))
    if not labels:
        return 0.0
    scores = []
    for label in labels:
        true_positive = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        predicted_count = sum(p == label for p in predicted)
        gold_count = sum(g == label for g in gold)
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / gold_count if gold_count else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return float(np.mean(scores))
