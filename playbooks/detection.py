"""Crisis detection: per-minute rollups against a baseline that learns each hour of the week.

Detection reads `inbox.MentionMinuteStat` only (one aggregate query per brand and run), never the
mentions one by one; sample mentions for the explanation are fetched once, when an alert opens.

For every brand and topic ("" is everything) and every signal (volume, negative share, complaints,
high-reach authors) the baseline is the mean and standard deviation of the same hour of the week in
the last four weeks, or of the last two hours while that history is short, blended with a prior so a
cold start behaves. A signal fires when it stays above max(mean + k·σ, minimum) for N consecutive
complete minutes (k and N come from the sensitivity). One open alert per brand + signal + topic is
kept and refreshed while it lasts; a closed one is not reopened during the cool-down.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min, Q, Sum
from django.utils import timezone

from inbox.models import Mention, MentionMinuteStat
from playbooks.models import Alert, AlertSignal, AlertStatus, CrisisLevel, CrisisType

ALL_TOPICS = ""
WEEKS_OF_HISTORY = 4
HOUR_OF_WEEK_HALF_WINDOW = timedelta(minutes=30)
RECENT_WINDOW_MINUTES = 120
MIN_HOUR_OF_WEEK_SAMPLES = 60
PRIOR_WEIGHT_MINUTES = 30
EXPLANATION_SAMPLE = 200
COUNT_FIELDS = ("volume", "negative", "complaints", "high_reach")


@dataclass(frozen=True)
class Sensitivity:
    k: float
    persistence: int


SENSITIVITIES = {
    "low": Sensitivity(k=4.0, persistence=3),
    "medium": Sensitivity(k=3.0, persistence=2),
    "high": Sensitivity(k=2.0, persistence=1),
}


@dataclass(frozen=True)
class SignalRule:
    """The prior is what a quiet brand looks like before any history exists."""

    prior_mean: float
    prior_std: float
    minimum: float
    is_share: bool = False
    min_volume: int = 0


RULES: dict[str, SignalRule] = {
    AlertSignal.VOLUME: SignalRule(prior_mean=3.0, prior_std=2.0, minimum=10),
    AlertSignal.NEGATIVE_SHARE: SignalRule(
        prior_mean=0.35, prior_std=0.12, minimum=0.5, is_share=True, min_volume=10
    ),
    AlertSignal.COMPLAINTS: SignalRule(prior_mean=2.0, prior_std=1.5, minimum=8),
    AlertSignal.HIGH_REACH: SignalRule(prior_mean=0.2, prior_std=0.5, minimum=3),
}

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


def sensitivity_current() -> Sensitivity:
    return SENSITIVITIES.get(getattr(settings, "DETECTION_SENSITIVITY", "medium"), SENSITIVITIES["medium"])


@dataclass
class Baseline:
    mean: float
    std: float
    samples: int
    source: str

    def threshold(self, *, k: float, minimum: float) -> float:
        return max(self.mean + k * self.std, minimum)


@dataclass
class Firing:
    brand: str
    signal: str
    topic: str
    observed: float
    baseline: Baseline
    threshold: float
    window: tuple[datetime, datetime]
    topic_volumes: dict[str, int] = field(default_factory=dict)
    negative_share_now: float = 0.0

    @property
    def severity(self) -> int:
        ratio = max(self.observed / self.threshold, 1.0) if self.threshold > 0 else 1.0
        return max(1, min(10, 1 + round(2.5 * math.log2(ratio))))


def level_for_severity(severity: int) -> int:
    if severity >= 8:
        return CrisisLevel.SEVERE
    if severity >= 5:
        return CrisisLevel.CRISIS
    return CrisisLevel.WATCH


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _series(brand: str, ranges: list[tuple[datetime, datetime]]) -> dict[str, dict[datetime, list[int]]]:
    """Counts per topic and minute (all channels summed) over the given ranges, in one query."""
    condition = Q()
    for start, end in ranges:
        condition |= Q(minute__gte=start, minute__lt=end)
    rows = (
        MentionMinuteStat.objects.filter(condition, brand=brand)
        .values("topic", "minute")
        .annotate(**{name: Sum(name) for name in COUNT_FIELDS})
    )
    series: dict[str, dict[datetime, list[int]]] = defaultdict(dict)
    for row in rows:
        series[row["topic"]][row["minute"]] = [row[name] or 0 for name in COUNT_FIELDS]
    return series


def _value(counts: list[int] | None, signal: str, rule: SignalRule) -> float | None:
    """The signal's value in one minute; None when a share has too little volume to mean anything."""
    volume, negative, complaints, high_reach = counts or [0, 0, 0, 0]
    if signal == AlertSignal.VOLUME:
        return float(volume)
    if signal == AlertSignal.COMPLAINTS:
        return float(complaints)
    if signal == AlertSignal.HIGH_REACH:
        return float(high_reach)
    if volume < rule.min_volume:
        return None
    return negative / volume


