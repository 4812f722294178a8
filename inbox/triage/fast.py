"""The fast tier: lexicons and rules in Spanish and English, cheap enough for the ingestion path.

Stop words or lingua in low-accuracy mode only when the network gave no language, VADER for English,
our own scorer for the rest (docs/PERFORMANCE.md, "Where the inbox's time goes", has its cost).
"""

from __future__ import annotations

from inbox.triage.base import TriageInput, TriageResult
from inbox.triage.rules import Signals, decide, read_signals, rule_category, sentiment_label


class FastTriage:
    name = "fast"

    def triage_batch(self, inputs: list[TriageInput]) -> list[TriageResult]:
        return [self.triage_one(item) for item in inputs]

    def triage_one(self, item: TriageInput) -> TriageResult:
        return self.triage_signals(item, read_signals(item))

    def triage_signals(self, item: TriageInput, signals: Signals) -> TriageResult:
        score = signals.lexicon_score
        sentiment = sentiment_label(score)
        category = rule_category(item, signals, sentiment, score)
        return decide(item, signals, sentiment=sentiment, score=score, category=category, tier=self.name)
