"""Celery tasks for escalation: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from crisisdesk.tasking import DATABASE_RETRY, RELIABLE
from escalation import services

TASK_OPTIONS = RELIABLE


@shared_task(name="escalation.escalations_sweep", time_limit=60, soft_time_limit=50, **TASK_OPTIONS)
def escalations_sweep() -> int:
    """Beat, every few seconds: climb, remind and mark overdue whatever is due."""
    report = services.escalations_sweep()
    return report.escalated + report.reminded + report.overdue


@shared_task(
    name="notify.escalation_step",
    **DATABASE_RETRY,
    **TASK_OPTIONS,
)
def escalation_step_notify(request_id: int, step_index: int, attempt: int = 0) -> int:
    """Send one step's messages; the notification table makes a retry or a redelivery send nothing twice."""
    return services.escalation_step_notify(request_id=request_id, step_index=step_index, attempt=attempt)


@shared_task(name="notify.escalation_notification_resend", **DATABASE_RETRY, **TASK_OPTIONS)
def escalation_notification_resend(notification_id: int) -> int:
    """Send a stale claim's message once more; the conditional claim makes every other call a no-op."""
    return services.escalation_notification_resend(notification_id=notification_id)
