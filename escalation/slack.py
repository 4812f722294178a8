"""Slack's side of an escalation message: verifying what Slack posts back, reading its clicks and
the modals' submissions.

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
from typing import Any

from django.conf import settings

from escalation.services.messages import SLACK_ACTION_ACKNOWLEDGE, SLACK_ACTION_ANSWER

MAX_AGE_SECONDS = 5 * 60
ESCALATION_ACTIONS = (SLACK_ACTION_ACKNOWLEDGE, SLACK_ACTION_ANSWER)


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
    trigger_id: str = ""
    response_url: str = ""


@dataclass(frozen=True)
class Submission:
    """A submitted escalation modal (`view_submission`): who, which request, which view, what they typed.

    `values` is the view's state flattened to `{block_id: value}`: the text of a text input, the
    value of a selected option, and for checkboxes the selected values joined by commas."""

    callback_id: str
    request_id: int
    view_id: str
    slack_user: str
    response_url: str
    values: dict[str, str]


def _payload(payload: str) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def payload_type(payload: str) -> str:
    """The interaction's type (`block_actions`, `view_submission`…), or "" for what is not one."""
    return str(_payload(payload).get("type", ""))


def _slack_user(data: dict[str, Any]) -> str:
    user = data.get("user")
    return str(user.get("id", "")) if isinstance(user, dict) else ""


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
    data = _payload(payload)
    if data.get("type") != "block_actions":
        return
    slack_user = _slack_user(data)
    for action in data.get("actions") or []:
        if not isinstance(action, dict):
            continue
        value = str(action.get("value", ""))
        if action.get("action_id") in ESCALATION_ACTIONS and value.isdigit():
            yield Click(
                request_id=int(value),
                action_id=str(action["action_id"]),
                slack_user=slack_user,
                trigger_id=str(data.get("trigger_id", "")),
                response_url=str(data.get("response_url", "")),
            )


def _state_values(view: dict[str, Any]) -> dict[str, str]:
    state = view.get("state")
    blocks = state.get("values") if isinstance(state, dict) else None
    values: dict[str, str] = {}
    for block_id, actions in (blocks if isinstance(blocks, dict) else {}).items():
        for element in actions.values() if isinstance(actions, dict) else ():
            if not isinstance(element, dict):
                continue
            if isinstance(element.get("selected_option"), dict):
                values[str(block_id)] = str(element["selected_option"].get("value", ""))
            elif isinstance(element.get("selected_options"), list):
                selected = [
                    option.get("value", "") for option in element["selected_options"] if isinstance(option, dict)
                ]
                values[str(block_id)] = ",".join(str(value) for value in selected)
            else:
                values[str(block_id)] = str(element.get("value") or "")
    return values


def escalation_submission(payload: str) -> Submission | None:
    """The escalation modal submitted in a `view_submission` payload; None for any other view.

    The request and the original message's `response_url` travel in the view's `private_metadata`
    (JSON), which we wrote when opening the modal and Slack hands back inside the signed payload."""
    data = _payload(payload)
    view = data.get("view")
    if data.get("type") != "view_submission" or not isinstance(view, dict):
        return None
    if view.get("callback_id") not in ESCALATION_ACTIONS:
        return None
    metadata = _payload(str(view.get("private_metadata") or ""))
    request_id = metadata.get("request")
    if not isinstance(request_id, int) or isinstance(request_id, bool) or not view.get("id"):
        return None
    return Submission(
        callback_id=str(view["callback_id"]),
        request_id=request_id,
        view_id=str(view["id"]),
        slack_user=_slack_user(data),
        response_url=str(metadata.get("response_url") or ""),
        values=_state_values(view),
    )
