"""The documents outgoing webhooks POST, and their signatures (see `integrations.services` for the scheme)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from integrations.models import WebhookEvent, WebhookFormat

SIGNATURE_HEADER = "X-CrisisDesk-Signature"
TIMESTAMP_HEADER = "X-CrisisDesk-Timestamp"


def webhook_body(
    *, format: str, event_type: str, event_id: uuid.UUID, payload: dict[str, Any], created_at: datetime
) -> dict[str, Any]:
    """The exact document POSTed, stored on the delivery so every retry sends the same bytes."""
    if format == WebhookFormat.SLACK:
        text = _slack_text(event_type, payload)
        return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
    return {"id": str(event_id), "type": event_type, "created_at": created_at.isoformat(), "data": payload}


def webhook_body_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, timestamp + "." + body)."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def webhook_signature_verify(
    *,
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """What a receiver does; kept here as the reference implementation of the scheme."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return age <= tolerance_seconds and hmac.compare_digest(expected, signature)


def _slack_escape(text: Any) -> str:
    """Slack reads <...> as links and mentions; text written by strangers must not ping @channel."""
    return (
        str(text if text is not None else "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _slack_text(event_type: str, payload: dict[str, Any]) -> str:
    crisis = payload.get("crisis") or {}
    if event_type == WebhookEvent.CRISIS_DECLARED:
        line = _("Crisis declared: %(title)s (level %(level)s)")
    elif event_type == WebhookEvent.CRISIS_LEVEL_CHANGED:
        line = _("Crisis level changed: %(title)s is now level %(level)s")
    elif event_type == WebhookEvent.CRISIS_RESOLVED:
        line = _("Crisis resolved: %(title)s")
    elif event_type == WebhookEvent.ESCALATION_OVERDUE:
        escalation = payload.get("escalation") or {}
        line = _("Escalation overdue for %(department)s: %(subject)s") % {
            "department": _slack_escape(escalation.get("department")),
            "subject": _slack_escape(escalation.get("subject")),
        }
        return _with_link(line, escalation.get("url"))
    elif event_type == WebhookEvent.CASE_CREATED:
        case = payload.get("case") or {}
        line = _("Case %(number)s handed off to customer service: %(subject)s") % {
            "number": _slack_escape(case.get("number")),
            "subject": _slack_escape(case.get("subject")),
        }
        return _with_link(line, case.get("url"))
    elif event_type == WebhookEvent.ALERT_OPENED:
        alert = payload.get("alert") or {}
        line = _("Alert for %(brand)s: %(signal)s, severity %(severity)s/10") % {
            "brand": _slack_escape(alert.get("brand")),
            "signal": _slack_escape(alert.get("signal_label") or alert.get("signal")),
            "severity": _slack_escape(alert.get("severity")),
        }
        return _with_link(line, alert.get("url"))
    else:
        mention = payload.get("mention") or {}
        line = _("Priority %(priority)s mention on %(channel)s from %(author)s: %(text)s") % {
            "priority": _slack_escape(mention.get("priority")),
            "channel": _slack_escape(mention.get("channel_name") or mention.get("channel")),
            "author": _slack_escape(mention.get("author")),
            "text": _slack_escape(mention.get("text")),
        }
        return _with_link(line, mention.get("url"))
    line = line % {"title": _slack_escape(crisis.get("title")), "level": _slack_escape(crisis.get("level"))}
    return _with_link(line, crisis.get("url"))


def _with_link(line: str, url: Any) -> str:
    if not url:
        return line
    return f"{line}\n<{_slack_escape(url)}|{_('Open in Crisis Desk')}>"
