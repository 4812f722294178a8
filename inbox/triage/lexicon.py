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
from typing import NamedTuple

from inbox.triage.patterns import (
    BREAK,
    CLAUSE_BREAK,
    NEGATION_SCOPE,
    NEGATORS,
    clause_tokens,
    contact_hits,
    inflected_phrase_openings,
    inflected_phrase_regex,
    negated_at,
    negated_before,
    stem,
    word_openings,
)

DATA_DIR = Path(__file__).resolve().parent / "data"

URL = re.compile(r"https?://\S+|www\.\S+")
HANDLE = re.compile(r"@\w+")
HASHTAG = re.compile(r"#(\w+)", re.UNICODE)
TOKEN = re.compile(r"\w+", re.UNICODE)
# Words between a negator and what it negates that put it out of VADER's three-word reach.
FILLER = re.compile(r"(?<!\w)(?:a single|one single|even a|even one)(?!\w)", re.IGNORECASE)
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2764]")

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
    "giveaway",
    "grievance",
    "question_start",
    "urgent_ask",
    "compensation",
)
# A negator before these cancels them: "nunca un problema", "sin problemas", "never had an issue".
NEGATABLE = frozenset({"grievance", "outage"})


class Feeling(NamedTuple):
    """A lexicon's verdict: compound score in [-1, 1], word counts, and the words as found (a few)."""

    score: float
    positive: int
    negative: int
    positive_words: tuple[str, ...] = ()
    negative_words: tuple[str, ...] = ()
    # Negative words a negator turned ("nunca un problema"): the model tier tends to mishear them.
    negated_negatives: int = 0


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


@dataclass(frozen=True, eq=False)
class SpanishLexicon:
    words: dict[str, float]
    stems: dict[str, float]
    phrases: tuple[tuple[str, float], ...]
    emoji: dict[str, float]
    # Snowball stems of the whole words (5+ letters, one polarity); the phrases with inflected words.
    word_stems: dict[str, float]
    inflected_phrases: re.Pattern[str] | None

    def valence(self, token: str) -> float:
        return _valence(self, token)


@lru_cache(maxsize=65536)
def _valence(lexicon: SpanishLexicon, token: str) -> float:
    """A word's valence: as listed, by a listed stem, as the plural or other gender of a listed word
    ("lamentables", "pesima"), or by its Snowball stem ("decepcionados" → decepcion-)."""
    value = lexicon.words.get(token)
    if value is not None:
        return value
    for length in range(len(token), 2, -1):
        value = lexicon.stems.get(token[:length])
        if value is not None:
            return value
    for variant in _inflections(token):
        value = lexicon.words.get(variant)
        if value is not None:
            return value
    if len(token) > 4:
        return lexicon.word_stems.get(stem(token), 0.0)
    return 0.0


def _inflections(token: str) -> tuple[str, ...]:
    variants = []
    if token.endswith("es") and len(token) > 4:
        variants.append(token[:-2])
    if token.endswith("s") and len(token) > 3:
        variants.append(token[:-1])
    for base in (token, *variants):
        if base.endswith("a"):
            variants.append(base[:-1] + "o")
    return tuple(variants)


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
    by_stem: dict[str, float] = {}
    mixed: set[str] = set()
    for word, value in words.items():
        root = stem(word)
        if len(root) < 5 or word in NEGATORS:
            continue
        if root in by_stem and (by_stem[root] > 0) != (value > 0):
            mixed.add(root)
        by_stem.setdefault(root, value)
    inflected = [
        f"(?P<p{index}>{regex})"
        for index, (phrase, _) in enumerate(phrases)
        if (regex := inflected_phrase_regex(phrase.strip(), prefix_last=False)) is not None
    ]
    return SpanishLexicon(
        words=words,
        stems=stems,
        phrases=tuple(phrases),
        emoji=emoji,
        word_stems={root: value for root, value in by_stem.items() if root not in mixed},
        inflected_phrases=re.compile(r"(?<!\w)(?:" + "|".join(inflected) + ")") if inflected else None,
    )


