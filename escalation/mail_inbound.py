"""Inbound e-mail as one value, whichever way it arrived: raw MIME (IMAP, Mailgun's `…mime` route),
Mailgun's parsed route POST, or Postmark's inbound JSON; and the checks that a POST is really theirs.

- **Mailgun** signs each POST: `signature` is the hex HMAC-SHA256, keyed with the webhook signing
  key (`MAILGUN_WEBHOOK_SIGNING_KEY`), of `timestamp` + `token`; a timestamp more than five minutes
  away is refused (a replay).
- **Postmark** does not sign inbound POSTs; its documented protection is HTTP Basic credentials in
  the webhook URL (`https://postmark:<password>@…`): the password is `POSTMARK_INBOUND_PASSWORD`.
Both comparisons are constant-time, and with no key configured nothing is accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from django.conf import settings

MAX_AGE_SECONDS = 5 * 60
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass(frozen=True)
class InboundMessage:
    """What the answer service needs from an e-mail, and the message as received (kept whatever happens)."""

    source: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    message_id: str
    in_reply_to: str
    references: str
    text: str
    html: str
    raw: str
    authentication_results: tuple[str, ...] = ()


def _addresses(*values: str) -> tuple[str, ...]:
    return tuple(address for _name, address in getaddresses([value for value in values if value]) if address)


def _mime_part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return ""
    try:
        return str(part.get_content())
    except (LookupError, ValueError):  # an unknown charset or a broken transfer encoding
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def from_mime(data: bytes, *, source: str, envelope_recipients: tuple[str, ...] = ()) -> InboundMessage:
    """One RFC 5322 message, as IMAP fetches it or Mailgun posts it in `body-mime`."""
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(data)

    def header(name: str) -> str:
        return str(message.get(name, "") or "")

    return InboundMessage(
        source=source,
        sender=header("From"),
        recipients=envelope_recipients + _addresses(*(header(name) for name in RECIPIENT_HEADERS)),
        subject=header("Subject"),
        message_id=header("Message-ID").strip(),
        in_reply_to=header("In-Reply-To"),
        references=header("References"),
        text=_mime_part(message, "plain"),
        html=_mime_part(message, "html"),
        raw=data.decode("utf-8", "replace"),
        authentication_results=tuple(str(value) for value in message.get_all("Authentication-Results", [])),
    )


def _mailgun_headers(fields: Mapping[str, str]) -> dict[str, list[str]]:
    """The MIME headers Mailgun lists in `message-headers` ([[name, value], …]), by lowercase name."""
    headers: dict[str, list[str]] = {}
    try:
        listed = json.loads(fields.get("message-headers") or "[]")
    except ValueError:
        listed = []
    for item in listed if isinstance(listed, list) else []:
        if isinstance(item, list) and len(item) == 2:
            headers.setdefault(str(item[0]).lower(), []).append(str(item[1]))
    return headers


def from_mailgun(fields: Mapping[str, str]) -> InboundMessage:
    """A Mailgun route's POST: the parsed fields, or the raw message of a route ending in `mime`."""
    recipients = _addresses(fields.get("recipient", ""))
    if fields.get("body-mime"):
        return from_mime(fields["body-mime"].encode(), source="mailgun", envelope_recipients=recipients)
    headers = _mailgun_headers(fields)

    def header(name: str) -> str:
        return fields.get(name) or (headers.get(name.lower()) or [""])[0]

    kept = {key: value for key, value in fields.items() if key not in ("signature", "token", "timestamp")}
    return InboundMessage(
        source="mailgun",
        sender=fields.get("from") or header("From"),
        recipients=recipients + _addresses(header("To"), header("Cc")),
        subject=fields.get("subject") or header("Subject"),
        message_id=(header("Message-Id") or header("Message-ID")).strip(),
        in_reply_to=header("In-Reply-To"),
        references=header("References"),
        text=fields.get("body-plain", ""),
        html=fields.get("body-html", ""),
        raw=json.dumps(kept, ensure_ascii=False),
        authentication_results=tuple(headers.get("authentication-results", [])),
    )


def from_postmark(data: Mapping[str, Any]) -> InboundMessage:
    """Postmark's inbound webhook JSON (`FromFull`, `ToFull`, `Headers`, `TextBody`, `HtmlBody`…)."""
    headers: dict[str, list[str]] = {}
    for item in data.get("Headers") or []:
        if isinstance(item, dict):
            headers.setdefault(str(item.get("Name", "")).lower(), []).append(str(item.get("Value", "")))
    from_full = data.get("FromFull")
    sender: Mapping[str, Any] = from_full if isinstance(from_full, dict) else {}
    listed = [item for key in ("ToFull", "CcFull") for item in (data.get(key) or []) if isinstance(item, dict)]
    return InboundMessage(
        source="postmark",
        sender=str(sender.get("Email") or data.get("From") or ""),
        recipients=_addresses(str(data.get("OriginalRecipient") or ""), str(data.get("To") or ""))
        + tuple(str(item.get("Email")) for item in listed if item.get("Email")),
        subject=str(data.get("Subject") or ""),
        message_id=(headers.get("message-id") or [""])[0].strip(),
        in_reply_to=(headers.get("in-reply-to") or [""])[0],
        references=(headers.get("references") or [""])[0],
        text=str(data.get("TextBody") or ""),
        html=str(data.get("HtmlBody") or ""),
        raw=json.dumps(data, ensure_ascii=False),
        authentication_results=tuple(headers.get("authentication-results", [])),
    )


def mailgun_signature_for(*, key: str, timestamp: str, token: str) -> str:
    """The `signature` Mailgun computes for a POST's timestamp and token."""
    return hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def mailgun_signature_valid(*, timestamp: str, token: str, signature: str, now: float | None = None) -> bool:
    """True for a POST Mailgun signed with our key less than five minutes ago."""
    key = settings.MAILGUN_WEBHOOK_SIGNING_KEY
    if not key or not timestamp.isdigit() or not token or not signature:
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    expected = mailgun_signature_for(key=key, timestamp=timestamp, token=token)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


def postmark_credentials_valid(authorization: str) -> bool:
    """True when the `Authorization: Basic …` header carries our inbound password (any user name)."""
    expected = settings.POSTMARK_INBOUND_PASSWORD
    scheme, _separator, encoded = authorization.partition(" ")
    if not expected or scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    password = decoded.partition(":")[2]
    return hmac.compare_digest(expected.encode(), password.encode())
