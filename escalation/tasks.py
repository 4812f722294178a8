"""Celery tasks for escalation: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from crisisdesk.tasking import reliable_task
from escalation import services
from escalation.slack_api import SlackUnavailable


@reliable_task(name="escalation.escalations_sweep", time_limit=60, soft_time_limit=50)
def escalations_sweep() -> int:
    """Beat, every few seconds: climb, remind and mark overdue whatever is due."""
    report = services.escalations_sweep()
    return report.escalated + report.promises_missed + report.reminded + report.overdue


@reliable_task(name="notify.escalation_step", database_retry=True)
def escalation_step_notify(request_id: int, step_index: int, attempt: int = 0) -> int:
    """Send one step's messages; the notification table makes a retry or a redelivery send nothing twice."""
    return services.escalation_step_notify(request_id=request_id, step_index=step_index, attempt=attempt)


@reliable_task(name="notify.escalation_notification_resend", database_retry=True)
def escalation_notification_resend(notification_id: int) -> int:
    """Send a stale claim's message once more; the conditional claim makes every other call a no-op."""
    return services.escalation_notification_resend(notification_id=notification_id)


@reliable_task(name="escalation.mail_answers_poll", time_limit=120, soft_time_limit=100)
def mail_answers_poll() -> int:
    """Beat, when a mailbox is configured: read replies to notifications; a message read twice answers once."""
    return services.mail_answers_poll().answered


@reliable_task(name="notify.slack_message_replace", retry_on=(SlackUnavailable,), backoff=2, max_retries=4)
def slack_message_replace(request_id: int, response_url: str) -> bool:
    """Replace a Slack message's buttons with who acted; rebuilt from the request, so a rerun is harmless."""
    return services.escalation_slack_message_replace(request_id=request_id, response_url=response_url)
