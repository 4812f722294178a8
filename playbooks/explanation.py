"""Why an alert fired, in words: the crisis type it suggests and the terms, topics and authors behind it."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from playbooks.baselines import RULES, Firing
from playbooks.models import AlertSignal, CrisisType

TOPIC_TYPES = {
    "outage": CrisisType.TECHNICAL,
    "billing": CrisisType.COMMERCIAL,
    "tragedy": CrisisType.INSTITUTIONAL,
}
TYPE_WORDS = {
    CrisisType.TECHNICAL: (
        "sin servicio",
        "caída",
        "caida",
        "caído",
        "avería",
        "sin cobertura",
        "sin internet",
        "sin línea",
        "outage",
        "down",
        "no signal",
    ),
    CrisisType.COMMERCIAL: (
        "factura",
        "cobro",
        "cobrado",
        "cargo",
        "precio",
        "promoción",
        "tarifa",
        "oferta",
        "billing",
        "charged",
        "price",
    ),
    CrisisType.INSTITUTIONAL: (
        "tuit",
        "tweet",
        "publicación",
        "luto",
        "víctimas",
        "tragedia",
        "respeto",
        "insensible",
        "valores",
        "vergonzoso",
        "#felizviernes",
    ),
}
STOPWORDS = frozenset(
    "de la el en y a que los las del se por un una con no es mi me lo al para ya nadie sin desde hace esto "
    "the is a to and of in on my no it for this what".split()
)
WORD = re.compile(r"[#@]?\w[\w'-]+", re.UNICODE)


def type_suggest(*, topic: str, topic_volumes: dict[str, int], texts: list[str]) -> str:
    """Technical for outages, commercial for billing and prices, institutional for posts and tragedies."""
    if topic in TOPIC_TYPES:
        return TOPIC_TYPES[topic]
    scores: dict[str, float] = defaultdict(float)
    for name, volume in topic_volumes.items():
        if name in TOPIC_TYPES:
            scores[TOPIC_TYPES[name]] += volume
    lowered = [text.lower() for text in texts]
    for crisis_type, words in TYPE_WORDS.items():
        scores[crisis_type] += sum(1 for text in lowered if any(word in text for word in words)) * 0.5
    best, score = max(scores.items(), key=lambda pair: pair[1])
    return best if score else CrisisType.INSTITUTIONAL


def explanation_build(firing: Firing, *, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Top terms, topics and authors, a few sample mentions and the sentiment shift: why this fired."""
    brand_words = {firing.brand.lower(), f"@{firing.brand.lower()}"}
    terms: Counter = Counter()
    for sample in samples:
        terms.update(
            word
            for word in WORD.findall(sample["text"].lower())
            if word not in STOPWORDS and word not in brand_words and len(word) > 2
        )
    authors = sorted(
        {sample["author__handle"]: sample["author__followers"] for sample in samples}.items(),
        key=lambda pair: -pair[1],
    )[:5]
    ranked = sorted(samples, key=lambda sample: -sample["priority"])[:5]
    return {
        "window": [firing.window[0].isoformat(), firing.window[1].isoformat()],
        "baseline": {
            "mean": round(firing.baseline.mean, 3),
            "std": round(firing.baseline.std, 3),
            "source": firing.baseline.source,
            "samples": firing.baseline.samples,
        },
        "top_terms": [term for term, _ in terms.most_common(8)],
        "top_topics": [
            topic for topic, volume in sorted(firing.topic_volumes.items(), key=lambda p: -p[1]) if volume
        ][:5],
        "top_authors": [{"handle": handle, "followers": followers} for handle, followers in authors],
        "sample_mentions": [{"id": sample["id"], "text": sample["text"][:280]} for sample in ranked],
        "negative_share_now": round(firing.negative_share_now, 3),
        "negative_share_baseline": RULES[AlertSignal.NEGATIVE_SHARE].prior_mean,
    }