class SignalPattern(NamedTuple):
    """A signal's phrases as one alternation, and the first characters one of them must start with.

    Python's `re` tries every alternative at every word start, so a text is first checked for the
    openings: a signal none of whose phrases can start in it is not searched at all (most texts name
    two or three signals of thirteen). `openings` is None when some phrase could start anywhere.
    """

    pattern: re.Pattern[str]
    openings: frozenset[str] | None


@lru_cache(maxsize=1)
def signal_patterns() -> dict[str, SignalPattern]:
    """One compiled alternation per signal; a phrase matches where a word starts."""
    raw = json.loads((DATA_DIR / "signals.json").read_text(encoding="utf-8"))
    patterns = {}
    for name in SIGNALS:
        regexes, openings = zip(*(_phrase_regex_and_openings(phrase) for phrase in raw[name]), strict=True)
        patterns[name] = SignalPattern(
            re.compile(r"(?<!\w)(?:" + "|".join(regexes) + ")"),
            None if None in openings else frozenset().union(*openings),
        )
    return patterns


def _phrase_regex_and_openings(phrase: str) -> tuple[str, frozenset[str] | None]:
    """The phrase's regex (a phrase of several words inflected: "prestamos rapidos") and its openings."""
    folded = fold(phrase)
    inflected = inflected_phrase_regex(folded.strip(" .,"), prefix_last=not folded.endswith((" ", ".", ",")))
    if inflected is not None:
        return inflected, inflected_phrase_openings(folded.strip(" .,"))
    literal = folded.rstrip(" .,")
    return _phrase_regex(phrase), frozenset({literal[:3]}) if len(literal) >= 2 else None


def _phrase_regex(phrase: str) -> str:
    """ "ocu " is a whole word; "factur" is a stem that also takes factura, facturación…"""
    folded = fold(phrase)
    if folded.endswith((" ", ".", ",")):
        return re.escape(folded.rstrip(" .,")) + r"\b"
    return re.escape(folded) + r"\w*"


def signal_hits(folded: str) -> dict[str, list[str]]:
    """Which phrases of each signal occur in already folded text.

    Handles are dropped first ("is @telco down" is "is down"); phrases of several words match on
    stems as well ("prestamos rapidos"); a grievance or outage inside a negator's scope does not
    count ("nunca un problema", "sin problemas"); WhatsApp or Telegram as a contact is a spam sign.
    """
    padded = " ".join(FILLER.sub(" ", HANDLE.sub(" ", folded)).split()) + " "
    hits: dict[str, list[str]] = {}
    openings = word_openings(padded)
    for name, signal in signal_patterns().items():
        if signal.openings is not None and signal.openings.isdisjoint(openings):
            continue
        found = set()
        for match in signal.pattern.finditer(padded):
            phrase = match.group().strip(" .,")
            if name in NEGATABLE and phrase.split()[0] not in NEGATORS and negated_before(padded[: match.start()]):
                continue
            found.add(phrase)
        if found:
            hits[name] = sorted(found)
    contacts = contact_hits(folded)
    if contacts:
        hits["spam"] = sorted({*hits.get("spam", []), *contacts})
    return hits


def _normalise(score: float) -> float:
    return score / math.sqrt(score * score + 15.0)


def _counted(words: list[str], limit: int = 3) -> tuple[str, ...]:
    return tuple(dict.fromkeys(words))[:limit]


