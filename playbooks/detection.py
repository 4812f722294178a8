"""Crisis detection: the beat's run that turns signals above their baseline into alerts.

The signals and baselines are computed in `playbooks.baselines`, the explanation in
`playbooks.explanation`; sample mentions for the explanation are fetched once, when an alert opens.
One open alert per brand + signal + topic is kept and refreshed while it lasts; a closed one is not
reopened during the cool-down.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from inbox.models import Mention, MentionMinuteStat
from inbox.vocabulary import Vocabulary, brand_vocabulary
from playbooks import services
from playbooks.baselines import Firing, floor_minute, level_for_severity, sensitivity_current, signals_evaluate
from playbooks.explanation import explanation_build, type_suggest
from playbooks.models import Alert, AlertStatus

EXPLANATION_SAMPLE = 200

__all__ = ["alerts_detect", "signals_evaluate"]


def _samples(brand: str, window: tuple[datetime, datetime]) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in Mention.objects.filter(
            channel__brand=brand, received_at__gte=window[0], received_at__lt=window[1]
        )
        .order_by("-priority", "-id")
        .values(
            "id", "text", "priority", "sentiment", "engagement", "cluster_id", "author__handle", "author__followers"
        )[:EXPLANATION_SAMPLE]
    ]


def _alert_refresh(firing: Firing, *, now: datetime) -> bool:
    """Under lock: refresh the open alert for this signal if there is one; True if there was."""
    alert = (
        Alert.objects.select_for_update(no_key=True)
        .filter(brand=firing.brand, signal=firing.signal, topic=firing.topic, status=AlertStatus.OPEN)
        .first()
    )
    if alert is None:
        return False
    alert.last_seen_at = now
    alert.observed = firing.observed
    alert.severity = max(alert.severity, firing.severity)
    alert.suggested_level = max(alert.suggested_level, level_for_severity(alert.severity))
    alert.save(update_fields=["last_seen_at", "observed", "severity", "suggested_level"])
    return True


def _alert_open(
    firing: Firing, *, samples: list[dict[str, Any]], vocabulary: Vocabulary, now: datetime
) -> Alert | None:
    """Open the alert; None if a concurrent run opened it first (the one-open-alert constraint)."""
    try:
        with transaction.atomic():
            return services.alert_open(
                firing=firing,
                explanation=explanation_build(firing, samples=samples, vocabulary=vocabulary),
                suggested_type=type_suggest(
                    topic=firing.topic,
                    topic_volumes=firing.topic_volumes,
                    texts=[sample["text"] for sample in samples],
                    vocabulary=vocabulary,
                ),
                suggested_level=level_for_severity(firing.severity),
                now=now,
            )
    except IntegrityError:
        return None


def _brand_detect(brand: str, *, now: datetime, cooldown: timedelta) -> list[Alert]:
    opened: list[Alert] = []
    samples: list[dict[str, Any]] | None = None
    vocabulary = brand_vocabulary(brand=brand)
    for firing in signals_evaluate(brand=brand, now=now, sensitivity=sensitivity_current()):
        with transaction.atomic():
            if _alert_refresh(firing, now=now):
                continue
            cooling = Alert.objects.filter(
                brand=brand, signal=firing.signal, topic=firing.topic, closed_at__gt=now - cooldown
            ).exists()
            if cooling:
                continue
            if samples is None:
                samples = _samples(brand, firing.window)
            alert = _alert_open(firing, samples=samples, vocabulary=vocabulary, now=now)
            if alert is not None:
                opened.append(alert)
    return opened


def alerts_detect(*, now: datetime | None = None) -> list[Alert]:
    """Evaluate every brand with recent rollups; open, refresh or close alerts. Safe to run twice.

    Returns the alerts opened by this run. Emits `alert.new` (on commit) for each.
    """
    now = now or timezone.now()
    recent = floor_minute(now) - timedelta(minutes=sensitivity_current().persistence + 1)
    brands = set(
        MentionMinuteStat.objects.filter(minute__gte=recent).values_list("brand", flat=True).distinct()
    )
    cooldown = timedelta(minutes=getattr(settings, "DETECTION_COOLDOWN_MINUTES", 15))
    opened = [alert for brand in sorted(brands) for alert in _brand_detect(brand, now=now, cooldown=cooldown)]
    services.alerts_close_quiet(now=now)
    return opened
