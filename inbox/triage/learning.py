"""Learning a brand's inbox: stacked heads over the shipped model, fitted to its managers' corrections.

Pure numpy (no scikit-learn, so a production worker can retrain). The shipped heads stay as they
are; for each layout (USE's features, and the cascade's) and each corrected field, a brand head
reads the shipped head's log-probabilities beside the standardised features and is fitted on the
brand's corrections as a class-balanced logistic regression, strongly regularised (`STACK_C`).
It learns how far to trust the shipped model, the brand's class balance and what the features
say that the shipped model missed. The embedders and the cascade's choice of rows are the
shipped model's, so `ModelTriage` runs a brand model at the shipped cost.

A fixed share of the corrections is held out by a hash of the mention id, never trained on, and
used to decide whether a new model may replace the brand's active one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from inbox.triage.base import TriageInput
from inbox.triage.model import Embedder, Heads, LinearHead, Stacked, Weights, signal_features, stacked_input
from inbox.triage.rules import read_signals

# One correction in five is kept for judging models, never for training them.
HELD_OUT_PERCENT = 20
HELD_OUT_SALT = b"crisisdesk-triage-held-out-v1"
# Inverse L2 strength on the summed loss (scikit-learn's C), fixed, not chosen per brand: the value
# the earlier exploration of stacking used on the learning benchmark (docs/TRIAGE.md, "Learning
# curve"). Being on the sum, the pull towards zero weakens as corrections accumulate.
STACK_C = 0.001
# Where the weights on the shipped log-probabilities are pulled (1: the shipped head, 0: nothing),
# in this order of preference, chosen per head by cross-validation on the trained-on corrections.
ANCHORS = (1.0, 0.0)
ANCHOR_FOLDS = 5
# Letting go of the shipped head is tried only from this many trained-on corrections: below it, one
# unlucky draw lost up to 0.11 of macro-F1 on the learning benchmark and the gate, judging on a fifth
# of so few, did not always catch it (docs/TRIAGE.md, "Learning curve").
LET_GO_FROM = 200
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


def logistic_fit(
    matrix: np.ndarray,
    labels: Sequence[str],
    classes: Sequence[str],
    *,
    c: float = STACK_C,
    prior: np.ndarray | None = None,
    iterations: int = ITERATIONS,
) -> LinearHead | None:
    """A class-balanced multinomial logistic regression on `matrix`, L2 ½|W − prior|²/c on the summed
    loss (the intercept is free; prior zero by default), by accelerated gradient descent from the
    prior (convex, so it converges).

    Labels outside `classes` are skipped; None when no row is left.
    """
    index = {label: i for i, label in enumerate(classes)}
    keep = [i for i, label in enumerate(labels) if label in index]
    if not keep:
        return None
    x = np.asarray(matrix, dtype=np.float64)[keep]
    kept_labels = [labels[i] for i in keep]
    target = np.zeros((len(keep), len(classes)))
    target[np.arange(len(keep)), [index[label] for label in kept_labels]] = 1.0
    weight = balanced_weights(kept_labels)
    weight = (weight / weight.sum())[:, None]
    # The balanced weights sum to one, so the summed loss's penalty becomes 1/(c·n) here.
    strength = 1.0 / (c * len(keep))
    # Step 1/L, L bounding the curvature: ½·|√w·[x 1]|² (softmax) + the penalty.
    lipschitz = 0.5 * float(np.linalg.norm(x * np.sqrt(weight), 2) ** 2 + weight.sum()) + strength
    step = 1.0 / lipschitz
    prior_coef = np.zeros((len(classes), x.shape[1])) if prior is None else np.asarray(prior, dtype=np.float64)
    coef, intercept = prior_coef.copy(), np.zeros(len(classes))
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
    return LinearHead(tuple(classes), coef.astype(np.float32), intercept.astype(np.float32))


def head_stack(head: LinearHead, matrix: np.ndarray, labels: Sequence[str], *, c: float = STACK_C) -> LinearHead | None:
    """A brand head over `head`'s log-probabilities and the standardised `matrix`, fitted to `labels`.

    Its weights on the shipped log-probabilities are pulled either towards the shipped head itself
    (anchor 1: a correction of it) or towards zero like every other weight (anchor 0: the shipped
    model is one opinion among the features); `anchor_choose` picks by cross-validation.
    """
    stacked = stacked_input(head.probabilities(matrix), matrix)
    anchor = anchor_choose(stacked, labels, head.classes, c=c)
    return logistic_fit(stacked, labels, head.classes, c=c, prior=anchor_prior(anchor, len(head.classes), stacked))


def anchor_prior(anchor: float, classes: int, stacked: np.ndarray) -> np.ndarray:
    prior = np.zeros((classes, stacked.shape[1]))
    prior[:, :classes] = anchor * np.eye(classes)
    return prior


def anchor_choose(stacked: np.ndarray, labels: Sequence[str], classes: Sequence[str], *, c: float) -> float:
    """The anchor whose out-of-fold macro-F1 on the corrections is best (ties: 1, the shipped side).

    Only the given rows are used (the held-out corrections are never seen); with fewer than
    `LET_GO_FROM` the shipped side is kept.
    """
    labels = list(labels)
    if len(labels) < LET_GO_FROM:
        return 1.0
    fold = np.random.default_rng(0).permutation(len(labels)) % ANCHOR_FOLDS
    best_anchor, best_score = 1.0, -1.0
    for anchor in ANCHORS:
        predicted = [""] * len(labels)
        for number in range(ANCHOR_FOLDS):
            train, test = np.flatnonzero(fold != number), np.flatnonzero(fold == number)
            fitted = logistic_fit(
                stacked[train],
                [labels[i] for i in train],
                classes,
                c=c,
                prior=anchor_prior(anchor, len(classes), stacked),
            )
            if fitted is None:
                return 1.0
            for i, row in zip(test, fitted.probabilities(stacked[test]).argmax(axis=1), strict=True):
                predicted[i] = fitted.classes[int(row)]
        score = macro_f1(labels, predicted)
        if score > best_score:
            best_anchor, best_score = anchor, score
    return best_anchor


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


def _stacked_fit(heads: Heads, matrix: np.ndarray, sentiments: list[str], categories: list[str], c: float) -> Stacked:
    standard = heads.standardise(matrix)
    return Stacked(
        sentiment=head_stack(heads.sentiment, standard, sentiments, c=c),
        category=head_stack(heads.category, standard, categories, c=c),
    )


def weights_adapt(
    *,
    base: Weights,
    features: Features,
    sentiments: list[str],
    categories: list[str],
    c: float = STACK_C,
) -> Weights:
    """The shipped weights with a brand head stacked on each of their heads, for the given rows.

    A field with no rows (the learning benchmark has no categories) keeps the shipped head alone.
    """
    cascade = base.cascade
    if cascade is not None and features.cascade is not None:
        cascade = replace(cascade, stacked=_stacked_fit(cascade, features.cascade, sentiments, categories, c))
    stacked = _stacked_fit(base, features.first, sentiments, categories, c)
    return replace(base, stacked=stacked, meta=dict(base.meta), cascade=cascade)


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
