"""The addresses that make a reply to a notification find its request: the Reply-To and the Message-ID.

Each escalation e-mail carries `Reply-To: answers+<token>@<domain>` (from `ESCALATION_REPLY_ADDRESS`)
and a Message-ID stored on its notification row, so a reply names its request twice: by the
address it was sent to, and by its `In-Reply-To`/`References`. Neither is guessable: the token is a
salted HMAC (`django.utils.crypto.salted_hmac`, the primitive `django.core.signing` is built on)
of the request id and the time it was issued, in lowercase hex because mail systems may fold the
case of an address; the Message-ID holds 96 random bits. Both stop opening the request after
`ESCALATION_LINK_MAX_AGE_SECONDS`, like the signed link. They say which request, never who may
answer it: that is the sender's own membership (`mail_answers`).
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from escalation.models import EscalationNotification
from escalation.services.errors import EscalationError

MAIL_REPLY_SALT = "crisisdesk.escalation.mail-reply"
SIGNATURE_HEX_LENGTH = 24  # 96 bits
MESSAGE_ID_PATTERN = re.compile(r"<([^<>\s]{1,250})>")
TAG_PATTERN = re.compile(r"^(\d{1,12})-([0-9a-z]{1,10})-([0-9a-f]+)$")


class ReplyAddressRefused(EscalationError):
    """The reply names no request we can open: unknown, tampered with or expired."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
        if not number:
            return text


def _signature(value: str) -> str:
    return salted_hmac(MAIL_REPLY_SALT, value, algorithm="sha256").hexdigest()[:SIGNATURE_HEX_LENGTH]


def reply_tag(*, request_id: int, issued_at: int | None = None) -> str:
    """The part after the "+" of a request's reply address: `<id>-<issued, base 36>-<signature>`."""
    value = f"{request_id}-{_base36(int(time.time()) if issued_at is None else issued_at)}"
    return f"{value}-{_signature(value)}"


def reply_address(*, request_id: int) -> str:
    """The Reply-To of a request's e-mails; empty when no reply address is configured."""
    mailbox, separator, domain = settings.ESCALATION_REPLY_ADDRESS.strip().rpartition("@")
    if not separator or not mailbox or not domain:
        return ""
    return f"{mailbox.split('+', 1)[0]}+{reply_tag(request_id=request_id)}@{domain}"


def message_id_new(*, request_id: int) -> str:
    """A fresh, unguessable Message-ID for one notification, on the reply (or sending) domain."""
    address = settings.ESCALATION_REPLY_ADDRESS or settings.DEFAULT_FROM_EMAIL
    domain = address.rpartition("@")[2].strip(" >") or "crisisdesk.invalid"
    return f"<escalation.{request_id}.{secrets.token_hex(12)}@{domain}>"


def _expired() -> ReplyAddressRefused:
    return ReplyAddressRefused(
        _("This notification is too old to answer by e-mail. Answer on the escalation desk."), reason="expired"
    )


def _tag_request(tag: str, *, now: float) -> int:
    """The request a reply address's tag names; raises ReplyAddressRefused for a bad or old one."""
    match = TAG_PATTERN.match(tag.lower())
    if match is None:
        raise ReplyAddressRefused(_("The reply address does not name a request."), reason="unknown_request")
    request_id, issued, signature = match.groups()
    if not constant_time_compare(_signature(f"{request_id}-{issued}"), signature):
        raise ReplyAddressRefused(_("The reply address is not valid."), reason="unknown_request")
    if now - int(issued, 36) > settings.ESCALATION_LINK_MAX_AGE_SECONDS:
        raise _expired()
    return int(request_id)


def _tags(recipients: list[str]) -> list[str]:
    tags = []
    for address in recipients:
        mailbox = address.rpartition("@")[0]
        if "+" in mailbox:
            tags.append(mailbox.split("+", 1)[1])
    return tags


def referenced_message_ids(*headers: str) -> list[str]:
    """The Message-IDs an In-Reply-To or References header names, in order, without their brackets."""
    return [found for header in headers for found in MESSAGE_ID_PATTERN.findall(header or "")]


def request_for_reply(*, recipients: list[str], in_reply_to: str, references: str) -> int:
    """The request a reply answers: by its reply address first, else by the message it replies to.

    Raises ReplyAddressRefused when neither names a request, or only an expired one does."""
    now = time.time()
    refusal: ReplyAddressRefused | None = None
    for tag in _tags(recipients):
        try:
            return _tag_request(tag, now=now)
        except ReplyAddressRefused as error:
            refusal = refusal or error
    ids = [f"<{found}>" for found in referenced_message_ids(in_reply_to, references)]
    if ids:
        notification = (
            EscalationNotification.objects.filter(message_id__in=ids).exclude(message_id="").order_by("-id").first()
        )
        if notification is not None:
            age = timezone.now() - notification.created_at
            if age <= timedelta(seconds=settings.ESCALATION_LINK_MAX_AGE_SECONDS):
                return notification.request_id
            refusal = _expired()
    raise refusal or ReplyAddressRefused(
        _("This e-mail does not answer an escalation notification."), reason="unknown_request"
    )
