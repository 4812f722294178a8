"""Crisis signals: per-minute rollups against a baseline that learns each hour of the week.

Pure reading and arithmetic, no writes: `signals_evaluate` reads `inbox.MentionMinuteStat` only (one
aggregate query per brand and run), never the mentions one by one.

For every brand and topic ("" is everything) and every signal (volume, negative share, complaints,
high-reach authors, and reach: the mentions weighted by their authors' followers and their
engagement, `inbox.stats.reach_weight`, so that a few very loud voices count) the baseline is the
mean and standard deviation of the same hour of the week in the last four weeks, or of the last two
hours while that history is short, blended with a prior so a cold start behaves. A signal fires
when it stays above max(mean + k·σ, minimum) for N consecutive complete minutes (k and N come from
the sensitivity); a brand's watch terms' topic has lower floors.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min, Q, Sum

from inbox.models import MentionMinuteStat
from inbox.triage.topics import WATCH_TOPIC
from playbooks.models import AlertSignal, CrisisLevel

ALL_TOPICS = ""
WEEKS_OF_HISTORY = 4
HOUR_OF_WEEK_HALF_WINDOW = timedelta(minutes=30)
RECENT_WINDOW_MINUTES = 120
MIN_HOUR_OF_WEEK_SAMPLES = 60
PRIOR_WEIGHT_MINUTES = 30
COUNT_FIELDS = ("volume", "negative", "complaints", "high_reach", "reach")


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
    # Sum of reach weights a minute: an ordinary author weighs about 1, a million followers about 11.
    AlertSignal.REACH: SignalRule(prior_mean=3.0, prior_std=3.0, minimum=15),
}
# A brand's watch terms are rare by design: their topic fires on a lower floor.
WATCH_MINIMUMS: dict[str, float] = {AlertSignal.VOLUME: 3.0, AlertSignal.REACH: 8.0}


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
    # The signal's value in each minute of the window, oldest first: "now" against the baseline.
    window_values: tuple[float, ...] = ()

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


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _series(brand: str, ranges: list[tuple[datetime, datetime]]) -> dict[str, dict[datetime, list[float]]]:
    """Counts per topic and minute (all channels summed) over the given ranges, in one query."""
    condition = Q()
    for start, end in ranges:
        condition |= Q(minute__gte=start, minute__lt=end)
    rows = (
        MentionMinuteStat.objects.filter(condition, brand=brand)
        .values("topic", "minute")
        .annotate(**{name: Sum(name) for name in COUNT_FIELDS})
    )
    series: dict[str, dict[datetime, list[float]]] = defaultdict(dict)
    for row in rows:
        series[row["topic"]][row["minute"]] = [row[name] or 0 for name in COUNT_FIELDS]
    return series


def _value(counts: list[float] | None, signal: str, rule: SignalRule) -> float | None:
    """The signal's value in one minute; None when a share has too little volume to mean anything."""
    volume, negative, complaints, high_reach, reach = counts or [0, 0, 0, 0, 0.0]
    if signal == AlertSignal.REACH:
        return float(reach)
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
    *, minutes_by_source: dict[str, list[datetime]], series: dict[datetime, list[float]], signal: str
) -> Baseline:
    """Hour-of-week history when there is enough, else the recent past, always blended with the prior."""
    rule = RULES[signal]
    samples: list[float] = []
    source = "prior"
    for name in ("hour_of_week", "recent"):
        found = [_value(series.get(minute), signal, rule) for minute in minutes_by_source.get(name, [])]
        values = [value for value in found if value is not None]
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
    current_end = floor_minute(now)
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
        topic: int(sum((counts.get(minute) or [0])[0] for minute in window))
        for topic, counts in series.items()
        if topic != ALL_TOPICS
    }
    window_volume = sum((everything.get(minute) or [0, 0])[0] for minute in window)
    window_negative = sum((everything.get(minute) or [0, 0])[1] for minute in window)
    firings = []
    for topic, topic_series in series.items():
        for signal, rule in RULES.items():
            found = [_value(topic_series.get(minute), signal, rule) for minute in window]
            values = [value for value in found if value is not None]
            if len(values) < len(found):
                continue
            baseline = baseline_for(minutes_by_source=minutes_by_source, series=topic_series, signal=signal)
            minimum = WATCH_MINIMUMS.get(signal, rule.minimum) if topic == WATCH_TOPIC else rule.minimum
            threshold = baseline.threshold(k=sensitivity.k, minimum=minimum)
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
                        window_values=tuple(values),
                    )
                )
    return firings


