"""A reply to a notification e-mail becomes the request's answer, if its sender may give it.

One service for every way mail arrives (the Mailgun and Postmark webhooks, the IMAP poll). It
keeps every message in `InboundMail` first (unique on its Message-ID: the same message twice
records one answer), finds the request from the reply address or the message replied to
(`mail_addresses`), and accepts the answer only from an active person whose address is the From
header's single address (parsed with `email.utils`, so a display name that looks like a member's
address counts for nothing) and who may answer that request (`selectors.user_may_answer`). The
quoted notification and the signature are removed (`escalation.mail_text`), and the answer is
recorded by `escalation_answer_create`, as from the desk: the chain stops, the community manager
sees it live, and the timeline and the audit say "by e-mail". Anything refused is kept with its reason.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from escalation.mail_inbound import InboundMessage
from escalation.mail_text import reply_text
from escalation.models import EscalationRequest, RequestStatus
from escalation.models_mail import InboundMail, InboundMailOutcome
from escalation.selectors import user_may_answer
from escalation.services.errors import EscalationError
from escalation.services.mail_addresses import ReplyAddressRefused, request_for_reply
from escalation.services.requests import escalation_answer_create

logger = logging.getLogger(__name__)

ADDRESS_PATTERN = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
VIA_EMAIL = "email"


class MailRefused(EscalationError):
    """A reply that cannot become an answer; `reason` is a short code, the message is safe to show."""

    def __init__(self, message: str, *, reason: str, request_id: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.request_id = request_id


@dataclass(frozen=True)
class MailOutcome:
    """What became of one inbound e-mail: "answered", "refused" or "duplicate" (seen before)."""

    status: str
    reason: str
    message: str
    inbound_id: int
    request_id: int | None = None
    answer_id: int | None = None


def sender_address(header: str) -> str:
    """The one address of a From header, lowercased; raises MailRefused for none, several or a malformed one.

    `email.utils.parseaddr` would take the first of `marta@brand.example <mallory@evil.example>`:
    here two addresses are two addresses, and refused."""
    addresses = [address for _name, address in getaddresses([header or ""])]
    if len(addresses) != 1 or not ADDRESS_PATTERN.match(addresses[0]):
        raise MailRefused(_("The sender of this e-mail cannot be read."), reason="sender_invalid")
    return addresses[0].lower()


def _authentication_failed(results: tuple[str, ...]) -> bool:
    """A receiving server said the From domain's DMARC check failed: the From is forged."""
    return any(re.search(r"\bdmarc\s*=\s*fail\b", value, re.IGNORECASE) for value in results)


def _answerer(*, address: str, request: EscalationRequest) -> User:
    """The active person with this address who may answer the request; raises MailRefused otherwise."""
    people = list(User.objects.filter(email__iexact=address, is_active=True).order_by("id"))
    if not people:
        raise MailRefused(_("This address belongs to no one at Crisis Desk."), reason="unknown_sender")
    for person in people:
        if user_may_answer(user=person, request=request):
            return person
    raise MailRefused(_("Only the department may answer this request."), reason="not_member")


def _reply_read(message: InboundMessage) -> tuple[EscalationRequest, User, str]:
    """The request, the person answering and the answer's text; raises MailRefused saying why not."""
    address = sender_address(message.sender)
    if _authentication_failed(message.authentication_results):
        raise MailRefused(_("The sender's domain says this e-mail is not theirs (DMARC)."), reason="not_authenticated")
    try:
        request_id = request_for_reply(
            recipients=list(message.recipients), in_reply_to=message.in_reply_to, references=message.references
        )
    except ReplyAddressRefused as refusal:
        raise MailRefused(str(refusal), reason=refusal.reason) from refusal
    request = EscalationRequest.objects.select_related("department").filter(pk=request_id).first()
    if request is None:
        raise MailRefused(_("That escalation request does not exist."), reason="unknown_request")
    try:
        author = _answerer(address=address, request=request)
    except MailRefused as refusal:
        raise MailRefused(str(refusal), reason=refusal.reason, request_id=request.pk) from refusal
    if request.status == RequestStatus.CLOSED:
        raise MailRefused(_("This request is closed."), reason="closed", request_id=request.pk)
    text = _storable(reply_text(text=message.text, html=message.html))
    if not text:
        raise MailRefused(_("The reply has no answer above the quoted text."), reason="empty", request_id=request.pk)
    return request, author, text


def _storable(text: str) -> str:
    """PostgreSQL text holds no NUL character; a stray one in a broken message must not lose it."""
    return text.replace("\x00", "\ufffd")


def _message_key(message: InboundMessage) -> str:
    """The Message-ID, or for a message without one a digest of what arrived (a resend is the same)."""
    return message.message_id[:255] or "sha256:" + hashlib.sha256(message.raw.encode()).hexdigest()


def mail_answer_receive(*, message: InboundMessage, now: datetime | None = None) -> MailOutcome:
    """Keep one inbound e-mail and record it as its request's answer, or refuse it with a reason.

    Idempotent on the Message-ID: a second delivery records nothing and reports "duplicate" with
    the first one's outcome. Emits what `escalation_answer_create` emits, after commit.
    """
    now = now or timezone.now()
    key = _message_key(message)
    with transaction.atomic():
        try:
            with transaction.atomic():
                inbound = InboundMail.objects.create(
                    message_id=_storable(key),
                    source=message.source,
                    sender=_storable(message.sender)[:254],
                    subject=_storable(message.subject)[:255],
                    outcome=InboundMailOutcome.REFUSED,
                    raw=_storable(message.raw),
                    received_at=now,
                )
        except IntegrityError:
            seen = InboundMail.objects.get(message_id=_storable(key))
            return MailOutcome("duplicate", seen.reason, seen.detail, seen.pk, seen.request_id, seen.answer_id)
        try:
            request, author, text = _reply_read(message)
            answer = escalation_answer_create(request_id=request.pk, author=author, text=text, now=now, via=VIA_EMAIL)
        except EscalationError as refusal:
            return _refused(inbound=inbound, refusal=refusal)
        inbound.request, inbound.author, inbound.answer = request, author, answer
        inbound.outcome, inbound.detail = InboundMailOutcome.ANSWERED, text
        inbound.save(update_fields=["request", "author", "answer", "outcome", "detail"])
    logger.info("E-mail %s answered escalation #%s as user %s.", inbound.pk, request.pk, author.pk)
    return MailOutcome("answered", "", "", inbound.pk, request.pk, answer.pk)


def _refused(*, inbound: InboundMail, refusal: EscalationError) -> MailOutcome:
    """Settle a refused message's row, audited and logged, inside the caller's transaction."""
    reason = getattr(refusal, "reason", "refused")
    inbound.reason, inbound.detail = reason, str(refusal)
    inbound.request_id = getattr(refusal, "request_id", None)
    inbound.save(update_fields=["reason", "detail", "request"])
    audit_record(
        actor=None,
        verb="escalation.mail_refused",
        target=inbound,
        data={"reason": reason, "request": inbound.request_id, "source": inbound.source},
    )
    logger.warning("E-mail %s from %r refused: %s (%s).", inbound.pk, inbound.sender, reason, refusal)
    return MailOutcome("refused", reason, str(refusal), inbound.pk)
