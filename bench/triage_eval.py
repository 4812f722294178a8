"""Evaluate triage sentiment on the labelled evaluation set and measure each tier's throughput.

    python bench/triage_eval.py [--quick] [--csv PATH]

Prints per-class precision, recall and F1 and the macro-F1 per language (es, en) for a plain
lexicon baseline, the fast tier and the model tier; then texts/s for each tier (median of repeats)
and the machine. The evaluation set (shared/realdata/texts/social_sentiment_es_en.csv) is only
ever read here: nothing is trained or tuned on it. Only sentiment is gold there, so category,
priority and action are not scored.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisdesk.settings")

from bench.common import cpu_model  # noqa: E402
from inbox.triage import TriageInput, fast_tier, model_tier  # noqa: E402
from inbox.triage.lexicon import TOKEN, english_analyzer, fold, spanish_lexicon  # noqa: E402
from inbox.triage.model import WEIGHTS_DIR, ModelTriage  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "realdata" / "texts" / "social_sentiment_es_en.csv"
LABELS = ("negative", "neutral", "positive")
LANGUAGES = ("es", "en")


def rows_read(path: Path, quick: bool) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["label"] in LABELS and row["lang"] in LANGUAGES]
    if quick:
        rng = random.Random(7)
        rows = [row for lang in LANGUAGES for row in rng.sample([r for r in rows if r["lang"] == lang], 100)]
    return rows


def baseline_predict(texts: list[str]) -> list[str]:
    """The simplest thing: positive words minus negative words, from both lexicons, no rules."""
    spanish = spanish_lexicon()
    english = english_analyzer().lexicon
    predictions = []
    for text in texts:
        balance = 0
        for token in TOKEN.findall(fold(text)):
            value = spanish.words.get(token, english.get(token, 0.0))
            balance += (value > 0) - (value < 0)
        predictions.append("positive" if balance > 0 else "negative" if balance < 0 else "neutral")
    return predictions


def scores(gold: list[str], predicted: list[str]) -> tuple[dict[str, tuple[float, float, float, int]], float]:
    per_class = {}
    for label in LABELS:
        true_positive = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        predicted_count = sum(p == label for p in predicted)
        gold_count = sum(g == label for g in gold)
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / gold_count if gold_count else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = (precision, recall, f1, gold_count)
    return per_class, statistics.mean(f1 for _, _, f1, _ in per_class.values())


def throughput(
    run: Callable[[list[TriageInput]], object], inputs: list[TriageInput], repeats: int
) -> tuple[float, float]:
    """Texts per second by the wall clock and per second of this process's CPU time (medians).

    For the single-threaded fast tier the CPU figure is the rate on one core, and it does not drop
    when other processes share the machine; the wall-clock figure does.
    """
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        run(inputs)
        wall.append(len(inputs) / (time.perf_counter() - started))
        cpu.append(len(inputs) / max(1e-9, time.process_time() - started_cpu))
    return statistics.median(wall), statistics.median(cpu)


def batched(tier, inputs: list[TriageInput], size: int = 64) -> None:
    for start in range(0, len(inputs), size):
        tier.triage_batch(inputs[start : start + size])


def machine() -> str:
    return f"{cpu_model()}; {os.cpu_count()} logical cores; Python {platform.python_version()} ({platform.machine()})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~200 rows (100 es, 100 en), fewer repeats.")
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument(
        "--weights", type=Path, default=WEIGHTS_DIR, help="Model tier weights (model.npz/json)."
    )
    args = parser.parse_args(argv)
    if not args.csv.exists():
        print(f"Evaluation set not found: {args.csv}", file=sys.stderr)
        return 2
    rows = rows_read(args.csv, args.quick)
    texts = [row["text"] for row in rows]
    inputs = [TriageInput(text=text) for text in texts]
    model = model_tier() if args.weights == WEIGHTS_DIR else ModelTriage(weights_dir=args.weights)
    systems: dict[str, list[str]] = {
        "lexicon baseline": baseline_predict(texts),
        "fast tier": [r.sentiment for r in fast_tier().triage_batch(inputs)],
    }
    cascade_note = ""
    if model.available():
        results = []
        before = model.cascaded_texts
        for start in range(0, len(inputs), 64):
            results += model.triage_batch(inputs[start : start + 64])
        systems["model tier"] = [r.sentiment for r in results]
        if model.cascade_available():
            share = (model.cascaded_texts - before) / len(inputs)
            cascade_note = f"model tier cascade: {model.cascade_embedder_name} read {share:.1%} of the texts"
        elif model.cascade_unavailable_reason:
            cascade_note = f"model tier cascade unavailable: {model.cascade_unavailable_reason}"
    else:
        print(f"model tier unavailable: {model.unavailable_reason}")

    print(
        f"Triage sentiment evaluation on {len(rows)} rows of {args.csv.name} "
        f"({'quick' if args.quick else 'full'})"
    )
    print("Inputs carry no language: each tier detects it.")
    for lang in LANGUAGES:
        indices = [i for i, row in enumerate(rows) if row["lang"] == lang]
        gold = [rows[i]["label"] for i in indices]
        print(f"\n== {lang} ({len(indices)} rows) ==")
        print(f"{'system':<18}{'class':<10}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}")
        for name, predicted in systems.items():
            per_class, macro = scores(gold, [predicted[i] for i in indices])
            for label, (precision, recall, f1, support) in per_class.items():
                print(f"{name:<18}{label:<10}{precision:>10.3f}{recall:>8.3f}{f1:>8.3f}{support:>9}")
            print(f"{name:<18}macro-F1 {macro:.3f}")
    detected = [r.language for r in fast_tier().triage_batch(inputs)]
    agreement = sum(d == row["lang"] for d, row in zip(detected, rows, strict=True)) / len(rows)
    if cascade_note:
        print(f"\n{cascade_note}")
    print(f"\nlanguage (fast tier) agrees with the dataset's language column on {agreement:.1%} of rows")

    repeats = 3 if args.quick else 5
    speed_inputs = inputs * max(1, 2000 // len(inputs)) if not args.quick else inputs * 5
    fast_wall, fast_cpu = throughput(fast_tier().triage_batch, speed_inputs, repeats)
    print(
        f"\nthroughput fast tier: {fast_cpu:,.0f} texts/s per CPU second on one core "
        f"({fast_wall:,.0f} texts/s by the wall clock; one thread, median of {repeats})"
    )
    if model.available():
        model_inputs = inputs[: 64 if args.quick else 512]

        def uncached(batch: list[TriageInput]) -> None:
            model.cache_clear()
            batched(model, batch)

        model_wall, model_cpu = throughput(uncached, model_inputs, 3)
        print(
            f"throughput model tier: {model_wall:,.0f} texts/s by the wall clock, "
            f"{model_cpu:,.0f} per CPU second (batches of 64, embedding cache emptied before each run, "
            f"one BLAS thread, {'with' if model.cascade_available() else 'without'} the cascade, median of 3)"
        )
    print(f"machine: {machine()}")
    print("load average during the run: " + ", ".join(f"{value:.1f}" for value in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
