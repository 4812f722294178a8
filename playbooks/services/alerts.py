"""Alerts: a signal that left its baseline opens one, and it closes once the signal is quiet."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from crisisdesk.realtime import publish_on_commit
from playbooks import events
from playbooks.baselines import Firing
from playbooks.errors import CrisisNotFound
from playbooks.models import (
    ACTIVE_CRISIS_STATUSES,
    Alert,
    AlertDispatch,
    AlertStatus,
    Crisis,
    CrisisEventKind,
)
from playbooks.services.alert_routing import alert_route
from playbooks.services.timeline import crisis_event_add

ALERT_QUIET = timedelta(minutes=5)


def alert_timeline_params(alert: Alert) -> dict[str, Any]:
    """The parameters of the "alert" timeline entry (the signal is a code, shown with the reader's label)."""
    return {"signal": alert.signal, "topic": alert.topic or "", "severity": alert.severity}


def alert_open(
    *, firing: Firing, explanation: dict[str, Any], suggested_type: str, suggested_level: int, now: datetime
) -> Alert:
    """Create an alert (the caller holds the dedup guard); it joins the brand's active crisis timeline
    and is routed to its people and channels (`alert_routing`).

    Emits `alert.new` to the staff after commit.
    """
    alert = Alert.objects.create(
        brand=firing.brand,
        signal=firing.signal,
        topic=firing.topic,
        severity=firing.severity,
        observed=firing.observed,
        baseline_mean=firing.baseline.mean,
        baseline_std=firing.baseline.std,
        threshold=firing.threshold,
        suggested_level=suggested_level,
        suggested_type=suggested_type,
        explanation=explanation,
        started_at=now,
        last_seen_at=now,
    )
    crisis = (
        Crisis.objects.filter(brand=firing.brand, status__in=ACTIVE_CRISIS_STATUSES)
        .order_by("-level")
        .first()
    )
    if crisis is not None:
        alert.crisis = crisis
        alert.save(update_fields=["crisis"])
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.ALERT,
            key="alert.joined",
            params=alert_timeline_params(alert),
            data={"alert": alert.pk},
            at=now,
        )
    audit_record(actor=None, verb="alert.open", target=alert, data={"severity": alert.severity})
    alert_route(alert=alert, now=now)
    publish_on_commit(events.STAFF_GROUPS, events.alert_new(alert))
    return alert


def alert_acknowledge(
    *, alert_id: int, actor: User | None, via: str, label: str = "", now: datetime | None = None
) -> tuple[Alert, bool]:
    """Take the alert: the first acknowledgement is kept (who, how, when), re-notification stops.

    Idempotent: acknowledging again changes nothing and returns (alert, False). Audited; emits
    `alert.acknowledged` to the staff after commit, so every open console shows it at once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        alert = Alert.objects.select_for_update(no_key=True).filter(pk=alert_id).first()
        if alert is None:
            raise CrisisNotFound(_("This alert does not exist."))
        if alert.acknowledged_at is not None:
            return alert, False
        alert.acknowledged_at, alert.acknowledged_by, alert.acknowledged_via = now, actor, via
        alert.acknowledged_label = (label or (actor.get_full_name() or actor.username if actor else ""))[:120]
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledged_via", "acknowledged_label"])
        AlertDispatch.objects.filter(alert=alert).update(next_at=None)
        audit_record(actor=actor, verb="alert.acknowledge", target=alert, data={"via": via, "label": label[:120]})
        publish_on_commit(events.STAFF_GROUPS, events.alert_acknowledged(alert))
    return alert, True


def alerts_close_quiet(*, now: datetime) -> int:
    """Close open alerts whose signal has not fired for a while; the cool-down then starts."""
    with transaction.atomic():
        quiet = list(
            Alert.objects.select_for_update(no_key=True)
            .filter(status=AlertStatus.OPEN, last_seen_at__lt=now - ALERT_QUIET)
            .values_list("pk", flat=True)
        )
        Alert.objects.filter(pk__in=quiet).update(status=AlertStatus.CLOSED, closed_at=now)
    return len(quiet)