def _minutes(start: datetime, end: datetime, *, since: datetime | None) -> list[datetime]:
    first = max(start, since) if since else start
    count = max(0, int((end - first).total_seconds() // 60))
    return [first + timedelta(minutes=index) for index in range(count)]


def _stats(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    variance = sum((value - mean) ** 2 for value in values) / len(values)
    return mean, math.sqrt(variance)


def baseline_for(
    *, minutes_by_source: dict[str, list[datetime]], series: dict[datetime, list[int]], signal: str
) -> Baseline:
    """Hour-of-week history when there is enough, else the recent past, always blended with the prior."""
    rule = RULES[signal]
    samples: list[float] = []
    source = "prior"
    for name in ("hour_of_week", "recent"):
        values = [_value(series.get(minute), signal, rule) for minute in minutes_by_source.get(name, [])]
        values = [value for value in values if value is not None]
        if name == "hour_of_week" and len(values) < MIN_HOUR_OF_WEEK_SAMPLES:
            continue
        if values:
            samples, source = values, name
            break
    if not samples:
        return Baseline(mean=rule.prior_mean, std=rule.prior_std, samples=0, source="prior")
    sample_mean, sample_std = _stats(samples)
    weight = len(samples) / (len(samples) + PRIOR_WEIGHT_MINUTES)
    mean = weight * sample_mean + (1 - weight) * rule.prior_mean
    std = weight * sample_std + (1 - weight) * rule.prior_std
    std_floor = 0.05 if rule.is_share else math.sqrt(max(mean, 1.0))
    return Baseline(mean=mean, std=max(std, std_floor), samples=len(samples), source=source)


def signals_evaluate(*, brand: str, now: datetime, sensitivity: Sensitivity | None = None) -> list[Firing]:
    """Which signals of one brand are above their baseline for the last N complete minutes."""
    sensitivity = sensitivity or sensitivity_current()
    current_end = _floor_minute(now)
    current_start = current_end - timedelta(minutes=sensitivity.persistence)
    recent_start = current_start - timedelta(minutes=RECENT_WINDOW_MINUTES)
    weekly = [
        (
            current_end - timedelta(weeks=week) - HOUR_OF_WEEK_HALF_WINDOW,
            current_end - timedelta(weeks=week) + HOUR_OF_WEEK_HALF_WINDOW,
        )
        for week in range(1, WEEKS_OF_HISTORY + 1)
    ]
    since = MentionMinuteStat.objects.filter(brand=brand).aggregate(first=Min("minute"))["first"]
    if since is None:
        return []
    series = _series(brand, [(recent_start, current_end), *weekly])
    minutes_by_source = {
        "hour_of_week": [minute for start, end in weekly for minute in _minutes(start, end, since=since)],
        "recent": _minutes(recent_start, current_start, since=since),
    }
    window = _minutes(current_start, current_end, since=None)
    everything = series.get(ALL_TOPICS, {})
    topic_volumes = {
        topic: sum((counts.get(minute) or [0])[0] for minute in window)
        for topic, counts in series.items()
        if topic != ALL_TOPICS
    }
    window_volume = sum((everything.get(minute) or [0, 0])[0] for minute in window)
    window_negative = sum((everything.get(minute) or [0, 0])[1] for minute in window)
    firings = []
    for topic, topic_series in series.items():
        for signal, rule in RULES.items():
            values = [_value(topic_series.get(minute), signal, rule) for minute in window]
            if any(value is None for value in values):
                continue
            baseline = baseline_for(minutes_by_source=minutes_by_source, series=topic_series, signal=signal)
            threshold = baseline.threshold(k=sensitivity.k, minimum=rule.minimum)
            if all(value > threshold for value in values):
                firings.append(
                    Firing(
                        brand=brand,
                        signal=signal,
                        topic=topic,
                        observed=values[-1],
                        baseline=baseline,
                        threshold=threshold,
                        window=(current_start, current_end),
                        topic_volumes=topic_volumes,
                        negative_share_now=window_negative / window_volume if window_volume else 0.0,
                    )
                )
    return firings


def type_suggest(*, topic: str, topic_volumes: dict[str, int], texts: list[str]) -> str:
    """Technical for outages, commercial for billing and prices, institutional for posts and tragedies."""
    if topic in TOPIC_TYPES:
        return TOPIC_TYPES[topic]
    scores: Counter = Counter()
    for name, volume in topic_volumes.items():
        if name in TOPIC_TYPES:
            scores[TOPIC_TYPES[name]] += volume
    lowered = [text.lower() for text in texts]
    for crisis_type, words in TYPE_WORDS.items():
        scores[crisis_type] += sum(1 for text in lowered if any(word in text for word in words)) * 0.5
    if not scores or scores.most_common(1)[0][1] == 0:
        return CrisisType.INSTITUTIONAL
    return scores.most_common(1)[0][0]


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


def _samples(brand: str, window: tuple[datetime, datetime]) -> list[dict[str, Any]]:
    return list(
        Mention.objects.filter(channel__brand=brand, received_at__gte=window[0], received_at__lt=window[1])
        .order_by("-priority", "-id")
        .values("id", "text", "priority", "sentiment", "author__handle", "author__followers")[
            :EXPLANATION_SAMPLE
        ]
    )


def alerts_detect(*, now: datetime | None = None) -> list[Alert]:
    """Evaluate every brand with recent rollups; open, refresh or close alerts. Safe to run twice.

    Returns the alerts opened by this run. Emits `alert.new` (on commit) for each.
    """
    from playbooks import services

    now = now or timezone.now()
    sensitivity = sensitivity_current()
    recent = _floor_minute(now) - timedelta(minutes=sensitivity.persistence + 1)
    brands = set(
        MentionMinuteStat.objects.filter(minute__gte=recent).values_list("brand", flat=True).distinct()
    )
    opened: list[Alert] = []
    cooldown = timedelta(minutes=getattr(settings, "DETECTION_COOLDOWN_MINUTES", 15))
    for brand in sorted(brands):
        samples: list[dict[str, Any]] | None = None
        for firing in signals_evaluate(brand=brand, now=now, sensitivity=sensitivity):
            with transaction.atomic():
                alert = (
                    Alert.objects.select_for_update()
                    .filter(brand=brand, signal=firing.signal, topic=firing.topic, status=AlertStatus.OPEN)
                    .first()
                )
                if alert is not None:
                    alert.last_seen_at = now
                    alert.observed = firing.observed
                    alert.severity = max(alert.severity, firing.severity)
                    alert.suggested_level = max(alert.suggested_level, level_for_severity(alert.severity))
                    alert.save(update_fields=["last_seen_at", "observed", "severity", "suggested_level"])
                    continue
                cooling = Alert.objects.filter(
                    brand=brand, signal=firing.signal, topic=firing.topic, closed_at__gt=now - cooldown
                ).exists()
                if cooling:
                    continue
                if samples is None:
                    samples = _samples(brand, firing.window)
                try:
                    with transaction.atomic():
                        alert = services.alert_open(
                            firing=firing,
                            explanation=explanation_build(firing, samples=samples),
                            suggested_type=type_suggest(
                                topic=firing.topic,
                                topic_volumes=firing.topic_volumes,
                                texts=[sample["text"] for sample in samples],
                            ),
                            suggested_level=level_for_severity(firing.severity),
                            now=now,
                        )
                except IntegrityError:
                    continue
                opened.append(alert)
    services.alerts_close_quiet(now=now)
    return opened
