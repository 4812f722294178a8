"""The reasons triage gives, "Label: detail", and the check that they never contradict the label.

Each label is a message id marked with `gettext_noop`, so it is in the catalogue; the detail (the
words as found) is not translated. `reason_display` translates the label when a page shows it.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from inbox.triage.base import TriageResult

R_LEGAL = gettext_noop("Legal threat")
R_MEDIA = gettext_noop("Press or media")
R_OUTAGE = gettext_noop("Outage")
R_BILLING = gettext_noop("Billing")
R_COMPENSATION = gettext_noop("Asks for compensation")
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
R_SARCASM = gettext_noop("Sarcasm")
R_POSITIVE_WORDS = gettext_noop("Positive words")
R_NEGATIVE_WORDS = gettext_noop("Negative words")

# What a mention that needs no answer from the brand must never be told to be.
ESCALATING = (R_LEGAL, R_MEDIA, R_OUTAGE, R_BILLING, R_COMPENSATION, R_ACCOUNT, R_TRAGEDY, R_URGENT)
# Reasons that say a person is unhappy: a praise never carries one.
UNHAPPY = (R_VERY_NEGATIVE, R_SARCASM, R_NEGATIVE_WORDS, R_INSULTS, R_INSULTS_GRIEVANCE, *ESCALATING)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "spam": (R_INSULTS, R_INSULTS_GRIEVANCE, R_POSITIVE_WORDS, R_NEGATIVE_WORDS, R_SARCASM, *ESCALATING),
    "troll": (R_INSULTS_GRIEVANCE, R_POSITIVE_WORDS, R_SPAM, *ESCALATING),
    "praise": (*UNHAPPY, R_SPAM),
    "complaint": (R_INSULTS, R_POSITIVE_WORDS, R_SPAM),
    "question": (R_INSULTS, R_SPAM),
    "other": (R_INSULTS, R_SPAM),
}


def reason_label(reason: str) -> str:
    return reason.split(": ", 1)[0]


def reason_display(reason: str) -> str:
    """The reason with its label translated into the active language (the detail stays as found)."""
    label, sep, detail = reason.partition(": ")
    return f"{gettext(label)}{sep}{detail}"


def reason_problems(result: TriageResult) -> list[str]:
    """Why a result's reasons or action contradict its labels; empty when they agree."""
    labels = [reason_label(reason) for reason in result.reasons]
    problems = [f"{result.category} with reason {label!r}" for label in labels if label in FORBIDDEN[result.category]]
    if result.category == "spam" and R_SPAM not in labels:
        problems.append("spam without a spam reason")
    if (result.suggested_action == "ignore") != (result.category in ("spam", "troll")):
        problems.append(f"{result.category} with action {result.suggested_action}")
    if result.category == "praise" and result.sentiment == "negative":
        problems.append("praise with a negative sentiment")
    if result.category == "complaint" and labels and all(label == R_POSITIVE_WORDS for label in labels):
        problems.append("complaint with only praise reasons")
    if R_VERY_NEGATIVE in labels and result.sentiment != "negative":
        problems.append(f"{result.sentiment} but 'Very negative'")
    return problems


def reasons_consistent(result: TriageResult) -> bool:
    return not reason_problems(result)
