"""The cases' outbox: each hand-off (the helpdesk ticket, a private reply) delivered once, retried with backoff.

A row is claimed with one conditional UPDATE (pending and due, or sending past its lease) and committed
as "sending" before the network is called, so a task run twice, or the beat and a task at once, call out
once. A failure worth retrying goes back to "pending" with `next_attempt_at` pushed back (30 s, 1, 2, 4 …
minutes, at most an hour); a refusal that will not change, or the last attempt, leaves it "dead" with the
error on the case page, where a person may try again.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from inbox.connectors import connector_for
from inbox.connectors.base import ConnectorError, RateLimited
from inbox.helpdesk import CaseTicket, HelpdeskError, helpdesk_config, ticket_create
from inbox.models_cases import Case, CaseDelivery, CaseStatus, DeliveryKind, DeliveryState
from inbox.services.common import _publish_changed

CASE_DELIVERY_MAX_ATTEMPTS = 6
DELIVERY_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
SWEEP_LIMIT = 100


class DeliveryFailed(Exception):
    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


def case_delivery_backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th failure a hand-off is tried again."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def _claim(delivery_id: int) -> tuple[CaseDelivery | None, bool]:
    """(the row, whether this call claimed it); a row sending past its lease is claimed again."""
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            CaseDelivery.objects.filter(pk=delivery_id)
            .filter(
                Q(state=DeliveryState.PENDING, next_attempt_at__lte=now)
                | Q(state=DeliveryState.PENDING, next_attempt_at__isnull=True)
                | Q(state=DeliveryState.SENDING, next_attempt_at__lte=now)
            )
            .update(state=DeliveryState.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + DELIVERY_LEASE)
        )
        delivery = (
            CaseDelivery.objects.select_related("case__owner", "mention__channel", "mention__author")
            .filter(pk=delivery_id)
            .first()
        )
    return delivery, bool(claimed)


def case_delivery_attempt(*, delivery_id: int) -> CaseDelivery | None:
    """Deliver one hand-off if it is due; anything done, dead, not yet due or claimed elsewhere is left alone.

    A helpdesk ticket tried again after an attempt whose answer was lost is first looked up by the case
    number, so the helpdesk gets one ticket; a private reply whose answer was lost is not sent again (a
    network cannot be asked whether it went) but left dead for a person to check. Audited as
    "case.delivered" or "case.delivery_failed"; the case's mentions are pushed live when it changes.
    """
    delivery, claimed = _claim(delivery_id)
    if delivery is None or not claimed:
        return delivery
    try:
        if delivery.kind == DeliveryKind.HELPDESK:
            external_id = _helpdesk_deliver(delivery)
        else:
            external_id = _private_reply_deliver(delivery)
    except DeliveryFailed as failure:
        return _record_failure(delivery_id, str(failure), transient=failure.transient)
    return _record_success(delivery_id, external_id)


def _helpdesk_deliver(delivery: CaseDelivery) -> str:
    config = helpdesk_config()
    try:
        created = ticket_create(case_ticket(delivery.case), config=config, look_up_first=delivery.attempts > 1)
    except HelpdeskError as error:
        raise DeliveryFailed(str(error), transient=error.transient) from error
    with transaction.atomic():
        case = Case.objects.select_for_update(no_key=True).get(pk=delivery.case_id)
        case.helpdesk_ticket_id = created.ticket_id[:64]
        case.helpdesk_ticket_number = created.number[:64]
        if case.status == CaseStatus.OPEN:
            case.status = CaseStatus.HANDED_OFF
        case.save(update_fields=["helpdesk_ticket_id", "helpdesk_ticket_number", "status", "updated_at"])
    return created.ticket_id or created.number


def case_ticket(case: Case) -> CaseTicket:
    """The case as the helpdesk's ticket: the mentions quoted, with their network, author and link."""
    mentions = list(case.mentions.select_related("channel", "author").order_by("posted_at", "id"))
    first = mentions[0] if mentions else None
    lines = [case.summary, ""] if case.summary else []
    for mention in mentions:
        network, posted = mention.channel.get_kind_display(), f"{mention.posted_at:%Y-%m-%d %H:%M}"
        lines.append(f"{network} · @{mention.author.handle} · {posted}")
        lines += [mention.text, mention.url, ""]
    lines.append(_("Opened in Crisis Desk by %(owner)s.") % {"owner": case.owner.signature_name})
    requester = f"@{first.author.handle} ({first.channel.get_kind_display()})" if first else case.number
    return CaseTicket(
        number=case.number,
        subject=case.subject,
        body="\n".join(line for line in lines if line is not None).strip(),
        requester_name=requester,
        priority=case.priority,
        case_type=case.case_type,
        tags=["crisisdesk", case.case_type] + sorted({mention.channel.kind for mention in mentions}),
    )


