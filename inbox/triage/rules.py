"""Signals read from a text and the rules every tier shares for priority, action and reasons.

A tier decides sentiment and category its own way; who to hand the mention to and how urgent it
is stay the same rules, so a better model changes labels, not policy. Reasons are short strings
"Label: detail" whose label is a translatable message id (see `reasons.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_noop

from inbox.triage.base import TriageInput, TriageResult
from inbox.triage.language import detect
from inbox.triage.lexicon import HANDLE, URL, english_score, fold, hashtags, signal_hits, spanish_score

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
NEW_ACCOUNT_DAYS = 30
REPEATS_AT = 2

BASE_PRIORITY = {"complaint": 40, "question": 30, "other": 15, "praise": 10, "troll": 5, "spam": 0}
LOW_VALUE = ("troll", "spam")

R_LEGAL = gettext_noop("Legal threat")
R_MEDIA = gettext_noop("Press or media")
R_OUTAGE = gettext_noop("Outage")
R_BILLING = gettext_noop("Billing")
R_ACCOUNT = gettext_noop("Personal account data")
R_TRAGEDY = gettext_noop("Tragedy sensitivity")
R_REACH = gettext_noop("High reach")
R_VERIFIED = gettext_noop("Verified author")
R_CRISIS = gettext_noop("Open crisis")
R_URGENT = gettext_noop("Asks for urgency")
R_INSULTS = gettext_noop("Insults without a concrete grievance")
R_INSULTS_GRIEVANCE = gettext_noop("Insults, but with a real grievance")
R_HIDDEN = gettext_noop("Author hidden as troll before")
R_NEW_ACCOUNT = gettext_noop("New account")
R_REPEATS = gettext_noop("Repeats the same message")
R_SPAM = gettext_noop("Spam")
R_VERY_NEGATIVE = gettext_noop("Very negative")


@dataclass(slots=True)
class Signals:
    language: str
    hits: dict[str, list[str]]
    topics: list[str]
    links: int
    is_question: bool
    lexicon_score: float
    lexicon_positive: int
    lexicon_negative: int
    troll_reasons: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.hits

    @property
    def grievance(self) -> bool:
        return any(self.has(name) for name in ("outage", "billing", "account", "legal", "grievance"))


def lexicon_sentiment(text: str, folded: str, language: str) -> tuple[float, int, int]:
    if language == "en":
        return english_score(text)
    return spanish_score(text, folded)


def read_signals(item: TriageInput, *, low_accuracy: bool = True) -> Signals:
    folded = fold(item.text)
    language = detect(item.text, given=item.language, low_accuracy=low_accuracy)
    hits = signal_hits(folded)
    score, positive, negative = lexicon_sentiment(item.text, folded, language)
    stripped = HANDLE.sub(" ", folded).strip().lstrip("¿¡ ")
    is_question = (
        "?" in folded
        or "¿" in folded
        or (
            "question_start" in hits and any(stripped.startswith(phrase) for phrase in hits["question_start"])
        )
    )
    named = item.vocabulary.topics_in(folded) if item.vocabulary is not None else []
    topics = named + hashtags(item.text)
    signals = Signals(
        language=language,
        hits=hits,
        topics=topics,
        links=len(URL.findall(item.text)),
        is_question=is_question,
        lexicon_score=score,
        lexicon_positive=positive,
        lexicon_negative=negative,
    )
    signals.troll_reasons = _troll_reasons(item, signals)
    return signals


def _troll_reasons(item: TriageInput, signals: Signals) -> list[str]:
    reasons = []
    if signals.has("insult"):
        reasons.append(R_INSULTS_GRIEVANCE if signals.grievance else R_INSULTS)
    if item.hidden_as_troll:
        reasons.append(f"{R_HIDDEN}: {item.hidden_as_troll}×")
    if item.account_age_days is not None and item.account_age_days < NEW_ACCOUNT_DAYS:
        reasons.append(f"{R_NEW_ACCOUNT}: {item.account_age_days} d")
    if item.recent_repeats >= REPEATS_AT:
        reasons.append(f"{R_REPEATS}: {item.recent_repeats}×")
    return reasons


def sentiment_label(score: float) -> str:
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def is_spam(signals: Signals) -> bool:
    spam = signals.hits.get("spam", [])
    many_tags = sum(topic.startswith("#") for topic in signals.topics) >= 4
    return (
        bool(spam)
        and (signals.links > 0 or many_tags or len(spam) >= 2)
        or (signals.links >= 2 and many_tags)
    )


def is_troll(item: TriageInput, signals: Signals, sentiment: str) -> bool:
    """Trolls insult without a concrete grievance, or an author already hidden as troll keeps at it."""
    if signals.grievance:
        return False
    if signals.has("insult"):
        return True
    new_account = item.account_age_days is not None and item.account_age_days < NEW_ACCOUNT_DAYS
    repeats = item.recent_repeats >= REPEATS_AT
    if item.hidden_as_troll >= 2:
        return True
    if item.hidden_as_troll and (new_account or repeats):
        return True
    return sentiment == "negative" and new_account and repeats


def rule_category(item: TriageInput, signals: Signals, sentiment: str, score: float) -> str:
    """The fast tier's category: first spam and trolls, then what the words and the feeling say."""
    if is_spam(signals):
        return "spam"
    if is_troll(item, signals, sentiment):
        return "troll"
    strong = signals.has("outage") or signals.has("legal")
    if sentiment == "negative" and (signals.grievance or score <= -0.5 or not signals.is_question):
        return "complaint"
    if strong and score < 0.3 and not signals.is_question:
        return "complaint"
    if signals.is_question:
        return "question"
    if sentiment == "positive":
        return "praise"
    if signals.has("billing") or signals.has("account") or strong:
        return "complaint"
    return "other"


