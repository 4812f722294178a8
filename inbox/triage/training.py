"""Training the model tier: our own labelled CSV plus community managers' corrections.

scikit-learn is needed here only (a dev dependency); what it learns is saved as plain arrays.
The evaluation set in shared/realdata is never read here.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inbox.triage.base import TriageInput
from inbox.triage.model import (
    CASCADE_SHARE,
    CASCADE_THRESHOLD,
    SIGNAL_FEATURES,
    WEIGHTS_DIR,
    Embedder,
    Heads,
    LinearHead,
    embedder_make,
    signal_features,
    weights_save,
)
from inbox.triage.rules import read_signals

TRAINING_CSV = WEIGHTS_DIR / "training.csv"
SENTIMENTS = ("negative", "neutral", "positive")
CATEGORIES = ("complaint", "question", "praise", "troll", "spam", "other")


@dataclass(frozen=True)
class TrainingRow:
    text: str
    lang: str
    sentiment: str
    category: str


def training_rows_read(path: Path = TRAINING_CSV) -> list[TrainingRow]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            TrainingRow(text=row["text"], lang=row["lang"], sentiment=row["sentiment"], category=row["category"])
            for row in csv.DictReader(handle)
            if row["sentiment"] in SENTIMENTS and row["category"] in CATEGORIES and row["text"].strip()
        ]


@dataclass
class TrainingReport:
    rows: int
    corrections: int
    cross_validated_macro_f1: dict[str, float]
    seconds: float


def _fit(matrix: np.ndarray, labels: list[str], classes: tuple[str, ...], c: float) -> LinearHead:
    from sklearn.linear_model import LogisticRegression  # why: scikit-learn is a dev-only dependency (training)

    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(matrix, labels)
    order = [list(model.classes_).index(label) for label in classes if label in model.classes_]
    coef, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:
        # scikit-learn keeps one row for two classes; two rows keep inference the same softmax.
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return LinearHead(tuple(model.classes_[i] for i in order), coef[order], intercept[order])


def _cross_validated_f1(matrix: np.ndarray, labels: list[str], c: float) -> float:
    from sklearn.linear_model import LogisticRegression  # why: scikit-learn is a dev-only dependency (training)
    from sklearn.model_selection import cross_val_score  # why: scikit-learn is a dev-only dependency (training)

    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    return float(cross_val_score(model, matrix, labels, cv=5, scoring="f1_macro").mean())


def _embed_all(embedder: Embedder, texts: list[str]) -> np.ndarray:
    return np.vstack([embedder.embed(texts[start : start + 64]) for start in range(0, len(texts), 64)])


def _heads_fit(
    matrix: np.ndarray, sentiment_labels: list[str], category_labels: list[str], c: float, cross_validate: bool
) -> tuple[Heads, dict[str, float]]:
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale < 1e-6] = 1.0
    standard = (matrix - mean) / scale
    scores = {}
    if cross_validate:
        scores = {
            "sentiment": round(_cross_validated_f1(standard, sentiment_labels, c), 4),
            "category": round(_cross_validated_f1(standard, category_labels, c), 4),
        }
    heads = Heads(
        mean=mean,
        scale=scale,
        sentiment=_fit(standard, sentiment_labels, SENTIMENTS, c),
        category=_fit(standard, category_labels, CATEGORIES, c),
    )
    return heads, scores


def model_train(
    *,
    rows: list[TrainingRow],
    corrections: int = 0,
    out_dir: Path = WEIGHTS_DIR,
    embedder: Embedder | None = None,
    cascade_embedder: Embedder | None = None,
    c: float = 0.01,
    cross_validate: bool = True,
) -> TrainingReport:
    """Embed, fit both heads (and the cascade's, given a second embedder) and write `model.npz` + `model.json`.

    Returns the cross-validated macro-F1 of each head.
    """
    started = time.perf_counter()
    embedder = embedder or embedder_make()
    texts = [row.text for row in rows]
    signal_matrix = signal_features(
        [read_signals(TriageInput(text=row.text, language=row.lang), low_accuracy=False) for row in rows]
    )
    embeddings = _embed_all(embedder, texts)
    sentiment_labels = [row.sentiment for row in rows]
    category_labels = [row.category for row in rows]
    heads, scores = _heads_fit(
        np.hstack([embeddings, signal_matrix]), sentiment_labels, category_labels, c, cross_validate
    )
    meta = {
        "embedder": embedder.name,
        "embedding_dim": embedder.dim,
        "signal_features": list(SIGNAL_FEATURES),
        "classifier": f"LogisticRegression(C={c}, class_weight=balanced)",
        "rows": len(rows),
        "corrections": corrections,
        "cross_validated_macro_f1": scores,
    }
    cascade: Heads | None = None
    cascade_scores: dict[str, float] = {}
    if cascade_embedder is not None:
        matrix = np.hstack([embeddings, _embed_all(cascade_embedder, texts), signal_matrix])
        cascade, cascade_scores = _heads_fit(matrix, sentiment_labels, category_labels, c, cross_validate)
        meta["cascade"] = {
            "embedder": cascade_embedder.name,
            "embedding_dim": cascade_embedder.dim,
            "share": CASCADE_SHARE,
            "threshold": CASCADE_THRESHOLD,
            "cross_validated_macro_f1": cascade_scores,
        }
    meta["trained_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    weights_save(directory=out_dir, heads=heads, meta=meta, cascade=cascade)
    return TrainingReport(
        rows=len(rows),
        corrections=corrections,
        cross_validated_macro_f1={**scores, **{f"cascade_{key}": value for key, value in cascade_scores.items()}},
        seconds=round(time.perf_counter() - started, 1),
    )