def _private_reply_deliver(delivery: CaseDelivery) -> str:
    if delivery.attempts > 1 and not delivery.last_error:
        raise DeliveryFailed(
            _(
                "The network's answer to an earlier attempt was lost: check on the network whether the private "
                "reply arrived before trying again."
            ),
            transient=False,
        )
    mention = delivery.mention
    if mention is None:
        raise DeliveryFailed(_("The private reply names no mention."), transient=False)
    try:
        connector = connector_for(mention.channel)
        return connector.publish_private_reply(
            mention_external_id=mention.external_id,
            author_external_id=mention.author.external_id,
            text=delivery.body,
            context=connector.reply_context(raw=mention.raw or {}, author_handle=mention.author.handle),
        )
    except RateLimited as error:
        raise DeliveryFailed(str(error), transient=True) from error
    except (ConnectorError, ValueError) as error:
        # Anything else may have reached the author (a timeout after sending): never sent again on its own.
        raise DeliveryFailed(str(error)[:2000] or type(error).__name__, transient=False) from error


def _record_success(delivery_id: int, external_id: str) -> CaseDelivery:
    with transaction.atomic():
        delivery = CaseDelivery.objects.select_for_update(no_key=True).select_related("case").get(pk=delivery_id)
        delivery.state, delivery.external_id = DeliveryState.DONE, external_id[:128]
        delivery.delivered_at, delivery.last_error, delivery.next_attempt_at = timezone.now(), "", None
        delivery.save(update_fields=["state", "external_id", "delivered_at", "last_error", "next_attempt_at"])
        audit_record(
            actor=None,
            verb="case.delivered",
            target=delivery.case,
            data={"delivery": delivery.pk, "kind": delivery.kind, "external_id": delivery.external_id},
        )
        _publish_case(delivery.case)
    return delivery


def _record_failure(delivery_id: int, message: str, *, transient: bool) -> CaseDelivery:
    with transaction.atomic():
        delivery = CaseDelivery.objects.select_for_update(no_key=True).select_related("case").get(pk=delivery_id)
        delivery.last_error = message[:2000]
        if transient and delivery.attempts < CASE_DELIVERY_MAX_ATTEMPTS:
            delivery.state = DeliveryState.PENDING
            delivery.next_attempt_at = timezone.now() + case_delivery_backoff(delivery.attempts)
        else:
            delivery.state, delivery.next_attempt_at = DeliveryState.DEAD, None
        delivery.save(update_fields=["state", "last_error", "next_attempt_at"])
        audit_record(
            actor=None,
            verb="case.delivery_failed",
            target=delivery.case,
            data={"delivery": delivery.pk, "attempt": delivery.attempts, "error": delivery.last_error[:200]},
        )
        _publish_case(delivery.case)
    return delivery


def _publish_case(case: Case) -> None:
    for mention in case.mentions.select_related("channel"):
        _publish_changed(mention, "case_changed")


def case_deliveries_due(*, limit: int = SWEEP_LIMIT) -> list[int]:
    """The hand-offs the beat should attempt now: pending and due, or sending past their lease (a lost task)."""
    now = timezone.now()
    return list(
        CaseDelivery.objects.filter(state__in=[DeliveryState.PENDING, DeliveryState.SENDING], next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
