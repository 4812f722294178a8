"""Channel polling: claim the channels that are due, fetch what is new, advance the cursor or back off."""

from __future__ import annotations

from datetime import timedelta

from django.db import DatabaseError, InterfaceError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from crisisdesk.transactions import commit_asynchronously
from inbox.connectors import connector_class, connector_for
from inbox.connectors.base import ChannelGone, ConnectorError, RateLimited
from inbox.models import PUSH_ONLY_KINDS, Channel
from inbox.services.common import CLAIM_LEASE, MAX_BACKOFF_SECONDS, IngestReport, logger
from inbox.services.ingest import mentions_prepare, mentions_store


def channel_poll(*, channel_id: int) -> IngestReport | None:
    """Fetch what is new on one channel, store it and advance the cursor, in one transaction.

    A failure of any kind leaves the cursor untouched, counts a consecutive failure and backs
    off exponentially; other channels are unaffected.
    """
    channel = Channel.objects.filter(pk=channel_id, is_enabled=True).first()
    if channel is None:
        return None
    now = timezone.now()
    try:
        connector = connector_for(channel)
        result = connector.fetch_since(dict(channel.cursor or {}))
        # Authors and triage before the channel's lock (`mentions_prepare`); the write under it.
        batch = mentions_prepare(
            channel=channel, mentions=result.mentions, rejected=result.rejected, source=f"poll:{channel.kind}"
        )
        with transaction.atomic():
            locked = Channel.objects.select_for_update(no_key=True).get(pk=channel.pk)
            if locked.cursor != channel.cursor:
                logger.info("Channel %s was polled concurrently; this run gives way.", channel.pk)
                return None
            commit_asynchronously()
            report = mentions_store(batch)
            locked.cursor = result.next_cursor
            locked.last_polled_at = now
            locked.last_success_at = now
            locked.consecutive_failures = 0
            locked.next_poll_at = max(
                now + timedelta(seconds=locked.poll_interval_seconds), getattr(connector, "backoff_until", None) or now
            )  # a quota the platform said is spent is waited out, not run into
            locked.save(
                update_fields=["cursor", "last_polled_at", "last_success_at", "consecutive_failures", "next_poll_at"]
            )
        return report
    except ChannelGone as error:
        channel_disable(channel_id=channel.pk, message=str(error))
    except RateLimited as error:
        channel_failure_record(channel_id=channel.pk, message=str(error), retry_at=error.retry_at)
    except (ConnectorError, ValueError) as error:
        channel_failure_record(channel_id=channel.pk, message=str(error))
    except (DatabaseError, InterfaceError):
        raise
    except Exception as error:  # an adapter's bug must back off like any failure, not hold the lease
        logger.exception("Channel %s poll crashed", channel.pk)
        channel_failure_record(channel_id=channel.pk, message=f"{type(error).__name__}: {error}")
    return None


def channel_failure_record(*, channel_id: int, message: str, retry_at=None) -> None:
    now = timezone.now()
    with transaction.atomic():
        channel = Channel.objects.select_for_update(no_key=True).get(pk=channel_id)
        channel.consecutive_failures += 1
        channel.last_error = message[:2000]
        channel.last_error_at = now
        channel.last_polled_at = now
        backoff = min(MAX_BACKOFF_SECONDS, channel.poll_interval_seconds * 2 ** min(channel.consecutive_failures, 10))
        channel.next_poll_at = retry_at or now + timedelta(seconds=backoff)
        channel.save(
            update_fields=["consecutive_failures", "last_error", "last_error_at", "last_polled_at", "next_poll_at"]
        )
    logger.warning("Channel %s failed (%s): %s", channel_id, channel.consecutive_failures, message)


def channel_disable(*, channel_id: int, message: str) -> None:
    """Stop polling a channel whose account or feed is gone (HTTP 410); its health says why.

    Polling it again would only fail again; a person corrects the settings and enables it.
    """
    now = timezone.now()
    with transaction.atomic():
        channel = Channel.objects.select_for_update(no_key=True).get(pk=channel_id)
        channel.is_enabled = False
        channel.consecutive_failures += 1
        channel.last_error = message[:2000]
        channel.last_error_at = now
        channel.last_polled_at = now
        channel.next_poll_at = None
        channel.save(
            update_fields=[
                "is_enabled",
                "consecutive_failures",
                "last_error",
                "last_error_at",
                "last_polled_at",
                "next_poll_at",
            ]
        )
    logger.warning("Channel %s disabled: %s", channel_id, message)


def _push_only() -> Q:
    """Pushed networks are not polled, unless their config names what to poll (a Facebook page id)."""
    polled_too = Q(pk__in=[])
    for kind in PUSH_ONLY_KINDS:
        key = connector_class(kind).poll_config_key
        if key:
            polled_too |= Q(kind=kind, config__has_key=key)
    return Q(kind__in=PUSH_ONLY_KINDS) & ~polled_too


def channels_claim_due(*, now=None) -> list[int]:
    """Pick channels whose poll is due and push their next poll forward, so a second beat skips them."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Channel.objects.select_for_update(
                no_key=True, skip_locked=connection.features.has_select_for_update_skip_locked
            )
            .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now), is_enabled=True)
            .exclude(_push_only())
            .values_list("id", flat=True)
        )
        Channel.objects.filter(pk__in=due).update(next_poll_at=now + CLAIM_LEASE)
    return due
