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
    SIGNAL_FEATURES,
    WEIGHTS_DIR,
    Embedder,
    LinearHead,
    embedder_make,
    features,
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
            TrainingRow(
                text=row["text"], lang=row["lang"], sentiment=row["sentiment"], category=row["category"]
            )
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
    from sklearn.linear_model import LogisticRegression

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
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    return float(cross_val_score(model, matrix, labels, cv=5, scoring="f1_macro").mean())


def model_train(
    *,
    rows: list[TrainingRow],
    corrections: int = 0,
    out_dir: Path = WEIGHTS_DIR,
    embedder: Embedder | None = None,
    c: float = 0.01,
    cross_validate: bool = True,
) -> TrainingReport:
    """Embed, fit both heads and write `model.npz` + `model.json`; returns cross-validated macro-F1."""
    started = time.perf_counter()
    embedder = embedder or embedder_make()
    signals = [
        read_signals(TriageInput(text=row.text, language=row.lang), low_accuracy=False) for row in rows
    ]
    embeddings = np.vstack(
        [embedder.embed([row.text for row in rows[start : start + 64]]) for start in range(0, len(rows), 64)]
    )
    matrix = features(embeddings, signals)
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale < 1e-6] = 1.0
    standard = (matrix - mean) / scale
    sentiment_labels = [row.sentiment for row in rows]
    category_labels = [row.category for row in rows]
    scores = {}
    if cross_validate:
        scores = {
            "sentiment": round(_cross_validated_f1(standard, sentiment_labels, c), 4),
            "category": round(_cross_validated_f1(standard, category_labels, c), 4),
        }
    weights_save(
        directory=out_dir,
        mean=mean,
        scale=scale,
        sentiment=_fit(standard, sentiment_labels, SENTIMENTS, c),
        category=_fit(standard, category_labels, CATEGORIES, c),
        meta={
            "embedder": embedder.name,
            "embedding_dim": embedder.dim,
            "signal_features": list(SIGNAL_FEATURES),
            "classifier": f"LogisticRegression(C={c}, class_weight=balanced)",
            "rows": len(rows),
            "corrections": corrections,
            "cross_validated_macro_f1": scores,
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )
    return TrainingReport(
        rows=len(rows),
        corrections=corrections,
        cross_validated_macro_f1=scores,
        seconds=round(time.perf_counter() - started, 1),
    )
