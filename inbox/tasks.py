"""Celery tasks for the inbox: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from crisisdesk.tasking import DATABASE_RETRY, RELIABLE
from inbox import services

TASK_OPTIONS = RELIABLE


@shared_task(name="inbox.channels_poll_due", **TASK_OPTIONS)
def channels_poll_due() -> int:
    """Beat: claim the channels whose poll is due and poll each on the ingest queue."""
    channel_ids = services.channels_claim_due()
    for channel_id in channel_ids:
        channel_poll.delay(channel_id)
    return len(channel_ids)


@shared_task(
    name="inbox.channel_poll",
    **DATABASE_RETRY,
    **TASK_OPTIONS,
)
def channel_poll(channel_id: int) -> int:
    report = services.channel_poll(channel_id=channel_id)
    return report.created if report else 0


@shared_task(
    name="notify.reply_send",
    autoretry_for=(services.ReplyDeliveryFailed, OperationalError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=services.REPLY_MAX_ATTEMPTS,
    **TASK_OPTIONS,
)
def reply_send(reply_id: int) -> None:
    """Retries only a named delivery failure; the service's state guard means a retry never resends."""
    services.reply_send(reply_id=reply_id)


@shared_task(name="inbox.mentions_auto_assign", **TASK_OPTIONS)
def mentions_auto_assign(limit: int = 50) -> int:
    return services.mentions_auto_assign(limit=limit)


@shared_task(name="inbox.mentions_return_unanswered", **TASK_OPTIONS)
def mentions_return_unanswered() -> int:
    return services.mentions_return_unanswered()


@shared_task(
    name="inbox.mentions_ingest_batch",
    bind=True,
    **DATABASE_RETRY,
    **TASK_OPTIONS,
)
def mentions_ingest_batch(self, channel_id: int, items: list[dict]) -> int:
    """A batch of items in the webhook's JSON shape (the bench, scripts): kept as an intake row keyed by
    this task's id first, so a redelivered message is a no-op; safe to run twice."""
    report = services.mentions_ingest_batch(
        channel_id=channel_id, items=items, delivery_key=self.request.id or ""
    )
    return report.created if report else 0


@shared_task(name="inbox.intake_process", **DATABASE_RETRY, **TASK_OPTIONS)
def intake_process(intake_id: int) -> int:
    """One received batch by its intake id; a processed or locked row is a no-op."""
    report = services.intake_process(intake_id=intake_id)
    return report.created if report else 0


@shared_task(name="inbox.intakes_requeue_stale", **TASK_OPTIONS)
def intakes_requeue_stale() -> int:
    """Beat: queue again what a lost message or a killed worker left unprocessed."""
    return services.intakes_requeue_stale()


@shared_task(name="inbox.intakes_prune", **TASK_OPTIONS)
def intakes_prune() -> int:
    """Beat: delete processed intake rows past their retention."""
    return services.intakes_prune()
