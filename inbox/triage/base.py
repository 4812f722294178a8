"""The triage interface: any tier takes a batch of inputs and returns one result per input."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class TriageInput:
    text: str
    language: str = ""
    followers: int = 0
    verified: bool = False
    account_age_days: int | None = None
    previous_mentions: int = 0
    hidden_as_troll: int = 0
    in_open_crisis: bool = False


@dataclass(slots=True)
class TriageResult:
    language: str
    sentiment: str
    sentiment_score: float
    category: str
    priority: int
    suggested_action: str
    suggested_department: str = ""
    reasons: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    tier: str = "fast"


class TriageTier(Protocol):
    name: str

    def triage_batch(self, inputs: list[TriageInput]) -> list[TriageResult]: ...
