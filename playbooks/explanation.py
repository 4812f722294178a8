"""Why an alert fired, in words: the crisis type it suggests, and the terms, clusters, authors and
mentions behind it, with the baseline against now.

Nothing here knows a business: the crisis type comes from the brand's own topics (each may name
the type it suggests, `inbox.vocabulary`), the terms from the mentions themselves.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from inbox.models import MentionCluster
from inbox.stats import reach_weight
from inbox.triage.lexicon import fold
from inbox.triage.topics import topic_matcher
from inbox.vocabulary import Vocabulary
from playbooks.baselines import RULES, Firing
from playbooks.models import AlertSignal, CrisisType

STOPWORDS = frozenset(
    "de la el en y a que los las del se por un una con no es mi me lo al para ya nadie sin desde hace esto "
    "the is a to and of in on my no it for this what".split()
)
WORD = re.compile(r"[#@]?\w[\w'-]+", re.UNICODE)
TOP_TERMS = 8
TOP_CLUSTERS = 3
EXAMPLES = 5


def type_suggest(*, topic: str, topic_volumes: dict[str, int], texts: list[str], vocabulary: Vocabulary) -> str:
    """The crisis type the brand's topics point at: the alert's own topic's, else the one whose topics
    carry most of the window's volume and most of the sample texts; institutional when none says."""
    types = vocabulary.topic_types()
    if topic in types:
        return types[topic]
    scores: dict[str, float] = defaultdict(float)
    for name, volume in topic_volumes.items():
        if name in types:
            scores[types[name]] += volume
    matcher = topic_matcher(topics=vocabulary.topics, watch_terms=[])
    for text in texts:
        for name in matcher.topics_in(fold(text)):
            if name in types:
                scores[types[name]] += 0.5
    if not scores:
        return CrisisType.INSTITUTIONAL
    best, score = max(scores.items(), key=lambda pair: pair[1])
    return best if score and best in CrisisType.values else CrisisType.INSTITUTIONAL


def _weight(sample: dict[str, Any]) -> float:
    return reach_weight(followers=sample.get("author__followers") or 0, engagement=sample.get("engagement") or 0)


def _top_terms(samples: list[dict[str, Any]], brand: str) -> list[str]:
    brand_words = {brand.lower(), f"@{brand.lower()}"}
    terms: Counter = Counter()
    for sample in samples:
        terms.update(
            word
            for word in WORD.findall(sample["text"].lower())
            if word not in STOPWORDS and word not in brand_words and len(word) > 2
        )
    return [term for term, _ in terms.most_common(TOP_TERMS)]


def _top_clusters(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversations most of the window's mentions belong to (one query, for an opening alert only)."""
    counts = Counter(sample["cluster_id"] for sample in samples if sample.get("cluster_id"))
    ids = [cluster_id for cluster_id, _ in counts.most_common(TOP_CLUSTERS)]
    clusters = {
        row["id"]: row
        for row in MentionCluster.objects.filter(pk__in=ids).values(
            "id", "representative_text", "mention_count", "reach"
        )
    }
    return [
        {
            "id": cluster_id,
            "text": clusters[cluster_id]["representative_text"][:200],
            "in_window": counts[cluster_id],
            "mentions": clusters[cluster_id]["mention_count"],
            "reach": clusters[cluster_id]["reach"],
        }
        for cluster_id in ids
        if cluster_id in clusters
    ]


def _examples(firing: Firing, samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mentions that explain the signal best: the loudest for reach, the most urgent otherwise."""
    if firing.signal in (AlertSignal.REACH, AlertSignal.HIGH_REACH):
        ranked = sorted(samples, key=lambda sample: -_weight(sample))
    else:
        ranked = sorted(samples, key=lambda sample: -sample["priority"])
    return [
        {
            "id": sample["id"],
            "text": sample["text"][:280],
            "handle": sample.get("author__handle") or "",
            "followers": sample.get("author__followers") or 0,
            "engagement": sample.get("engagement") or 0,
        }
        for sample in ranked[:EXAMPLES]
    ]


def explanation_build(firing: Firing, *, samples: list[dict[str, Any]], vocabulary: Vocabulary) -> dict[str, Any]:
    """Top terms, clusters, topics and authors, example mentions and the baseline against now: why this fired."""
    authors = sorted(
        {sample["author__handle"]: sample["author__followers"] for sample in samples}.items(),
        key=lambda pair: -pair[1],
    )[:5]
    matcher = topic_matcher(topics=[], watch_terms=vocabulary.watch_terms)
    watch_hits = sorted({term for sample in samples for term in matcher.watch_terms_in(fold(sample["text"]))})
    mean = firing.baseline.mean
    return {
        "window": [firing.window[0].isoformat(), firing.window[1].isoformat()],
        "baseline": {
            "mean": round(mean, 3),
            "std": round(firing.baseline.std, 3),
            "source": firing.baseline.source,
            "samples": firing.baseline.samples,
        },
        "now": {
            "observed": round(firing.observed, 3),
            "threshold": round(firing.threshold, 3),
            "per_minute": [round(value, 3) for value in firing.window_values],
            "times_baseline": round(firing.observed / mean, 1) if mean > 0 else None,
        },
        "top_terms": _top_terms(samples, firing.brand),
        "top_clusters": _top_clusters(samples),
        "top_topics": [
            topic for topic, volume in sorted(firing.topic_volumes.items(), key=lambda p: -p[1]) if volume
        ][:5],
        "watch_terms": watch_hits[:10],
        "top_authors": [{"handle": handle, "followers": followers} for handle, followers in authors],
        "sample_mentions": _examples(firing, samples),
        "negative_share_now": round(firing.negative_share_now, 3),
        "negative_share_baseline": RULES[AlertSignal.NEGATIVE_SHARE].prior_mean,
    }