def spanish_score(text: str, folded: str) -> Feeling:
    """VADER-like compound in [-1, 1] for Spanish-family text, with negation, intensifiers and "pero".

    A negator reverses the words in its scope (the next three, up to punctuation) and then carries
    no feeling of its own: "nunca un problema" is mildly positive, "no está mal" too.
    """
    lexicon = spanish_lexicon()
    clean = HANDLE.sub(" ", URL.sub(" ", folded))
    tokens = clause_tokens(clean)
    original_tokens = TOKEN.findall(HANDLE.sub(" ", URL.sub(" ", text)))
    shouting = [token.isupper() and len(token) > 2 for token in original_tokens]
    if shouting and all(shouting):
        shouting = [False] * len(shouting)
    values, shown, negated_negatives = _word_values(lexicon, tokens, shouting)
    positive_words = [shown.get(index, tokens[index]) for index, value in values.items() if value > 0]
    negative_words = [shown.get(index, tokens[index]) for index, value in values.items() if value < 0]
    total = sum(values.values())
    padded = " " + " ".join(token for token in tokens if token != BREAK) + " "
    inflected = lexicon.inflected_phrases
    found = {int(m.lastgroup[1:]) for m in inflected.finditer(padded) if m.lastgroup} if inflected else set()
    for index, (phrase, value) in enumerate(lexicon.phrases):
        if phrase in padded or index in found:
            total += value
            (positive_words if value > 0 else negative_words).append(phrase.strip())
    for char in EMOJI.findall(text):
        value = lexicon.emoji.get(char, 0.0)
        total += value
        if value:
            (positive_words if value > 0 else negative_words).append(char)
    if total:
        total += math.copysign(min(text.count("!"), 4) * 0.292, total)
    return Feeling(
        round(_normalise(total), 4),
        len(positive_words),
        len(negative_words),
        _counted(positive_words),
        _counted(negative_words),
        negated_negatives,
    )


def _word_values(
    lexicon: SpanishLexicon, tokens: list[str], shouting: list[bool]
) -> tuple[dict[int, float], dict[int, str], int]:
    """Each feeling word's weighed valence by token index, the negated ones as shown ("no esta mal"),
    and how many negative words a negator turned. A negator that turned a word loses its own valence."""
    words = [token for token in tokens if token != BREAK]
    contrast_at = next((index for index, token in enumerate(words) if token in CONTRAST), None)
    values: dict[int, float] = {}
    shown: dict[int, str] = {}
    spent_negators: set[int] = set()
    negated_negatives = 0
    word_index = -1
    for index, token in enumerate(tokens):
        if token == BREAK:
            continue
        word_index += 1
        value = lexicon.valence(token)
        if not value:
            continue
        if any(word in INTENSIFIERS for word in words[max(0, word_index - 2) : word_index]):
            value *= 1.3
        negator = negated_at(tokens, index) if token not in NEGATORS else None
        if negator is not None:
            negated_negatives += value < 0
            value *= -0.74
            spent_negators.add(negator)
            shown[index] = " ".join(tokens[negator : index + 1])
        if word_index < len(shouting) and shouting[word_index]:
            value *= 1.25
        if contrast_at is not None:
            value *= 0.5 if word_index < contrast_at else 1.5
        values[index] = value
    for index in spent_negators:
        values.pop(index, None)
    return values, shown, negated_negatives


@lru_cache(maxsize=1)
def english_analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # why: it imports requests; English only

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(dict(_read_tsv("lexicon_en_domain.tsv")))
    return analyzer


def english_score(text: str) -> Feeling:
    """VADER compound for English; handles and links are dropped first (they carry no feeling).
    The words listed are VADER's own, outside a negator's scope."""
    clean = FILLER.sub(" ", HANDLE.sub(" ", URL.sub(" ", text)))
    analyzer = english_analyzer()
    scores = analyzer.polarity_scores(clean)
    positive = round(scores["pos"] * 10)
    negative = round(scores["neg"] * 10)
    positive_words: list[str] = []
    negative_words: list[str] = []
    negated_negatives = 0
    lexicon = analyzer.lexicon
    for clause in CLAUSE_BREAK.split(clean.lower()):
        words = TOKEN.findall(clause)
        for index, token in enumerate(words):
            value = lexicon.get(token)
            if not value or token in NEGATORS:
                continue
            if NEGATORS.isdisjoint(words[max(0, index - NEGATION_SCOPE) : index]):
                (positive_words if value > 0 else negative_words).append(token)
            else:
                negated_negatives += value < 0
    return Feeling(
        round(scores["compound"], 4),
        positive,
        negative,
        _counted(positive_words),
        _counted(negative_words),
        negated_negatives,
    )


def hashtags(text: str) -> list[str]:
    return sorted({"#" + fold(tag) for tag in HASHTAG.findall(text)})
