"""A brand's topics and watch terms as one matcher over folded text: which topics a mention is about.

Pure: built from plain values (`inbox.vocabulary` reads them from `BrandVocabulary`), so every tier
and test can use it without the database. Terms match where a word starts, like the signal
lexicon ("factur" also takes factura, facturación; a trailing space makes a whole word).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from inbox.triage.lexicon import DATA_DIR, _phrase_regex, fold

# The topic a watch term tags: detection watches it like any topic, with a lower floor.
WATCH_TOPIC = "watch"
TOPIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _alternation(terms: Iterable[str]) -> re.Pattern[str] | None:
    parts = [_phrase_regex(term) for term in terms if term.strip()]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")") if parts else None


@dataclass(frozen=True)
class TopicMatcher:
    """Compiled topics ((name, pattern), …) and watch terms of one brand."""

    topics: tuple[tuple[str, re.Pattern[str]], ...] = ()
    watch: re.Pattern[str] | None = None

    def topics_in(self, folded: str) -> list[str]:
        """The topic names whose terms occur in already folded text; `watch` when a watch term does."""
        padded = folded + " "
        found = [name for name, pattern in self.topics if pattern.search(padded)]
        if self.watch is not None and self.watch.search(padded):
            found.append(WATCH_TOPIC)
        return found

    def watch_terms_in(self, folded: str) -> list[str]:
        """The watch terms found in already folded text (for an alert's explanation)."""
        if self.watch is None:
            return []
        return sorted({term.strip(" .,") for term in self.watch.findall(folded + " ")})


def topic_matcher(*, topics: Iterable[Mapping[str, Any]], watch_terms: Iterable[str]) -> TopicMatcher:
    """Compile a vocabulary (as stored: [{"name", "terms": [...]}], [...]) into a matcher."""
    compiled = []
    for topic in topics:
        pattern = _alternation(str(term) for term in topic.get("terms", []))
        if pattern is not None and topic.get("name"):
            compiled.append((str(topic["name"]), pattern))
    return TopicMatcher(topics=tuple(compiled), watch=_alternation(str(term) for term in watch_terms))


@lru_cache(maxsize=1)
def demo_vocabulary() -> dict[str, Any]:
    """The demo telecom brand's topics (outage, billing, tragedy) and watch terms: demo data, not defaults."""
    data: dict[str, Any] = json.loads((DATA_DIR / "demo_vocabulary.json").read_text(encoding="utf-8"))
    return data


def demo_topic_matcher() -> TopicMatcher:
    vocabulary = demo_vocabulary()
    return topic_matcher(topics=vocabulary["topics"], watch_terms=vocabulary["watch_terms"])


def term_folded(term: str) -> str:
    """A term as it is matched: lower case, no accents, single spaces."""
    return " ".join(fold(term).split())
