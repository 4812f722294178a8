"""The field evaluation set parses, and every label it carries is one of our own values."""

import json
from pathlib import Path

import pytest

from bench import triage_fields
from inbox.models import SuggestedAction

ROOT = Path(__file__).resolve().parents[2]
OUR_DEPARTMENTS = {"comercial", "tecnica", "atencion-cliente"}  # the ones inbox/triage/rules.py suggests


def test_the_committed_set_parses_and_maps_to_our_values():
    rows = triage_fields.rows_read()
    by_field: dict[str, set[str]] = {}
    for row in rows:
        by_field.setdefault(row.field, set()).add(row.label)
        assert row.text.strip() and row.lang == "en"
    assert by_field["department"] == OUR_DEPARTMENTS | {"none"}
    assert by_field["suggested_action"] <= set(SuggestedAction.values)
    assert by_field["spam"] == {"spam", "not_spam"}
    # 770 banking77 queries (each also gives the action) and 600 YouTube comments
    assert sum(row.field == "department" for row in rows) == 770
    assert sum(row.field == "suggested_action" for row in rows) == 770
    assert sum(row.field == "spam" for row in rows) == 600


def test_every_banking77_intent_has_exactly_one_department():
    mapping = json.loads((ROOT / "bench/data/triage_fields/mapping.json").read_text(encoding="utf-8"))["banking77"]
    intents = [intent for group in mapping["department"].values() for intent in group]
    assert len(intents) == len(set(intents)) == 77
    assert set(mapping["action"]) == set(mapping["department"])
    assert set(mapping["action"].values()) <= set(SuggestedAction.values)


def test_a_label_that_is_not_ours_is_refused(tmp_path):
    bad = tmp_path / "fields.csv"
    bad.write_text("source,lang,field,label,source_label,text\nx,en,department,billing,y,Some text\n")
    with pytest.raises(triage_fields.FieldDataError, match="line 2"):
        triage_fields.rows_read(bad)


def test_macro_f1_counts_only_the_gold_classes():
    macro, per_class = triage_fields.macro_f1(
        ["spam", "spam", "not_spam"], ["spam", "not_spam", "not_spam"], ("spam", "not_spam")
    )
    assert per_class["spam"][:3] == (1.0, 0.5, pytest.approx(2 / 3))
    assert macro == pytest.approx((2 / 3 + 2 / 3) / 2)
