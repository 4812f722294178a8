"""The few Slack Web API calls an escalation makes with the app's bot token (`SLACK_BOT_TOKEN`).

`views.open` shows a modal for a click (its `trigger_id` is valid three seconds, so this is called
inside the interaction request); `users.info` tells whose click it was (the member's e-mail, which
maps them to a Crisis Desk user, docs/ESCALATION.md); the click's `response_url` replaces the
original message once the modal is submitted. The base URL is `SLACK_API_BASE_URL`, so that tests
point every call at a fake Slack server. Failures raise `SlackApiError`; callers decide whether
that matters (a modal that did not open, a message left as it was: never a lost answer).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from escalation.notifications import http_client

logger = logging.getLogger(__name__)

RESPONSE_URL_HOST = "hooks.slack.com"


class SlackApiError(Exception):
    """Slack refused a call (`{"ok": false, "error": …}`) or could not be reached."""


class SlackUnavailable(SlackApiError):
    """Slack could not be reached or answered 5xx: worth one more try later."""


def bot_configured() -> bool:
    """True when the app has a bot token: the buttons then open modals instead of the signed page."""
    return bool(settings.SLACK_BOT_TOKEN)


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.SLACK_BOT_TOKEN}"}


def _result(response: httpx.Response, method: str) -> dict[str, Any]:
    if response.status_code >= 500 or response.status_code == 429:
        raise SlackUnavailable(f"{method}: HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as error:
        raise SlackApiError(f"{method}: not JSON (HTTP {response.status_code})") from error
    if not isinstance(body, dict) or not body.get("ok"):
        error_code = body.get("error", "unknown") if isinstance(body, dict) else "unknown"
        raise SlackApiError(f"{method}: {error_code}")
    return body


def api_post(method: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a JSON body to a Web API method with the bot token; Slack's answer when it says ok."""
    try:
        with http_client() as client:
            response = client.post(f"{settings.SLACK_API_BASE_URL}/{method}", json=body, headers=_headers())
    except httpx.HTTPError as error:
        raise SlackUnavailable(f"{method}: {error}") from error
    return _result(response, method)


def views_open(*, trigger_id: str, view: dict[str, Any]) -> str:
    """Open a modal for the click that gave `trigger_id`; the new view's id."""
    body = api_post("views.open", {"trigger_id": trigger_id, "view": view})
    opened = body.get("view")
    return str(opened.get("id", "")) if isinstance(opened, dict) else ""


def member_email(*, slack_user: str) -> str:
    """The e-mail address of a workspace member (`users.info`, scope `users:read.email`); "" for a
    deleted member, a bot or a member without one."""
    if not slack_user:
        return ""
    try:
        with http_client() as client:
            response = client.get(
                f"{settings.SLACK_API_BASE_URL}/users.info", params={"user": slack_user}, headers=_headers()
            )
    except httpx.HTTPError as error:
        raise SlackUnavailable(f"users.info: {error}") from error
    user = _result(response, "users.info").get("user")
    if not isinstance(user, dict) or user.get("deleted") or user.get("is_bot"):
        return ""
    profile = user.get("profile")
    return str(profile.get("email") or "") if isinstance(profile, dict) else ""


def response_url_allowed(url: str) -> bool:
    """A `response_url` we will POST to: Slack's own hooks host over HTTPS, or the configured API's
    host (the fake server in tests). Anything else is refused, whatever the payload says."""
    parts = urlsplit(url)
    api = urlsplit(settings.SLACK_API_BASE_URL)
    if parts.scheme == "https" and parts.hostname == RESPONSE_URL_HOST:
        return True
    return bool(parts.hostname) and (parts.scheme, parts.netloc) == (api.scheme, api.netloc)


def message_replace(*, response_url: str, message: dict[str, Any]) -> None:
    """Replace the message a click came from (`replace_original`): works for messages an incoming
    webhook posted, which `chat.update` cannot edit. The URL itself is the credential (no token)."""
    if not response_url_allowed(response_url):
        raise SlackApiError("response_url: not a Slack URL")
    try:
        with http_client() as client:
            response = client.post(response_url, json={"replace_original": True, **message})
    except httpx.HTTPError as error:
        raise SlackUnavailable(f"response_url: {error}") from error
    if response.status_code >= 500 or response.status_code == 429:
        raise SlackUnavailable(f"response_url: HTTP {response.status_code}")
    if response.status_code >= 400:
        raise SlackApiError(f"response_url: HTTP {response.status_code} {response.text[:200]}")
