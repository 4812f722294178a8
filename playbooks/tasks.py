"""Celery tasks for crises: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from crisisdesk.tasking import reliable_task
from playbooks import detection, notifications, services


@reliable_task(name="playbooks.alerts_detect", time_limit=60, soft_time_limit=50)
def alerts_detect() -> int:
    """Beat, every 30 s: compare the minute rollups with their baselines."""
    return len(detection.alerts_detect())


@reliable_task(name=services.CRISIS_NOTIFY_TASK, database_retry=True, retry_on=(ConnectionError,), max_retries=5)
def crisis_notify(crisis_id: int) -> int:
    """Enqueued by name after a declaration commits (`services.crisis_declare`)."""
    return services.crisis_notify(crisis_id=crisis_id)


@reliable_task(name="playbooks.crisis_summaries_send")
def crisis_summaries_send() -> int:
    """Beat, every 5 min: executive summaries that are due."""
    return len(services.crisis_summaries_send())


@reliable_task(name="playbooks.scheduled_posts_publish_due")
def scheduled_posts_publish_due() -> int:
    """Beat, every 30 s: publish scheduled posts whose time has come (held ones stay put)."""
    return len(services.scheduled_posts_publish_due())


@reliable_task(name=services.POST_PUBLISH_TASK)
def scheduled_post_publish(post_id: int) -> str:
    """Enqueued by name after commit (a released overdue post, a statement): publishes once, or does nothing."""
    post = services.scheduled_post_publish(post_id=post_id)
    return post.status if post is not None else ""


@reliable_task(name="notify.crisis_notifications_retry", time_limit=120, soft_time_limit=100)
def crisis_notifications_retry() -> int:
    """Beat, every minute: send again the crisis e-mails whose send failed and whose backoff has passed."""
    return notifications.crisis_notifications_retry_due()


@reliable_task(name=services.ALERT_NOTIFICATIONS_SEND_TASK, time_limit=120, soft_time_limit=100)
def alert_notifications_send(notification_ids: list[int]) -> int:
    """Enqueued by name after an alert's step is recorded (`services.alert_route`, `alerts_renotify`)."""
    return services.alert_notifications_send(notification_ids=notification_ids)


@reliable_task(name="playbooks.alerts_renotify", time_limit=120, soft_time_limit=100)
def alerts_renotify() -> int:
    """Beat, every 30 s: re-notify the alerts nobody acknowledged whose next step is due."""
    return services.alerts_renotify()


@reliable_task(name="playbooks.weekly_digest_send", time_limit=900, soft_time_limit=840)
def weekly_digest_send() -> int:
    """Beat, Monday mornings: the directors' digest of the week just ended, once per ISO week."""
    return services.weekly_digest_send()


@reliable_task(name="playbooks.drills_advance", time_limit=120, soft_time_limit=100)
def drills_advance() -> int:
    """Beat, every 5 s: feed the running drills the replayed mentions now due; end those whose time is up."""
    return services.drills_advance()


@reliable_task(name="playbooks.checklist_chase", time_limit=120, soft_time_limit=100)
def checklist_chase() -> int:
    """Beat, every 30 s: remind assignees of steps due soon or now, escalate overdue ones; each once."""
    return services.checklist_chase()
