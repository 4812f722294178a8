"""Learning curve: how a brand's triage model improves as community managers correct its posts.

    python bench/triage_learning.py [--quick] [--repeats 5] [--sizes 50,100,200,400,800]

For this benchmark only, the shared labelled set (shared/realdata/texts/social_sentiment_es_en.csv,
Spanish and English airline customers and members of parliament) plays the brand's inbox: N of its
posts, drawn at random with a fixed seed per repetition, are "corrected" (their gold label becomes a
correction), the brand's model is fitted on them with `learning.weights_adapt` exactly as
`inbox/triage/versions.py` does (brand heads stacked on the shipped ones), and it is scored on the
other posts — never on a corrected one.
Two rows per N: the model adapted on all N corrections, and what the product would run (trained on
the corrections not held out, kept only if no worse than the shipped model on the held-out ones).
The shipped model itself is never trained on this set: N = 0 is its score on every row.

Prints the macro-F1 of sentiment per language: the median over repetitions (and min–max), the
shipped model on the same rows, and the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisdesk.settings")

import django  # noqa: E402

django.setup()

from bench.triage_eval import DEFAULT_CSV, LABELS, LANGUAGES, machine, rows_read  # noqa: E402
from inbox.triage import TriageInput, model_tier  # noqa: E402
from inbox.triage.brand_models import tier_from_weights  # noqa: E402
from inbox.triage.learning import (  # noqa: E402
    STACK_C,
    Features,
    features_compute,
    held_out,
    macro_f1,
    weights_adapt,
)
from inbox.triage.model import ModelTriage, Weights, weights_load  # noqa: E402

SIZES = (50, 100, 200, 400, 800)


def predictions(tier: ModelTriage, inputs: list[TriageInput]) -> list[str]:
    return [r.sentiment for start in range(0, len(inputs), 64) for r in tier.triage_batch(inputs[start : start + 64])]


def per_language(rows: list[dict[str, str]], indices: list[int], predicted: list[str]) -> dict[str, float]:
    scores = {}
    for lang in LANGUAGES:
        picked = [k for k, i in enumerate(indices) if rows[i]["lang"] == lang]
        scores[lang] = macro_f1([rows[indices[k]]["label"] for k in picked], [predicted[k] for k in picked], LABELS)
    return scores


def adapted(shipped: Weights, features: Features, rows: list[dict[str, str]], chosen: list[int], c: float) -> Weights:
    subset = Features(
        first=features.first[chosen], cascade=features.cascade[chosen] if features.cascade is not None else None
    )
    # The set has sentiment only; its category stays what the shipped model says (no category correction).
    return weights_adapt(
        base=shipped, features=subset, sentiments=[rows[i]["label"] for i in chosen], categories=[], c=c
    )


def run(args: argparse.Namespace) -> dict:
    rows = rows_read(args.csv, args.quick)
    inputs = [TriageInput(text=row["text"]) for row in rows]
    shipped_tier = model_tier()
    if not shipped_tier.available():
        raise SystemExit(f"model tier unavailable: {shipped_tier.unavailable_reason}")
    shipped = weights_load(shipped_tier.weights_dir)
    first, cascade = shipped_tier.embedders
    assert first is not None
    started = time.perf_counter()
    # Embeds every post once (the embedders' caches then serve the tier's own reads below).
    features = features_compute(
        texts=[row["text"] for row in rows], languages=[""] * len(rows), embedder=first, cascade_embedder=cascade
    )
    shipped_predicted = predictions(shipped_tier, inputs)
    print(f"embedded {len(rows)} posts in {time.perf_counter() - started:.0f}s", flush=True)
    curve: dict = {0: {"adapted": [per_language(rows, list(range(len(rows))), shipped_predicted)]}}
    for size in args.sizes:
        curve[size] = {"adapted": [], "product": [], "shipped": [], "kept": 0}
        for repeat in range(args.repeats):
            order = np.random.default_rng(1000 + repeat).permutation(len(rows)).tolist()
            chosen, rest = sorted(order[:size]), sorted(order[size:])
            rest_inputs = [inputs[i] for i in rest]
            model = tier_from_weights(adapted(shipped, features, rows, chosen, args.c), base=shipped_tier)
            adapted_scores = per_language(rows, rest, predictions(model, rest_inputs))
            curve[size]["adapted"].append(adapted_scores)
            curve[size]["shipped"].append(per_language(rows, rest, [shipped_predicted[i] for i in rest]))
            curve[size]["product"].append(
                product_scores(shipped, shipped_tier, features, rows, inputs, chosen, rest, args.c)
            )
            if curve[size]["product"][-1].pop("kept"):
                curve[size]["kept"] += 1
        print(f"N={size} done ({time.perf_counter() - started:.0f}s)", flush=True)
    return curve


def product_scores(shipped, shipped_tier, features, rows, inputs, chosen, rest, c) -> dict:
    """What the product would run after these corrections: the held-out gate decides (index = mention id)."""
    training = [i for i in chosen if not held_out(i)]
    judged = [i for i in chosen if held_out(i)]
    candidate = tier_from_weights(adapted(shipped, features, rows, training, c), base=shipped_tier)
    judged_inputs = [inputs[i] for i in judged]
    gold = [rows[i]["label"] for i in judged]
    kept = bool(judged) and macro_f1(gold, predictions(candidate, judged_inputs)) >= macro_f1(
        gold, predictions(shipped_tier, judged_inputs)
    )
    running = candidate if kept else shipped_tier
    return {**per_language(rows, rest, predictions(running, [inputs[i] for i in rest])), "kept": kept}


def report(curve: dict, args: argparse.Namespace) -> None:
    print(f"\nTriage learning curve on {args.csv.name}: sentiment macro-F1, median of {args.repeats} repetitions")
    print("(min–max in brackets; the shipped model on the same evaluation rows after the slash)\n")
    print(f"{'N':>5}  {'model':<9}" + "".join(f"{lang:>28}" for lang in LANGUAGES))
    for size, runs in curve.items():
        for kind in ("adapted", "product") if size else ("adapted",):
            cells = []
            for lang in LANGUAGES:
                values = [run[lang] for run in runs[kind]]
                shipped = statistics.median(run[lang] for run in runs.get("shipped", runs[kind]))
                cells.append(f"{statistics.median(values):.3f} [{min(values):.3f}–{max(values):.3f}] / {shipped:.3f}")
            label = "shipped" if not size else kind
            print(f"{size:>5}  {label:<9}" + "".join(f"{cell:>28}" for cell in cells))
        if size:
            print(f"{'':>5}  (the gate kept the new model in {runs['kept']} of {args.repeats} repetitions)")
    print(f"\nbrand heads stacked on the shipped ones, C {args.c}; machine: {machine()}")
    print("load average during the run: " + ", ".join(f"{value:.1f}" for value in os.getloadavg()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--quick", action="store_true", help="200 rows, sizes 50 and 100, two repetitions.")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--c", type=float, default=STACK_C, help="Inverse L2 strength of the brand heads.")
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    if args.quick:
        args.sizes, args.repeats = [50, 100], 2
    if not args.csv.exists():
        print(f"Labelled set not found: {args.csv}", file=sys.stderr)
        return 2
    report(run(args), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
