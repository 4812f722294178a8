"""Slack's side of an escalation message: verifying what Slack posts back, reading its clicks.

Slack signs every request to an app's interactivity URL: `X-Slack-Signature` is `v0=` and the
hex HMAC-SHA256, keyed with the app's signing secret (`settings.SLACK_SIGNING_SECRET`), of
`v0:{X-Slack-Request-Timestamp}:{raw body}`. A request older than five minutes is refused
(replay), and the comparison is constant-time. Without a secret configured nothing is accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from escalation.services.messages import SLACK_ACTION_ACKNOWLEDGE, SLACK_ACTION_ANSWER

MAX_AGE_SECONDS = 5 * 60


def signature_for(*, secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Slack-Signature` value Slack computes for this body and timestamp."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signature_valid(*, body: bytes, timestamp: str, signature: str, now: float | None = None) -> bool:
    """True for a request Slack signed with our secret less than five minutes ago."""
    secret = settings.SLACK_SIGNING_SECRET
    if not secret or not timestamp.isdigit() or not signature:
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    return hmac.compare_digest(signature_for(secret=secret, timestamp=timestamp, body=body), signature)


@dataclass(frozen=True)
class Click:
    """One click on an escalation message's button, as Slack reports it (`block_actions`)."""

    request_id: int
    action_id: str
    slack_user: str


def escalation_clicks(payload: str) -> Iterator[Click]:
    """The escalation buttons clicked in a `block_actions` payload (the form field `payload`, JSON)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return
    if not isinstance(data, dict) or data.get("type") != "block_actions":
        return
    user = data.get("user")
    slack_user = str(user.get("id", "")) if isinstance(user, dict) else ""
    for action in data.get("actions") or []:
        if not isinstance(action, dict):
            continue
        value = str(action.get("value", ""))
        if action.get("action_id") in (SLACK_ACTION_ACKNOWLEDGE, SLACK_ACTION_ANSWER) and value.isdigit():
            yield Click(request_id=int(value), action_id=str(action["action_id"]), slack_user=slack_user)
