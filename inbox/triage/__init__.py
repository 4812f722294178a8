"""Triage: language, sentiment, category, priority and suggested action for each mention.

Two tiers behind one interface (`TriageTier`): the fast tier runs inside ingestion; the model tier
refines new mentions afterwards on the "triage" queue and falls back to the fast tier's answer
when it cannot run.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from inbox.triage.base import TriageInput, TriageResult, TriageTier
from inbox.triage.fast import FastTriage

if TYPE_CHECKING:
    from inbox.triage.model import ModelTriage

__all__ = ["TriageInput", "TriageResult", "TriageTier", "FastTriage", "fast_tier", "model_tier", "tier_named"]

_fast = FastTriage()
_model: ModelTriage | None = None
_model_lock = threading.Lock()


def fast_tier() -> FastTriage:
    return _fast


def model_tier() -> ModelTriage:
    """The process-wide model tier; weights and embedder load on first use."""
    global _model
    with _model_lock:
        if _model is None:
            from inbox.triage.model import ModelTriage  # why: numpy and the weights load only where the model tier runs

            _model = ModelTriage()
        return _model


def tier_named(name: str) -> TriageTier:
    if name == "fast":
        return fast_tier()
    if name == "model":
        return model_tier()
    raise ValueError(f"Unknown triage tier {name!r}; use fast or model.")
