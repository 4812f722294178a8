"""Lexicons and phrase signals, loaded once from `inbox/triage/data/`.

Matching works on lower-cased text without accents, so "caída", "caida" and "CAÍDA" are one word.
English sentiment is VADER (its lexicon ships in the wheel) with a few brand-support words added;
Spanish, Portuguese and Catalan use our own VADER-like scorer over `lexicon_es.tsv`.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

URL = re.compile(r"https?://\S+|www\.\S+")
HANDLE = re.compile(r"@\w+")
HASHTAG = re.compile(r"#(\w+)", re.UNICODE)
TOKEN = re.compile(r"\w+", re.UNICODE)
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2764]")

NEGATORS = frozenset({"no", "nunca", "ni", "tampoco", "nada", "sin", "jamas", "nao", "nem", "mai"})
INTENSIFIERS = frozenset(
    {
        "muy",
        "super",
        "tan",
        "demasiado",
        "totalmente",
        "absolutamente",
        "realmente",
        "bastante",
        "increiblemente",
        "mucho",
        "muchisimo",
        "fatalmente",
        "completamente",
        "molt",
        "muito",
    }
)
CONTRAST = frozenset({"pero", "aunque", "sino", "porem"})
SIGNALS = (
    "outage",
    "billing",
    "account",
    "legal",
    "media",
    "tragedy",
    "insult",
    "spam",
    "grievance",
    "question_start",
    "urgent_ask",
)


def fold(text: str) -> str:
    """Lower-case and drop accents (ñ becomes n), keeping emoji and punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _read_tsv(name: str) -> list[tuple[str, float]]:
    rows = []
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, value = line.rsplit("\t", 1)
        rows.append((word.strip(), float(value)))
    return rows


@dataclass(frozen=True)
class SpanishLexicon:
    words: dict[str, float]
    stems: dict[str, float]
    phrases: tuple[tuple[str, float], ...]
    emoji: dict[str, float]

    def valence(self, token: str) -> float:
        value = self.words.get(token)
        if value is not None:
            return value
        for length in range(len(token), 2, -1):
            value = self.stems.get(token[:length])
            if value is not None:
                return value
        return 0.0


@lru_cache(maxsize=1)
def spanish_lexicon() -> SpanishLexicon:
    words: dict[str, float] = {}
    stems: dict[str, float] = {}
    phrases: list[tuple[str, float]] = []
    for entry, value in _read_tsv("lexicon_es.tsv"):
        if " " in entry:
            phrases.append((f" {entry} ", value))
        elif entry.endswith("*"):
            stems[entry[:-1]] = value
        else:
            words[entry] = value
    emoji = dict(_read_tsv("emoji.tsv"))
    return SpanishLexicon(words=words, stems=stems, phrases=tuple(phrases), emoji=emoji)


@lru_cache(maxsize=1)
def signal_patterns() -> dict[str, re.Pattern[str]]:
    """One compiled alternation per signal; a phrase matches where a word starts."""
    raw = json.loads((DATA_DIR / "signals.json").read_text(encoding="utf-8"))
    return {
        name: re.compile(r"(?<!\w)(?:" + "|".join(_phrase_regex(p) for p in raw[name]) + ")")
        for name in SIGNALS
    }


def _phrase_regex(phrase: str) -> str:
    """ "ocu " is a whole word; "factur" is a stem that also takes factura, facturación…"""
    folded = fold(phrase)
    if folded.endswith((" ", ".", ",")):
        return re.escape(folded.rstrip(" .,")) + r"\b"
    return re.escape(folded) + r"\w*"


def signal_hits(folded: str) -> dict[str, list[str]]:
    """Which phrases of each signal occur in already folded text (padded so trailing-space stems match)."""
    padded = folded + " "
    hits: dict[str, list[str]] = {}
    for name, pattern in signal_patterns().items():
        found = pattern.findall(padded)
        if found:
            hits[name] = sorted({phrase.strip(" .,") for phrase in found})
    return hits


def _normalise(score: float) -> float:
    return score / math.sqrt(score * score + 15.0)


def spanish_score(text: str, folded: str) -> tuple[float, int, int]:
    """VADER-like compound in [-1, 1] for Spanish-family text, with negation, intensifiers and "pero".

    Returns (compound, positive word count, negative word count).
    """
    lexicon = spanish_lexicon()
    clean = HANDLE.sub(" ", URL.sub(" ", folded))
    tokens = TOKEN.findall(clean)
    original_tokens = TOKEN.findall(HANDLE.sub(" ", URL.sub(" ", text)))
    shouting = [token.isupper() and len(token) > 2 for token in original_tokens]
    all_caps = bool(shouting) and all(shouting)
    contrast_at = next((index for index, token in enumerate(tokens) if token in CONTRAST), None)
    total = 0.0
    positive = negative = 0
    for index, token in enumerate(tokens):
        value = lexicon.valence(token)
        if not value:
            continue
        window = tokens[max(0, index - 3) : index]
        if any(word in INTENSIFIERS for word in window[-2:]):
            value *= 1.3
        if any(word in NEGATORS for word in window) and token not in NEGATORS:
            value *= -0.74
        if index < len(shouting) and shouting[index] and not all_caps:
            value *= 1.25
        if contrast_at is not None:
            value *= 0.5 if index < contrast_at else 1.5
        total += value
        positive += value > 0
        negative += value < 0
    padded = " " + " ".join(tokens) + " "
    for phrase, value in lexicon.phrases:
        if phrase in padded:
            total += value
            positive += value > 0
            negative += value < 0
    for char in EMOJI.findall(text):
        value = lexicon.emoji.get(char, 0.0)
        total += value
        positive += value > 0
        negative += value < 0
    if total:
        total += math.copysign(min(text.count("!"), 4) * 0.292, total)
    return round(_normalise(total), 4), positive, negative


@lru_cache(maxsize=1)
def english_analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # why: it imports requests; English only

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(dict(_read_tsv("lexicon_en_domain.tsv")))
    return analyzer


def english_score(text: str) -> tuple[float, int, int]:
    """VADER compound for English; handles and links are dropped first (they carry no feeling)."""
    clean = HANDLE.sub(" ", URL.sub(" ", text))
    scores = english_analyzer().polarity_scores(clean)
    positive = round(scores["pos"] * 10)
    negative = round(scores["neg"] * 10)
    return round(scores["compound"], 4), positive, negative


def hashtags(text: str) -> list[str]:
    return sorted({"#" + fold(tag) for tag in HASHTAG.findall(text)})
