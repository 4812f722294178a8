"""Cases: opening one from mentions, with a race-free number, and what community managers do with it.

The hand-offs themselves (the helpdesk ticket, the private reply) are outbox rows delivered by
`inbox.services.case_deliveries`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from inbox import hooks
from inbox.connectors import capabilities_for
from inbox.helpdesk import helpdesk_config
from inbox.models import Mention
from inbox.models_cases import (
    CASE_NUMBER_PREFIX,
    Case,
    CaseCounter,
    CaseDelivery,
    CasePriority,
    CaseStatus,
    CaseType,
    DeliveryKind,
    DeliveryState,
)
from inbox.services.common import InboxError, MentionNotFound, _publish_changed, _require_console_staff

CASE_EVENT_NAMESPACE = uuid.UUID("0b7d3a8e-6a55-4f0f-a1a4-3c2f0e9d5b21")
MAX_CASE_MENTIONS = 50
MAX_PRIVATE_REPLY = 2000  # well under every network's direct message limit (X 10,000, Messenger 2,000)


class CaseError(InboxError):
    """A case action that cannot be done; pages answer 400 with the message."""


def case_number_next(*, year: int) -> str:
    """The next number of `year` (`CD-2026-000123`), from its counter row locked FOR UPDATE.

    Call it inside the case's transaction: a second caller waits for the row until the first commits, so
    no two cases share a number, and a rolled-back case gives its number back. The year's row is made
    with INSERT … ON CONFLICT DO NOTHING, so the first two cases of a year do not race to create it.
    """
    CaseCounter.objects.bulk_create([CaseCounter(year=year, last=0)], ignore_conflicts=True)
    counter = CaseCounter.objects.select_for_update(no_key=True).get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{CASE_NUMBER_PREFIX}-{year}-{counter.last:06d}"


def _case_mentions(mention_ids: list[int]) -> list[Mention]:
    ids = sorted({int(mention_id) for mention_id in mention_ids})
    if not ids:
        raise CaseError(_("A case needs at least one mention."))
    if len(ids) > MAX_CASE_MENTIONS:
        raise CaseError(_("A case takes at most %(limit)d mentions.") % {"limit": MAX_CASE_MENTIONS})
    mentions = list(Mention.objects.select_related("channel", "author").filter(pk__in=ids).order_by("posted_at", "id"))
    if len(mentions) != len(ids):
        raise CaseError(_("Some of those mentions do not exist."))
    return mentions


def case_open(
    *,
    actor: User,
    mention_ids: list[int],
    case_type: str,
    priority: str = CasePriority.NORMAL,
    subject: str = "",
    summary: str = "",
) -> Case:
    """Open a case from one or more mentions, owned by `actor`, and hand it off.

    One transaction: the number (`case_number_next`), the case and its mentions, the audit row
    "case.open", the outgoing webhook event `case.created` (its id a uuid5 of the number, so it is sent
    once) and, when a helpdesk is configured, the helpdesk delivery, queued after commit. Each mention's
    change is pushed live (`mention.changed`, "case_opened"), so the queue shows its case.
    """
    _require_console_staff(actor)
    if case_type not in CaseType.values:
        raise CaseError(_("Choose the case's type."))
    if priority not in CasePriority.values:
        raise CaseError(_("Choose the case's priority."))
    mentions = _case_mentions(mention_ids)
    subject = " ".join((subject or mentions[0].text).split())[:200]
    with transaction.atomic():
        number = case_number_next(year=timezone.localdate().year)
        case = Case.objects.create(
            number=number,
            case_type=case_type,
            priority=priority,
            subject=subject,
            summary=(summary or "").strip()[:5000],
            owner=actor,
        )
        case.mentions.set(mentions)
        audit_record(actor=actor, verb="case.open", target=case, data={"mentions": [m.pk for m in mentions]})
        hooks.outgoing_event_emit(
            event_type="case.created",
            payload={"case": case_payload(case, mentions=mentions)},
            event_id=uuid.uuid5(CASE_EVENT_NAMESPACE, number),
        )
        if helpdesk_config().configured:
            delivery = CaseDelivery.objects.create(
                case=case, kind=DeliveryKind.HELPDESK, created_by=actor, next_attempt_at=timezone.now()
            )
            delivery_enqueue_on_commit(delivery.pk)
        for mention in mentions:
            _publish_changed(mention, "case_opened")
    return case


def case_payload(case: Case, *, mentions: list[Mention]) -> dict:
    """The case as the `case.created` webhook and the helpdesk see it."""
    return {
        "number": case.number,
        "type": case.case_type,
        "priority": case.priority,
        "status": case.status,
        "subject": case.subject,
        "owner": case.owner.signature_name,
        "created_at": case.created_at.isoformat(),
        "url": settings.PUBLIC_BASE_URL + reverse("inbox:case", args=[case.number]),
        "mentions": [
            {
                "id": mention.pk,
                "channel": mention.channel.kind,
                "author": mention.author.handle,
                "text": mention.text[:1000],
                "url": mention.url,
            }
            for mention in mentions
        ],
    }


def delivery_enqueue_on_commit(delivery_id: int) -> None:
    from inbox.tasks import case_delivery_attempt  # why: inbox.tasks imports these services

    transaction.on_commit(lambda: case_delivery_attempt.delay(delivery_id))


def _case_for_update(case_id: int) -> Case:
    case = Case.objects.select_for_update(no_key=True).filter(pk=case_id).first()
    if case is None:
        raise MentionNotFound(_("That case does not exist."))
    return case


def case_private_reply_queue(*, case_id: int, actor: User, mention_id: int, body: str) -> CaseDelivery:
    """Queue a private reply to the author of one of the case's mentions, delivered by the beat's outbox.

    Refused where the network has no private reply, for a mention not in the case, and while a private
    reply to that mention is on its way or delivered (Meta takes one per comment). Audited as
    "case.private_reply".
    """
    _require_console_staff(actor)
    body = (body or "").strip()
    if not body:
        raise CaseError(_("The private reply is empty."))
    if len(body) > MAX_PRIVATE_REPLY:
        raise CaseError(_("A private reply takes at most %(limit)d characters.") % {"limit": MAX_PRIVATE_REPLY})
    with transaction.atomic():
        case = _case_for_update(case_id)
        mention = case.mentions.select_related("channel").filter(pk=mention_id).first()
        if mention is None:
            raise CaseError(_("That mention is not part of this case."))
        if not capabilities_for(mention.channel.kind).private_reply:
            raise CaseError(
                _("%(network)s has no private reply: ask the author to write to customer service.")
                % {"network": mention.channel.get_kind_display()}
            )
        taken = CaseDelivery.objects.filter(kind=DeliveryKind.PRIVATE_REPLY, mention=mention).exclude(
            state=DeliveryState.DEAD
        )
        if taken.exists():
            raise CaseError(_("This author has already been answered privately about this mention."))
        delivery = CaseDelivery.objects.create(
            case=case,
            kind=DeliveryKind.PRIVATE_REPLY,
            mention=mention,
            body=body,
            created_by=actor,
            next_attempt_at=timezone.now(),
        )
        audit_record(actor=actor, verb="case.private_reply", target=case, data={"delivery": delivery.pk})
        delivery_enqueue_on_commit(delivery.pk)
    return delivery


def case_status_set(*, case_id: int, actor: User, status: str) -> Case:
    """Move a case to another status (resolved, closed, open again); audited as "case.status". Idempotent."""
    _require_console_staff(actor)
    if status not in CaseStatus.values:
        raise CaseError(_("That is not a case status."))
    with transaction.atomic():
        case = _case_for_update(case_id)
        if case.status == status:
            return case
        previous, case.status = case.status, status
        case.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, verb="case.status", target=case, data={"from": previous, "to": status})
        for mention in case.mentions.all():
            _publish_changed(mention, "case_changed")
    return case


def case_delivery_retry(*, delivery_id: int, actor: User) -> CaseDelivery:
    """Try a failed hand-off again, by hand (the helpdesk was fixed, the author unblocked us). Audited."""
    _require_console_staff(actor)
    with transaction.atomic():
        delivery = CaseDelivery.objects.select_for_update(no_key=True).filter(pk=delivery_id).first()
        if delivery is None:
            raise MentionNotFound(_("That hand-off does not exist."))
        if delivery.state != DeliveryState.DEAD:
            return delivery
        delivery.state, delivery.attempts, delivery.next_attempt_at = DeliveryState.PENDING, 0, timezone.now()
        delivery.save(update_fields=["state", "attempts", "next_attempt_at"])
        audit_record(actor=actor, verb="case.delivery_retry", target=delivery.case, data={"delivery": delivery.pk})
        delivery_enqueue_on_commit(delivery.pk)
    return delivery
