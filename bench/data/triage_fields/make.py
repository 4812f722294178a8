"""Rebuild fields.csv from the two fetched source repositories (fixed seed: the same file every time).

    python bench/data/triage_fields/make.py BANKING77_TEST_CSV TUBESPAM_CSV

BANKING77_TEST_CSV is banking_data/test.csv of PolyAI-LDN/task-specific-datasets, TUBESPAM_CSV is
data/TubeSpam/TubeSpam.csv of regularized-dp/regularized-data-programming (see README.md).
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 21
PER_INTENT = 10
SPAM_PER_CLASS = 300
COLUMNS = ("source", "lang", "field", "label", "source_label", "text")


def banking77_rows(path: Path, mapping: dict) -> list[dict[str, str]]:
    department_of = {intent: dept for dept, intents in mapping["department"].items() for intent in intents}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_intent: dict[str, list[str]] = {}
    for row in rows:
        by_intent.setdefault(row["category"], []).append(row["text"])
    if set(by_intent) != set(department_of):
        raise SystemExit(f"unmapped intents: {sorted(set(by_intent) ^ set(department_of))}")
    rng = random.Random(SEED)
    out = []
    for intent in sorted(by_intent):
        for text in rng.sample(by_intent[intent], PER_INTENT):
            out.append({"source": "banking77", "lang": "en", "field": "department",
                        "label": department_of[intent], "source_label": intent, "text": text})
    return out


def tubespam_rows(path: Path, mapping: dict) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["CONTENT"].strip()]
    rng = random.Random(SEED)
    out = []
    for value in ("1", "0"):
        chosen = rng.sample([row for row in rows if row["CLASS"] == value], SPAM_PER_CLASS)
        for row in chosen:
            out.append({"source": "tubespam", "lang": "en", "field": "spam", "label": mapping["label"][value],
                        "source_label": value, "text": " ".join(row["CONTENT"].split())})
    return out


def main(argv: list[str]) -> int:
    mapping = json.loads((HERE / "mapping.json").read_text(encoding="utf-8"))
    rows = banking77_rows(Path(argv[0]), mapping["banking77"]) + tubespam_rows(Path(argv[1]), mapping["tubespam"])
    with (HERE / "fields.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} rows written to {HERE / 'fields.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
