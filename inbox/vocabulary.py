"""Each brand's vocabulary: read once per ingested batch, saved from its page, seeded for the demo brand.

Triage tags a mention with the topics whose terms it contains (`inbox.triage.topics`), the minute
rollups count per topic, and detection reads those rollups and the topics' crisis types. A brand
without a vocabulary tags only hashtags: no words of another business are assumed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from inbox.models_topics import BrandVocabulary
from inbox.triage.topics import TOPIC_NAME, WATCH_TOPIC, TopicMatcher, demo_vocabulary, term_folded, topic_matcher

MAX_TOPICS = 30
MAX_TERMS = 200
MAX_TERM_LENGTH = 80


class VocabularyError(ValueError):
    """A vocabulary that cannot be saved; the message says why, in the reader's language."""


@dataclass(frozen=True)
class Vocabulary:
    """A brand's vocabulary as plain values (empty for a brand nobody configured)."""

    brand: str
    topics: list[dict[str, Any]] = field(default_factory=list)
    watch_terms: list[str] = field(default_factory=list)

    def matcher(self) -> TopicMatcher:
        """Compiled once per distinct vocabulary and process (ingestion asks for it every batch)."""
        return _matcher_for(json.dumps([self.topics, self.watch_terms], sort_keys=True))

    def topic_types(self) -> dict[str, str]:
        """Topic name → the crisis type it suggests (only topics that name one)."""
        return {topic["name"]: topic["crisis_type"] for topic in self.topics if topic.get("crisis_type")}


@lru_cache(maxsize=64)
def _matcher_for(key: str) -> TopicMatcher:
    topics, watch_terms = json.loads(key)
    return topic_matcher(topics=topics, watch_terms=watch_terms)


def brand_vocabulary(*, brand: str) -> Vocabulary:
    row = BrandVocabulary.objects.filter(brand=brand).values("topics", "watch_terms").first()
    if row is None:
        return Vocabulary(brand=brand)
    return Vocabulary(brand=brand, topics=list(row["topics"] or []), watch_terms=list(row["watch_terms"] or []))


def _terms_clean(terms: list[str], *, what: str) -> list[str]:
    cleaned: list[str] = []
    for term in terms:
        stripped = term.strip()
        if not stripped:
            continue
        if len(stripped) > MAX_TERM_LENGTH:
            raise VocabularyError(
                _("“%(term)s…” is too long: a term has at most 80 characters.") % {"term": stripped[:20]}
            )
        # A trailing full stop means "the whole word": kept, the folded rest is what is matched.
        ending = "." if stripped.endswith(".") else ""
        folded = term_folded(stripped.rstrip("."))
        if folded and folded + ending not in cleaned:
            cleaned.append(folded + ending)
    if len(cleaned) > MAX_TERMS:
        raise VocabularyError(_("%(what)s has more than 200 terms.") % {"what": what})
    return cleaned


def vocabulary_clean(*, topics: list[dict[str, Any]], watch_terms: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Validate and normalise a vocabulary; raises VocabularyError saying what is wrong."""
    cleaned: list[dict[str, Any]] = []
    names: set[str] = set()
    for topic in topics:
        name = str(topic.get("name", "")).strip().lower()
        if not TOPIC_NAME.match(name) or name == WATCH_TOPIC:
            raise VocabularyError(
                _("“%(name)s” cannot name a topic: use lower-case letters, digits, - or _ (not “watch”).")
                % {"name": name[:40]}
            )
        if name in names:
            raise VocabularyError(_("The topic “%(name)s” appears twice.") % {"name": name})
        names.add(name)
        terms = _terms_clean([str(term) for term in topic.get("terms", [])], what=name)
        if not terms:
            raise VocabularyError(_("The topic “%(name)s” needs at least one term.") % {"name": name})
        cleaned.append({"name": name, "crisis_type": str(topic.get("crisis_type") or ""), "terms": terms})
    if len(cleaned) > MAX_TOPICS:
        raise VocabularyError(_("A brand has at most 30 topics."))
    return cleaned, _terms_clean([str(term) for term in watch_terms], what=_("Watch terms"))


def brand_vocabulary_save(
    *, brand: str, topics: list[dict[str, Any]], watch_terms: list[str], actor: User | None
) -> BrandVocabulary:
    """Replace a brand's vocabulary (validated); audited with what changed. New mentions use it at once."""
    topics, watch_terms = vocabulary_clean(topics=topics, watch_terms=watch_terms)
    with transaction.atomic():
        row, _created = BrandVocabulary.objects.select_for_update(no_key=True).get_or_create(brand=brand)
        before = {"topics": [topic["name"] for topic in row.topics], "watch_terms": len(row.watch_terms)}
        row.topics, row.watch_terms, row.updated_by = topics, watch_terms, actor
        row.save()
        audit_record(
            actor=actor,
            verb="brand.vocabulary_save",
            target=row,
            data={
                "before": before,
                "after": {"topics": [topic["name"] for topic in topics], "watch_terms": len(watch_terms)},
            },
        )
    return row


def brand_vocabulary_seed_demo(*, brand: str) -> None:
    """The demo brand's telecom topics and watch terms, unless the brand already has a vocabulary."""
    if not BrandVocabulary.objects.filter(brand=brand).exists():
        data = demo_vocabulary()
        brand_vocabulary_save(brand=brand, topics=data["topics"], watch_terms=data["watch_terms"], actor=None)
