"""Signals read from a text and the rules every tier shares for priority, action and reasons.

A tier decides sentiment and category its own way; who to hand the mention to and how urgent it
is stay the same rules, so a better model changes labels, not policy. Reasons are short strings
"Label: detail" whose label is a translatable message id (see `reasons.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from inbox.triage.base import TriageInput, TriageResult
from inbox.triage.language import detect
from inbox.triage.lexicon import HANDLE, URL, Feeling, english_score, fold, hashtags, signal_hits, spanish_score
from inbox.triage.patterns import phones, sarcasm_hits
from inbox.triage.reasons import (
    R_ACCOUNT,
    R_BILLING,
    R_COMPENSATION,
    R_CRISIS,
    R_HIDDEN,
    R_INSULTS,
    R_INSULTS_GRIEVANCE,
    R_LEGAL,
    R_MEDIA,
    R_NEGATIVE_WORDS,
    R_NEW_ACCOUNT,
    R_OUTAGE,
    R_POSITIVE_WORDS,
    R_REACH,
    R_REPEATS,
    R_SARCASM,
    R_SPAM,
    R_TRAGEDY,
    R_URGENT,
    R_VERIFIED,
    R_VERY_NEGATIVE,
)

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
NEW_ACCOUNT_DAYS = 30
REPEATS_AT = 2
# Sarcasm turns the lexicon's score at least this negative ("Genial, otra vez sin luz").
SARCASM_SCORE = -0.4

BASE_PRIORITY = {"complaint": 40, "question": 30, "other": 15, "praise": 10, "troll": 5, "spam": 0}
LOW_VALUE = ("troll", "spam")


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
    folded: str = ""
    positive_words: tuple[str, ...] = ()
    negative_words: tuple[str, ...] = ()
    negated_negatives: int = 0
    sarcasm: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.hits

    @property
    def grievance(self) -> bool:
        return any(self.has(name) for name in ("outage", "billing", "account", "legal", "grievance", "compensation"))


def lexicon_sentiment(text: str, folded: str, language: str) -> Feeling:
    if language == "en":
        return english_score(text)
    return spanish_score(text, folded)


def read_signals(item: TriageInput, *, low_accuracy: bool = True) -> Signals:
    folded = fold(item.text)
    language = detect(item.text, given=item.language, low_accuracy=low_accuracy)
    hits = signal_hits(folded)
    feeling = lexicon_sentiment(item.text, folded, language)
    sarcasm = sarcasm_hits(folded)
    score, positive_words, negative_words = feeling.score, feeling.positive_words, feeling.negative_words
    if sarcasm:
        # The praise words are the complaint: they count against, and the score is clearly negative.
        score = min(SARCASM_SCORE, -abs(score))
        positive_words, negative_words = (), (*negative_words, *positive_words)[:3]
    stripped = HANDLE.sub(" ", folded).strip().lstrip("¿¡ ")
    is_question = (
        "?" in folded
        or "¿" in folded
        or ("question_start" in hits and any(stripped.startswith(phrase) for phrase in hits["question_start"]))
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
        lexicon_positive=feeling.positive if not sarcasm else 0,
        lexicon_negative=feeling.negative + (feeling.positive if sarcasm else 0),
        positive_words=positive_words,
        negative_words=negative_words,
        negated_negatives=feeling.negated_negatives,
        folded=folded,
        sarcasm=sarcasm,
        phones=phones(item.text),
    )
    signals.troll_reasons = _troll_reasons(item, signals)
    return signals


def _troll_reasons(item: TriageInput, signals: Signals) -> list[str]:
    """Author history; the insult reason depends on the final category and is added by `decide`."""
    reasons = []
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


def spam_evidence(signals: Signals) -> int:
    """Spam phrases (a WhatsApp/Telegram contact among them), plus one for a giveaway of 2+ phrases and
    one more for 3+ ("Sorteo!! Sigue a… y gana… #regalo")."""
    giveaway = len(signals.hits.get("giveaway", []))
    return len(signals.hits.get("spam", [])) + (giveaway >= 2) + (giveaway >= 3)


def is_spam(signals: Signals) -> bool:
    """Two pieces of evidence, or one with a link, many hashtags or a phone number to write to."""
    evidence = spam_evidence(signals)
    many_tags = sum(topic.startswith("#") for topic in signals.topics) >= 4
    extras = signals.links > 0 or many_tags or bool(signals.phones)
    return evidence >= 2 or (evidence >= 1 and extras) or (signals.links >= 2 and many_tags)


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
    # A question is a complaint when it is clearly negative or names an outage, a bill or a lawyer;
    # "How do I cancel my contract?" stays a question.
    pointed = strong or signals.has("billing") or signals.has("compensation") or score <= -0.5
    if sentiment == "negative" and (not signals.is_question or pointed):
        return "complaint"
    if strong and score < 0.3 and not signals.is_question:
        return "complaint"
    if signals.is_question:
        return "question"
    if sentiment == "positive":
        return "praise"
    if strong or signals.sarcasm or ((signals.has("billing") or signals.has("account")) and _personal(signals)):
        return "complaint"
    return "other"


PERSONAL = re.compile(r"(?<!\w)(?:me|mi|mis|nos|my|i|we|our|us|meu|minha)(?!\w)")


def _personal(signals: Signals) -> bool:
    """The author speaks about their own bill or account ("me han cobrado", "my bill"), not news."""
    return bool(PERSONAL.search(signals.folded))


def rules_over_model(
    item: TriageInput, signals: Signals, *, sentiment: str, score: float, category: str
) -> tuple[str, float, str]:
    """The model tier's (sentiment, score, category) once the shared rules have had their say.

    Spam patterns and author history win; sarcasm is a negative complaint whatever the model
    heard; a praise needs a positive sentiment and a question a question, otherwise the rules
    pick the category for the model's sentiment ("me han cobrado dos veces la factura" is not a
    question).
    """
    if is_spam(signals):
        return sentiment, score, "spam"
    if is_troll(item, signals, sentiment):
        return sentiment, score, "troll"
    if signals.sarcasm and sentiment != "negative":
        sentiment, score = "negative", min(SARCASM_SCORE, -abs(score))
    elif sentiment == "negative" and _only_negated_negatives(signals):
        sentiment, score = sentiment_label(signals.lexicon_score), signals.lexicon_score
        if category == "complaint":
            category = rule_category(item, signals, sentiment, score)
    if category == "other" and sentiment == "negative" and signals.lexicon_score <= NEGATIVE_AT:
        category = rule_category(item, signals, sentiment, score)
    if category == "troll" and signals.grievance and not signals.has("insult"):
        category = rule_category(item, signals, sentiment, score)
    if (category == "praise" and sentiment != "positive") or (category == "question" and not signals.is_question):
        category = rule_category(item, signals, sentiment, score)
    if signals.sarcasm and category == "praise":
        category = "complaint"
    return sentiment, score, category


def _only_negated_negatives(signals: Signals) -> bool:
    """Every negative word is negated ("no está mal", "never had a single problem"), the lexicon comes
    out positive and nothing is wrong (no grievance left): the model's negative there is the negation
    it did not hear. With a grievance ("seguís sin decir nada… ni un triste café") the model stands."""
    return (
        signals.negated_negatives > 0
        and not signals.negative_words
        and signals.lexicon_score >= POSITIVE_AT
        and not (signals.grievance or signals.has("insult") or signals.sarcasm)
    )


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
    item: TriageInput,
    signals: Signals,
    *,
    sentiment: str,
    score: float,
    category: str,
    tier: str,
    confidence: float | None = None,
) -> TriageResult:
    """Priority 0–100, suggested action and department, and the reasons that fired (never against the label)."""
    reasons: list[str] = []
    priority = BASE_PRIORITY[category]
    if sentiment == "negative":
        priority += round(15 * min(1.0, abs(score)))
        if score <= -0.75 and category not in LOW_VALUE and category != "praise":
            reasons.append(R_VERY_NEGATIVE)
    for name, points, label in (
        ("legal", 25, R_LEGAL),
        ("media", 15, R_MEDIA),
        ("tragedy", 15, R_TRAGEDY),
        ("outage", 10, R_OUTAGE),
        ("billing", 0, R_BILLING),
        ("compensation", 0, R_COMPENSATION),
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
    reasons += _label_reasons(signals, category, sentiment)
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
        confidence=None if confidence is None else round(confidence, 3),
    )


def _label_reasons(signals: Signals, category: str, sentiment: str) -> list[str]:
    """The reasons that explain the category itself, chosen by it so they can never contradict it."""
    reasons: list[str] = []
    if category == "spam":
        evidence = [*signals.hits.get("spam", []), *signals.hits.get("giveaway", []), *signals.phones]
        reasons.append(f"{R_SPAM}: {', '.join(evidence[:3])}" if evidence else R_SPAM)
        return reasons
    if signals.has("insult"):
        reasons.append(R_INSULTS if category == "troll" else R_INSULTS_GRIEVANCE)
    reasons += signals.troll_reasons
    if category == "praise" and signals.positive_words:
        reasons.append(f"{R_POSITIVE_WORDS}: {', '.join(signals.positive_words)}")
    if category in ("complaint", "question", "other") and signals.sarcasm:
        reasons.append(f"{R_SARCASM}: {', '.join(signals.sarcasm[:2])}")
    if category == "complaint" and sentiment == "negative" and signals.negative_words and not signals.sarcasm:
        reasons.append(f"{R_NEGATIVE_WORDS}: {', '.join(signals.negative_words)}")
    return reasons


def _action(signals: Signals, category: str) -> tuple[str, str]:
    if category in LOW_VALUE:
        return "ignore", ""
    if category == "praise":
        return "reply", ""
    if signals.has("legal"):
        return "escalate", "juridico"
    # A question about being paid back for an outage is for the commercial team, not the technicians.
    if signals.has("compensation"):
        return "customer_service", "comercial"
    if signals.has("outage"):
        return "escalate", "tecnica"
    if signals.has("tragedy") or signals.has("media"):
        return "escalate", "comunicacion"
    if category not in ("complaint", "question"):
        return "watch", ""
    if signals.has("billing"):
        return "customer_service", "comercial"
    if signals.has("account"):
        return "customer_service", "atencion-cliente"
    return "reply", ""