def _reach_points(item: TriageInput) -> tuple[int, list[str]]:
    points, reasons = 0, []
    if item.followers >= 100_000:
        points = 25
    elif item.followers >= 10_000:
        points = 15
    elif item.followers >= 1_000:
        points = 5
    if points >= 15:
        reasons.append(f"{R_REACH}: {_compact(item.followers)}")
    if item.verified:
        points += 10
        reasons.append(R_VERIFIED)
    return min(points, 30), reasons


def _compact(number: int) -> str:
    if number >= 1_000_000:
        return f"{number / 1_000_000:.1f}M"
    return f"{number // 1000}k"


def _detail(signals: Signals, name: str) -> str:
    return ", ".join(signals.hits[name][:3])


def decide(
    item: TriageInput, signals: Signals, *, sentiment: str, score: float, category: str, tier: str
) -> TriageResult:
    """Priority 0–100, suggested action and department, and the reasons that fired."""
    reasons: list[str] = []
    priority = BASE_PRIORITY[category]
    if sentiment == "negative":
        priority += round(15 * min(1.0, abs(score)))
        if score <= -0.75 and category not in LOW_VALUE:
            reasons.append(R_VERY_NEGATIVE)
    for name, points, label in (
        ("legal", 25, R_LEGAL),
        ("media", 15, R_MEDIA),
        ("tragedy", 15, R_TRAGEDY),
        ("outage", 10, R_OUTAGE),
        ("billing", 0, R_BILLING),
        ("account", 0, R_ACCOUNT),
        ("urgent_ask", 5, R_URGENT),
    ):
        if signals.has(name) and category not in LOW_VALUE and category != "praise":
            priority += points
            reasons.append(f"{label}: {_detail(signals, name)}")
    reach, reach_reasons = _reach_points(item)
    priority += reach
    reasons += reach_reasons
    if item.in_open_crisis:
        priority += 15 if category not in LOW_VALUE else 5
        reasons.append(R_CRISIS)
    if category == "spam":
        reasons.append(f"{R_SPAM}: {_detail(signals, 'spam')}" if signals.has("spam") else R_SPAM)
    if category == "troll" or signals.troll_reasons:
        reasons += signals.troll_reasons
    if category in LOW_VALUE:
        priority = min(priority, 20)
    action, department = _action(signals, category)
    return TriageResult(
        language=signals.language,
        sentiment=sentiment,
        sentiment_score=round(score, 3),
        category=category,
        priority=max(0, min(100, priority)),
        suggested_action=action,
        suggested_department=department,
        reasons=reasons,
        topics=list(signals.topics),
        tier=tier,
    )


def _action(signals: Signals, category: str) -> tuple[str, str]:
    if category in LOW_VALUE:
        return "ignore", ""
    if category == "praise":
        return "reply", ""
    if signals.has("legal"):
        return "escalate", "juridico"
    if signals.has("outage"):
        return "escalate", "tecnica"
    if signals.has("tragedy") or signals.has("media"):
        return "escalate", "comunicacion"
    if signals.has("billing"):
        return "customer_service", "comercial"
    if signals.has("account"):
        return "customer_service", "atencion-cliente"
    if category in ("complaint", "question"):
        return "reply", ""
    return "watch", ""
