"""Telling a step's people: recording whom it reaches, claiming each message, sending and resending it.

Each message is claimed by inserting its `EscalationNotification` row (unique on request, step,
attempt, recipient, medium) before it is sent, so a retried or restarted worker never sends the
same one twice; a send that fails is settled "failed" with its error and a planned retry. The
transport itself (mail, chat webhook) is `escalation.notifications`.

Messages to a person are written in that person's language; messages to a department's shared
address or chat channel in the brand's language (`brand_language`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisisdesk.models import User
from crisisdesk.text import user_display_name
from escalation import notifications
from escalation.models import (
    EscalationEvent,
    EscalationNotification,
    EscalationRequest,
    EventKind,
    NotificationMedium,
    NotificationState,
    RequestStatus,
    StepKind,
)
from escalation.selectors import step_recipients
from escalation.services import chain, links, mail_addresses, messages


@dataclass(frozen=True)
class Message:
    """One message of a step: to whom (the claim's key), how, where, and in which language."""

    recipient: str
    medium: str
    address: str
    language: str


def brand_language() -> str:
    """The language of texts written to a department rather than to one person."""
    return settings.LANGUAGE_CODE


# --- recording and queueing a step ------------------------------------------------------------


def step_record(*, request: EscalationRequest, now: datetime) -> list[int]:
    """Record who the current step reaches; returns their ids for the live event."""
    step = chain.notified_step(chain.Chain.from_snapshot(request.policy_snapshot), request.current_step)
    people = step_recipients(
        kind=step.kind, department_id=request.department_id, target_user_id=step.target_user_id, now=now
    )
    EscalationEvent.objects.create(
        request=request,
        kind=EventKind.NOTIFIED,
        step_index=request.current_step,
        attempt=request.current_attempt,
        created_at=now,
        data={
            "kind": step.kind,
            "recipient_ids": [person.pk for person in people],
            "recipients": [user_display_name(person) for person in people],
        },
    )
    return [person.pk for person in people]


def step_send(*, request: EscalationRequest) -> None:
    """Enqueue the current step's messages after commit.

    Called after `escalation_publish`: commit hooks run in the order they were added, and handing a
    task to the broker is slow next to a live event (docs/PERFORMANCE.md), so the live event to
    the people waiting goes first.
    """
    step_messages_enqueue(request_id=request.pk, step_index=request.current_step, attempt=request.current_attempt)


def step_messages_enqueue(*, request_id: int, step_index: int, attempt: int) -> None:
    """After commit, queue the task that sends one step's messages."""
    # why: escalation.tasks imports this package to call it; importing the tasks here at load time
    # would make the two modules import each other.
    from escalation.tasks import escalation_step_notify

    transaction.on_commit(lambda: escalation_step_notify.delay(request_id, step_index, attempt))


def notification_resend_enqueue(*, notification_id: int) -> None:
    """After commit, queue one more try of one claimed message."""
    # why: as above, escalation.tasks imports this package.
    from escalation.tasks import escalation_notification_resend

    transaction.on_commit(lambda: escalation_notification_resend.delay(notification_id))


# --- sending ----------------------------------------------------------------------------------


def _step_messages(*, request: EscalationRequest, notified: EscalationEvent) -> list[Message]:
    """The step's messages: an email to each active person it reached who has an address, the
    department's shared address when the whole department is told, and its chat channel."""
    department = request.department
    people = User.objects.filter(pk__in=notified.data.get("recipient_ids", []), is_active=True).order_by("id")
    messages = [
        Message(f"user:{person.pk}", NotificationMedium.EMAIL, person.email, person.language)
        for person in people
        if person.email
    ]
    if notified.data.get("kind") == StepKind.NOTIFY_WHOLE_DEPARTMENT and department.email:
        messages.append(Message(f"department:{department.pk}", NotificationMedium.EMAIL, department.email, ""))
    if department.chat_webhook_url:
        messages.append(
            Message(f"department:{department.pk}", NotificationMedium.WEBHOOK, department.chat_webhook_url, "")
        )
    return messages


def escalation_step_notify(*, request_id: int, step_index: int, attempt: int) -> int:
    """Send one step's email and chat messages; returns how many were sent now.

    Each message is claimed by inserting its `EscalationNotification` row (unique on request, step,
    attempt, recipient, medium) before it is sent: running this twice, or after a worker restart,
    sends nothing new. A request acknowledged or answered meanwhile sends nothing.
    """
    request = EscalationRequest.objects.select_related("department").filter(pk=request_id).first()
    if request is None or request.status != RequestStatus.OPEN:
        return 0
    notified = (
        EscalationEvent.objects.filter(request=request, kind=EventKind.NOTIFIED, step_index=step_index, attempt=attempt)
        .order_by("id")
        .first()
    )
    if notified is None:
        return 0
    sent = 0
    for message in _step_messages(request=request, notified=notified):
        notification, created = EscalationNotification.objects.get_or_create(
            request=request,
            step_index=step_index,
            attempt=attempt,
            recipient=message.recipient,
            medium=message.medium,
        )
        if created:
            sent += _notification_deliver(
                notification=notification,
                request=request,
                address=message.address,
                language=message.language,
            )
    EscalationEvent.objects.filter(pk=notified.pk).update(data={**notified.data, "dispatched": True})
    return sent


def escalation_notification_resend(*, notification_id: int) -> int:
    """Send a stale claim's, or a failed send's, message once more; returns 1 if it went out now.

    Only the call that moves the row from "sending" (or from "failed" with a retry still planned;
    the sweeper queues it when due) to "resending" sends: a second call, a second sweeper or a
    redelivered task finds it moved and sends nothing.
    """
    due = Q(state=NotificationState.SENDING) | Q(state=NotificationState.FAILED, retry_at__isnull=False)
    claimed = EscalationNotification.objects.filter(due, pk=notification_id, request__status=RequestStatus.OPEN).update(
        state=NotificationState.RESENDING, retry_at=None
    )
    if not claimed:
        return 0
    notification = EscalationNotification.objects.select_related("request__department").get(pk=notification_id)
    address, language = _notification_address(notification)
    if not address:
        with translation.override(brand_language()):
            error = _("The recipient has no address any more.")
        EscalationNotification.objects.filter(pk=notification_id).update(state=NotificationState.FAILED, error=error)
        return 0
    return _notification_deliver(
        notification=notification, request=notification.request, address=address, language=language
    )


def _notification_address(notification: EscalationNotification) -> tuple[str, str]:
    """Where a claimed message goes and in which language, read again from its recipient
    ("user:ID" or "department:ID"); an empty address when there is nowhere to send it."""
    kind, _separator, key = notification.recipient.partition(":")
    department = notification.request.department
    if kind == "user" and notification.medium == NotificationMedium.EMAIL:
        person = User.objects.filter(pk=int(key), is_active=True).first()
        return (person.email, person.language) if person else ("", "")
    if kind == "department" and notification.medium == NotificationMedium.EMAIL:
        return department.email, ""
    if kind == "department" and notification.medium == NotificationMedium.WEBHOOK:
        return department.chat_webhook_url, ""
    return "", ""


def _link_user_id(notification: EscalationNotification) -> int | None:
    """The person a message's signed link is for; None for a department's shared address or channel."""
    kind, _separator, key = notification.recipient.partition(":")
    return int(key) if kind == "user" and key.isdigit() else None


def _notification_deliver(
    *, notification: EscalationNotification, request: EscalationRequest, address: str, language: str
) -> int:
    """Send one claimed message, in `language` (the brand's when empty), and settle its row; 1 if it went out.

    Each message carries its own signed link (`links`): a person's opens the page as that person.
    """
    position = chain.Position(step=notification.step_index, attempt=notification.attempt)
    link = links.request_link_url(request_id=request.pk, user_id=_link_user_id(notification))
    desk_link = notifications.request_link(reverse("escalation:detail", args=[request.pk]))
    reply_to = mail_addresses.reply_address(request_id=request.pk)
    # One Message-ID per message, kept across retries: a reply's In-Reply-To names the request.
    message_id = notification.message_id or mail_addresses.message_id_new(request_id=request.pk)
    with translation.override(language or brand_language()):
        message = messages.step_message(
            request=request,
            position=position,
            link=link,
            desk_link=desk_link,
            reply_by_mail=bool(reply_to or settings.ESCALATION_IMAP_URL),
        )
        if notification.medium == NotificationMedium.EMAIL:
            text, html = messages.email_bodies(message)
        else:
            payload = messages.chat_payload(message, url=address)
    if notification.medium == NotificationMedium.EMAIL:
        error = notifications.email_send(
            to=address, subject=message.subject, body=text, html=html, reply_to=reply_to, message_id=message_id
        )
    else:
        message_id = ""
        error = notifications.webhook_post(url=address, payload=payload)
    tries = notification.tries + 1
    now = timezone.now()
    EscalationNotification.objects.filter(pk=notification.pk).update(
        state=NotificationState.FAILED if error else NotificationState.SENT,
        error=error,
        tries=tries,
        retry_at=chain.notification_retry_at(tries=tries, now=now) if error else None,
        sent_at=None if error else now,
        message_id=message_id,
    )
    return 0 if error else 1
