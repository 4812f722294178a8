"""Celery tasks for the inbox: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from crisisdesk.tasking import reliable_task
from inbox import channel_tokens, cluster_actions, clusters, services, stats


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
    bind=True,
)
def reply_send(self, reply_id: int) -> None:
    """Queued with the undo window as its eta. Retries only a named delivery failure; the service's state
    guard means a retry never resends and a cancelled reply is never sent. Run early (a clock ahead), it
    puts itself back for the reply's time; eagerly run, the sweep below sends it."""
    due = services.reply_send_later(reply=services.reply_send(reply_id=reply_id))
    if due is not None and not self.request.is_eager:
        self.apply_async((reply_id,), eta=due)


@reliable_task(name="notify.replies_send_due")
def replies_send_due() -> int:
    """Beat: queue again the replies whose delayed message was lost."""
    return services.replies_send_due()


@reliable_task(name="notify.reply_approvals_expire")
def reply_approvals_expire() -> int:
    """Beat: replies nobody approved in time become "approval_expired" (never sent); safe twice."""
    return services.reply_approvals_expire()


@reliable_task(name="notify.mention_network_hide", database_retry=True)
def mention_network_hide(mention_id: int) -> None:
    """After a hide or an unhide: the network follows; the service claims the work, so twice is once."""
    services.mention_network_hide_sync(mention_id=mention_id)


@reliable_task(name="notify.mentions_network_hide_sweep")
def mentions_network_hide_sweep() -> int:
    """Beat: do again the hides on the networks whose task was lost or whose worker died mid-call."""
    return services.mentions_network_hide_sweep()


@reliable_task(name="inbox.mentions_auto_assign")
def mentions_auto_assign(limit: int = 50) -> int:
    return services.mentions_auto_assign(limit=limit)


@reliable_task(name="inbox.mentions_return_unanswered")
def mentions_return_unanswered() -> int:
    return services.mentions_return_unanswered()


@reliable_task(name="inbox.mentions_ingest_batch", database_retry=True, bind=True)
def mentions_ingest_batch(self, channel_id: int, items: list[dict]) -> int:
    """A batch of items in the webhook's JSON shape (the bench, scripts): kept as an intake row keyed by
    this task's id first, so a redelivered message is a no-op; safe to run twice."""
    report = services.mentions_ingest_batch(channel_id=channel_id, items=items, delivery_key=self.request.id or "")
    return report.created if report else 0


@reliable_task(name="inbox.intake_process", database_retry=True)
def intake_process(intake_id: int) -> int:
    """One received batch by its intake id; a processed or locked row is a no-op."""
    report = services.intake_process(intake_id=intake_id)
    return report.created if report else 0


@reliable_task(name="inbox.intakes_requeue_stale")
def intakes_requeue_stale() -> int:
    """Beat: queue again what a lost message or a killed worker left unprocessed."""
    return services.intakes_requeue_stale()


@reliable_task(name="inbox.clusters_fold")
def clusters_fold() -> int:
    """Beat: fold cluster tallies a busy worker left for later (each batch's commit folds as well)."""
    return clusters.clusters_fold()


@reliable_task(name="inbox.intakes_prune")
def intakes_prune() -> int:
    """Beat: delete processed intake rows past their retention."""
    return services.intakes_prune()


@reliable_task(name="inbox.hour_stats_roll")
def hour_stats_roll() -> int:
    """Beat: sum the per-minute rollup into the hourly one the dashboard reads for long ranges."""
    return stats.hour_stats_roll()


@reliable_task(name="inbox.mentions_archive")
def mentions_archive() -> int:
    """Beat: archive then delete the mentions past MENTION_RETENTION_MONTHS (nothing when it is 0)."""
    return services.mentions_archive_due().archived


@reliable_task(name="notify.cluster_replies_send_due")
def cluster_replies_send_due() -> int:
    """Beat, and a wake-up after an answer: send the answered clusters' replies whose slot has come."""
    return cluster_actions.cluster_replies_send_due()


@reliable_task(name="inbox.channel_tokens_refresh")
def channel_tokens_refresh() -> int:
    """Beat: renew the OAuth tokens that expire within ten minutes (a refusal goes to the channel's health)."""
    return channel_tokens.channel_tokens_refresh_due()


@reliable_task(name="notify.case_delivery_attempt", database_retry=True)
def case_delivery_attempt(delivery_id: int) -> None:
    """One hand-off of a case (helpdesk ticket, private reply); the service claims it, so twice is once."""
    services.case_delivery_attempt(delivery_id=delivery_id)


@reliable_task(name="notify.case_deliveries_sweep")
def case_deliveries_sweep() -> int:
    """Beat: attempt the hand-offs that are due (new, retried after backoff, or left by a lost task)."""
    delivery_ids = services.case_deliveries_due()
    for delivery_id in delivery_ids:
        case_delivery_attempt.delay(delivery_id)
    return len(delivery_ids)
