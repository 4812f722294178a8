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
from collections.abc import Callable, Iterator
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


@dataclass(frozen=True)
class SlackAction:
    """One click on a button of any Crisis Desk message, as Slack reports it (`block_actions`)."""

    action_id: str
    value: str
    slack_user: str
    slack_user_name: str


# Apps above escalation (playbooks' alerts) handle their own buttons through the one interactivity URL.
SlackActionHandler = Callable[[SlackAction], None]
_handlers: dict[str, SlackActionHandler] = {}


def slack_action_handler_register(action_id: str, handler: SlackActionHandler) -> None:
    """Route verified clicks on buttons with this `action_id` to `handler` (registered in `ready()`)."""
    _handlers[action_id] = handler


def slack_actions(payload: str) -> Iterator[SlackAction]:
    """Every button clicked in a `block_actions` payload (the form field `payload`, JSON)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return
    if not isinstance(data, dict) or data.get("type") != "block_actions":
        return
    user = data["user"] if isinstance(data.get("user"), dict) else {}
    slack_user = str(user.get("id", ""))
    name = str(user.get("name") or user.get("username") or slack_user)[:120]
    for action in data.get("actions") or []:
        if isinstance(action, dict) and action.get("action_id"):
            yield SlackAction(str(action["action_id"]), str(action.get("value", "")), slack_user, name)


def slack_actions_dispatch(payload: str) -> int:
    """Hand each registered button's click to its handler; returns how many were handled."""
    handled = 0
    for action in slack_actions(payload):
        handler = _handlers.get(action.action_id)
        if handler is not None:
            handler(action)
            handled += 1
    return handled


def escalation_clicks(payload: str) -> Iterator[Click]:
    """The escalation buttons clicked in a `block_actions` payload (the form field `payload`, JSON)."""
    for action in slack_actions(payload):
        if action.action_id in (SLACK_ACTION_ACKNOWLEDGE, SLACK_ACTION_ANSWER) and action.value.isdigit():
            yield Click(request_id=int(action.value), action_id=action.action_id, slack_user=action.slack_user)
