"""Celery tasks for crises: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from playbooks import detection, notifications, outbox, services

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="playbooks.alerts_detect", time_limit=60, soft_time_limit=50, **TASK_OPTIONS)
def alerts_detect() -> int:
    """Beat, every 30 s: compare the minute rollups with their baselines."""
    return len(detection.alerts_detect())


@shared_task(
    name="playbooks.crisis_notify",
    autoretry_for=(OperationalError, ConnectionError),
    retry_backoff=True,
    max_retries=5,
    **TASK_OPTIONS,
)
def crisis_notify(crisis_id: int) -> int:
    return services.crisis_notify(crisis_id=crisis_id)


@shared_task(name="playbooks.crisis_summaries_send", **TASK_OPTIONS)
def crisis_summaries_send() -> int:
    """Beat, every 5 min: executive summaries that are due."""
    return len(services.crisis_summaries_send())


@shared_task(name="playbooks.scheduled_posts_publish_due", **TASK_OPTIONS)
def scheduled_posts_publish_due() -> int:
    """Beat, every 30 s: publish scheduled posts whose time has come (frozen ones stay put)."""
    return len(outbox.scheduled_posts_publish_due())


@shared_task(name="notify.crisis_notifications_retry", time_limit=120, soft_time_limit=100, **TASK_OPTIONS)
def crisis_notifications_retry() -> int:
    """Beat, every minute: send again the crisis e-mails whose send failed and whose backoff has passed."""
    return notifications.crisis_notifications_retry_due()
