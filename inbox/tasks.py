"""Celery tasks for the inbox: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from crisisdesk.tasking import reliable_task
from inbox import services


@reliable_task(name="inbox.channels_poll_due")
def channels_poll_due() -> int:
    """Beat: claim the channels whose poll is due and poll each on the ingest queue."""
    channel_ids = services.channels_claim_due()
    for channel_id in channel_ids:
        channel_poll.delay(channel_id)
    return len(channel_ids)


@reliable_task(name="inbox.channel_poll", database_retry=True)
def channel_poll(channel_id: int) -> int:
    report = services.channel_poll(channel_id=channel_id)
    return report.created if report else 0


@reliable_task(
    name="notify.reply_send",
    database_retry=True,
    retry_on=(services.ReplyDeliveryFailed,),
    backoff=5,
    backoff_max=300,
    jitter=True,
    max_retries=services.REPLY_MAX_ATTEMPTS,
)
def reply_send(reply_id: int) -> None:
    """Retries only a named delivery failure; the service's state guard means a retry never resends."""
    services.reply_send(reply_id=reply_id)


@reliable_task(name="inbox.mentions_auto_assign")
def mentions_auto_assign(limit: int = 50) -> int:
    return services.mentions_auto_assign(limit=limit)


@reliable_task(name="inbox.mentions_return_unanswered")
def mentions_return_unanswered() -> int:
    return services.mentions_return_unanswered()


@reliable_task(name="inbox.mentions_ingest_batch", database_retry=True)
def mentions_ingest_batch(channel_id: int, items: list[dict]) -> int:
    """A batch of hundreds of items in the webhook's JSON shape; safe to run twice (dedupe on external id)."""
    report = services.mentions_ingest_batch(channel_id=channel_id, items=items)
    return report.created if report else 0
