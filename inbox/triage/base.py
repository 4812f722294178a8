"""The triage interface: any tier takes a batch of inputs and returns one result per input."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from inbox.triage.topics import TopicMatcher


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
    # How many other mentions the same author sent with this same text lately (the refine service knows).
    recent_repeats: int = 0
    # The brand's topics and watch terms (`inbox.vocabulary`); without them a mention's topics are its hashtags.
    vocabulary: TopicMatcher | None = None


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
    # The model tier's probability for the category it chose; None when rules decided (the fast tier,
    # or a rule that overrode the model: spam, troll history, sarcasm).
    confidence: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class TriageTier(Protocol):
    name: str

    def triage_batch(self, inputs: list[TriageInput]) -> list[TriageResult]: ...
