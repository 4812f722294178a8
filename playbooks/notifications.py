"""Crisis e-mails (declaration, executive summaries) and alert messages (e-mail, Slack, Teams): recorded,
sent, and retried when they fail.

Each message is a `CrisisNotification` row written in the transaction that decides to send it, so
nothing is lost if the worker dies or the mail server refuses. A send is claimed by a conditional
update (one sender at a time), and a failure is recorded with its error and retried with backoff
up to `MAX_TRIES` times by the beat task `notify.crisis_notifications_retry`; after that it stays
failed, counted on the crisis room and listed in the admin. The transport is escalation's
(`escalation.notifications`: e-mail with its HTML alternative, chat webhooks); a chat row keeps no
URL, it is read, decrypted, from its route when sent. An alert acknowledged meanwhile sends nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.models import User
from crisisdesk.text import header_safe
from escalation.notifications import email_send, webhook_post
from escalation.services.messages import drill_tag
from inbox.drills import is_drill_brand
from playbooks.models import AlertChannel, AlertRoute, Crisis, CrisisNotification, CrisisNotificationState

logger = logging.getLogger(__name__)

MAX_TRIES = 5
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 3600
# A claim older than this was taken by a worker that died mid-send: it may be sent once more.
STALE_CLAIM = timedelta(minutes=10)
RETRY_BATCH = 100


def crisis_notification_retry_delay(tries: int) -> timedelta:
    """Wait after the given number of failed tries: 1 min × 4ⁿ⁻¹, at most an hour."""
    return timedelta(seconds=min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 4 ** max(0, tries - 1)))


def crisis_notifications_record(
    *, crisis: Crisis, kind: str, recipients: Iterable[User], subject: str, body: str
) -> list[int]:
    """Write one pending row per recipient with an address (inside the caller's transaction).

    A drill's crisis notifies the real people, so its subject starts with the drill tag and its body says so.
    """
    if is_drill_brand(crisis.brand):
        subject = f"{drill_tag()} {subject}"
        body = _("This is a drill: nothing here happened on the networks.") + "\n\n" + body
    rows = CrisisNotification.objects.bulk_create(
        [
            CrisisNotification(
                crisis=crisis,
                kind=kind,
                recipient=user,
                address=user.email,
                subject=header_safe(subject, limit=255),
                body=body,
            )
            for user in recipients
            if user.email
        ]
    )
    return [row.pk for row in rows]


def crisis_notification_send(*, notification_id: int, now: datetime | None = None) -> bool:
    """Send one recorded e-mail if it is due; True if it went out now.

    Only the call whose conditional update claims the row sends: a concurrent retry, a second beat
    or a redelivered task sends nothing. Any error of the transport is recorded, never raised.
    """
    now = now or timezone.now()
    due = (
        Q(state=CrisisNotificationState.PENDING)
        | Q(state=CrisisNotificationState.FAILED, next_try_at__lte=now)
        | Q(state=CrisisNotificationState.SENDING, claimed_at__lte=now - STALE_CLAIM)
    )
    if CrisisNotification.objects.filter(pk=notification_id, alert__acknowledged_at__isnull=False).exists():
        return False  # someone took the alert: its remaining messages are not needed
    # The claim's conditions are on the row's own columns: PostgreSQL re-checks them on the row a
    # concurrent claimant committed (a join would move them into a subquery it does not re-check).
    claimed = (
        CrisisNotification.objects.filter(due, pk=notification_id)
        .update(state=CrisisNotificationState.SENDING, claimed_at=now, next_try_at=None)
    )
    if not claimed:
        return False
    notification = CrisisNotification.objects.get(pk=notification_id)
    error = _deliver(notification)
    if error:
        tries = notification.tries + 1
        logger.warning("Notification %s (%s) failed (try %s): %s", notification.pk, notification.medium, tries, error)
        CrisisNotification.objects.filter(pk=notification.pk).update(
            state=CrisisNotificationState.FAILED,
            tries=tries,
            error=error[:2000],
            next_try_at=now + crisis_notification_retry_delay(tries) if tries < MAX_TRIES else None,
        )
        return False
    CrisisNotification.objects.filter(pk=notification.pk).update(
        state=CrisisNotificationState.SENT, tries=notification.tries + 1, error="", sent_at=timezone.now()
    )
    return True


def _chat_url(notification: CrisisNotification) -> str:
    """A chat row's webhook, read from its route ("route:<id>") now: edits and removals apply to retries."""
    kind, _separator, key = notification.recipient_key.partition(":")
    route = AlertRoute.objects.filter(pk=int(key)).first() if kind == "route" and key.isdigit() else None
    if route is None:
        return ""
    return route.slack_webhook_url if notification.medium == AlertChannel.SLACK else route.teams_webhook_url


def _deliver(notification: CrisisNotification) -> str:
    """Send one claimed row by its channel; the transport's error, or "" when it went out."""
    if notification.medium == AlertChannel.EMAIL:
        return email_send(
            to=notification.address, subject=header_safe(notification.subject), body=notification.body,
            html=notification.html,
        )
    url = _chat_url(notification)
    if not url:
        return "The route's chat webhook is gone."
    return webhook_post(url=url, payload=notification.payload or {"text": notification.body})


def crisis_notifications_send(*, notification_ids: Iterable[int]) -> int:
    """Send the given recorded e-mails; returns how many went out."""
    return sum(crisis_notification_send(notification_id=pk) for pk in notification_ids)


def crisis_notifications_retry_due(*, now: datetime | None = None) -> int:
    """Beat: try again the failed e-mails whose backoff has passed, and claims a dead worker left."""
    now = now or timezone.now()
    due = list(
        CrisisNotification.objects.filter(
            Q(state=CrisisNotificationState.FAILED, next_try_at__lte=now)
            | Q(state=CrisisNotificationState.SENDING, claimed_at__lte=now - STALE_CLAIM)
            | Q(state=CrisisNotificationState.PENDING, created_at__lte=now - STALE_CLAIM)
        )
        .exclude(alert__acknowledged_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    return sum(crisis_notification_send(notification_id=pk, now=now) for pk in due)


def crisis_notifications_send_on_commit(notification_ids: list[int]) -> None:
    """After commit, send the rows just recorded (a rollback sends nothing)."""
    if notification_ids:
        transaction.on_commit(lambda: crisis_notifications_send(notification_ids=notification_ids))
