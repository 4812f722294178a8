"""Score every triage field that has gold labels, per language and tier: department, action, spam.

    python bench/triage_fields.py [--csv PATH] [--complaints PATH] [--tier fast|model|both]

Reads `bench/data/triage_fields/fields.csv` (real public messages; sources, licences and the label
mapping in that folder's README.md) and prints, per field, language and tier, the macro-F1 over the
gold classes with per-class precision, recall and F1. Sentiment is scored by `bench/triage_eval.py`.
`--complaints` also scores a local copy of the complaint tweets (`complaints-data.csv`, not
redistributable, see the README). Inputs carry no language: each tier detects it, as in the inbox.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisdesk.settings")

from inbox.triage import TriageInput, TriageResult, fast_tier, model_tier  # noqa: E402

DATA = ROOT / "bench" / "data" / "triage_fields"
DEFAULT_CSV = DATA / "fields.csv"
MAPPING = DATA / "mapping.json"
DEPARTMENTS = ("comercial", "tecnica", "atencion-cliente", "none")
# Each field: its gold classes and how a tier's result is read as one of them.
FIELDS: dict[str, tuple[tuple[str, ...], Callable[[TriageResult], str]]] = {
    "department": (DEPARTMENTS, lambda result: result.suggested_department or "none"),
    "suggested_action": (("customer_service", "escalate", "reply"), lambda result: result.suggested_action),
    "spam": (("spam", "not_spam"), lambda result: "spam" if result.category == "spam" else "not_spam"),
    "complaint": (
        ("complaint", "not_complaint"),
        lambda result: "complaint" if result.category == "complaint" else "not_complaint",
    ),
}


@dataclass(frozen=True)
class FieldRow:
    source: str
    lang: str
    field: str
    label: str
    text: str


class FieldDataError(ValueError):
    """A row whose field or label is not one of ours."""


def rows_read(path: Path = DEFAULT_CSV) -> list[FieldRow]:
    """The labelled rows, each field's label checked against our values; banking77 rows also give the action."""
    action_of = json.loads(MAPPING.read_text(encoding="utf-8"))["banking77"]["action"]
    rows: list[FieldRow] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, raw in enumerate(csv.DictReader(handle), start=2):
            row = FieldRow(raw["source"], raw["lang"], raw["field"], raw["label"], raw["text"])
            if row.field not in FIELDS or row.label not in FIELDS[row.field][0] or not row.text.strip():
                raise FieldDataError(f"{path.name} line {number}: {row.field}={row.label!r} is not one of ours")
            rows.append(row)
            if row.field == "department":
                rows.append(FieldRow(row.source, row.lang, "suggested_action", action_of[row.label], row.text))
    return rows


def complaints_read(path: Path) -> list[FieldRow]:
    """The complaint tweets (id, text, label, domain), English; label 1 is a complaint."""
    label = json.loads(MAPPING.read_text(encoding="utf-8"))["complaints"]["label"]
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [FieldRow("complaints", "en", "complaint", label[r[2]], r[1]) for r in reader if len(r) >= 3]


def macro_f1(gold: list[str], predicted: list[str], classes: tuple[str, ...]) -> tuple[float, dict[str, tuple]]:
    per_class = {}
    for label in classes:
        hit = sum(g == label == p for g, p in zip(gold, predicted, strict=True))
        said = sum(p == label for p in predicted)
        real = sum(g == label for g in gold)
        precision = hit / said if said else 0.0
        recall = hit / real if real else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = (precision, recall, f1, real)
    present = [f1 for _, _, f1, support in per_class.values() if support]
    return (statistics.mean(present) if present else 0.0), per_class


def triage_all(tier, texts: list[str]) -> list[TriageResult]:
    inputs = [TriageInput(text=text) for text in texts]
    return [result for start in range(0, len(inputs), 64) for result in tier.triage_batch(inputs[start : start + 64])]


def report(rows: list[FieldRow], tiers: dict[str, object]) -> list[tuple[str, str, str, int, float]]:
    """Print the tables; returns (field, lang, tier, rows, macro-F1) for each group."""
    texts = list(dict.fromkeys(row.text for row in rows))
    answers = {name: dict(zip(texts, triage_all(tier, texts), strict=True)) for name, tier in tiers.items()}
    summary = []
    for field, (classes, read) in FIELDS.items():
        for lang in sorted({row.lang for row in rows if row.field == field}):
            group = [row for row in rows if row.field == field and row.lang == lang]
            print(f"\n== {field}, {lang} ({len(group)} rows: {', '.join(sorted({r.source for r in group}))}) ==")
            print(f"{'tier':<8}{'class':<18}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}")
            for name in tiers:
                predicted = [read(answers[name][row.text]) for row in group]
                macro, per_class = macro_f1([row.label for row in group], predicted, classes)
                for label, (precision, recall, f1, support) in per_class.items():
                    print(f"{name:<8}{label:<18}{precision:>10.3f}{recall:>8.3f}{f1:>8.3f}{support:>9}")
                print(f"{name:<8}macro-F1 {macro:.3f}")
                summary.append((field, lang, name, len(group), macro))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--complaints", type=Path, help="A local copy of complaints-data.csv (not in the repo).")
    parser.add_argument("--tier", choices=("fast", "model", "both"), default="both")
    args = parser.parse_args(argv)
    rows = rows_read(args.csv)
    if args.complaints:
        rows += complaints_read(args.complaints)
    tiers: dict[str, object] = {}
    if args.tier in ("fast", "both"):
        tiers["fast"] = fast_tier()
    if args.tier in ("model", "both"):
        model = model_tier()
        if model.available():
            tiers["model"] = model
        else:
            print(f"model tier unavailable: {model.unavailable_reason}")
    print(f"Triage field evaluation on {len(rows)} labelled (row, field) pairs of {args.csv.name}")
    summary = report(rows, tiers)
    print("\nsummary (macro-F1):")
    for field, lang, name, count, macro in summary:
        print(f"  {field:<18}{lang:<4}{name:<7}{count:>6} rows  {macro:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
