"""How a notification leaves the building: email through Django, chat through an incoming webhook.

The one transport for escalation's and playbooks' messages (crisis e-mails, alert messages).

Both return an error message instead of raising: a mail server or chat service that is down must
never stop the chain from climbing, and the failure is recorded on the notification row.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from crisisdesk import outbound

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = httpx.Timeout(5.0, connect=3.0)


def http_client() -> httpx.Client:
    """One place to build the client, so tests can hand in an `httpx.MockTransport`."""
    return outbound.http_client(timeout=WEBHOOK_TIMEOUT)


def request_link(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{path}"


def email_send(*, to: str, subject: str, body: str, html: str = "", reply_to: str = "", message_id: str = "") -> str:
    """Send a text e-mail, with an HTML alternative, a Reply-To and our own Message-ID when given."""
    try:
        message = EmailMultiAlternatives(
            subject,
            body,
            None,
            [to],
            reply_to=[reply_to] if reply_to else None,
            headers={"Message-ID": message_id} if message_id else None,
        )
        if html:
            message.attach_alternative(html, "text/html")
        message.send(fail_silently=False)
    except Exception as error:  # any transport error is recorded, never fatal
        logger.warning("Email to %s failed: %s", to, error)
        return f"{type(error).__name__}: {error}"[:500]
    return ""


def webhook_post(*, url: str, payload: dict[str, Any]) -> str:
    """POST a chat payload as JSON (Block Kit, an Adaptive Card envelope or `{"text": …}`)."""
    try:
        with http_client() as client:
            response = client.post(url, json=payload)
            response.raise_for_status()
    except httpx.HTTPError as error:
        logger.warning("Chat webhook %s failed: %s", url.split("?")[0][:80], error)
        return f"{type(error).__name__}: {error}"[:500]
    return ""
