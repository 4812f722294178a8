"""Replies to an escalation e-mail as the head's mail client would write them, for the mail-answer tests."""

from __future__ import annotations

import secrets
import time
from email.message import EmailMessage

from django.conf import settings
from django.core import mail

from escalation.mail_inbound import mailgun_signature_for
from escalation.models import EscalationNotification

REPLY_ADDRESS = "answers@reply.telco.example"
QUOTED_SPANISH = (
    "\n\nEl lun, 2 mar 2026 a las 10:00, Crisis Desk <crisisdesk@telco.example> escribió:\n"
    "> ¿Cuándo vuelve la fibra en Vallecas?\n> Responde antes de las 11:00\n"
)


def sent_email():
    """The notification e-mail and its stored row."""
    message = mail.outbox[-1]
    return message, EscalationNotification.objects.get(message_id=message.extra_headers["Message-ID"])


def mailgun_fields(
    *, sender: str, recipient: str, text: str, message_id: str = "", in_reply_to: str = "", signed_at: int | None = None
) -> dict[str, str]:
    """A Mailgun route POST (parsed form), signed with the test key as Mailgun signs it."""
    timestamp = str(int(time.time()) if signed_at is None else signed_at)
    token = secrets.token_hex(25)
    return {
        "timestamp": timestamp,
        "token": token,
        "signature": mailgun_signature_for(key=settings.MAILGUN_WEBHOOK_SIGNING_KEY, timestamp=timestamp, token=token),
        "recipient": recipient,
        "sender": sender,
        "from": sender,
        "subject": "Re: [Crisis Desk] Técnica",
        "body-plain": text,
        "Message-Id": message_id or f"<{secrets.token_hex(8)}@mail.telco.example>",
        "In-Reply-To": in_reply_to,
    }


def reply_mime(*, sender: str, to: str, text: str, in_reply_to: str = "", message_id: str = "") -> bytes:
    """A reply as raw MIME, as an IMAP server stores it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: [Crisis Desk] Técnica"
    message["Message-ID"] = message_id or f"<{secrets.token_hex(8)}@mail.telco.example>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(text)
    return bytes(message)
