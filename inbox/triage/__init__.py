"""Triage: language, sentiment, category, priority and suggested action for each mention."""

from inbox.triage.base import TriageInput, TriageResult, TriageTier
from inbox.triage.fast import FastTriage

__all__ = ["TriageInput", "TriageResult", "TriageTier", "FastTriage", "fast_tier"]

_fast = FastTriage()


def fast_tier() -> FastTriage:
    return _fast
