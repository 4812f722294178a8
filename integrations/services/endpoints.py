"""Registering, changing and removing outgoing webhook endpoints (admins, through the API or the admin)."""

from __future__ import annotations

import ipaddress
import secrets
import socket
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from integrations.models import WebhookEndpoint, WebhookEvent, WebhookFormat

ENDPOINT_FIELDS = ("name", "url", "events", "format", "min_priority", "is_active")


class WebhookError(Exception):
    """An endpoint that cannot be registered as asked; the message says why, `field` says where."""

    def __init__(self, message: str, *, field: str = "detail") -> None:
        super().__init__(message)
        self.field = field


def webhook_url_problem(url: str) -> str | None:
    """Why this URL may not receive webhooks, or None.

    Only http(s); no credentials in the URL; and, unless WEBHOOKS_ALLOW_PRIVATE, every address the
    host resolves to must be public, so a webhook cannot be aimed at the internal network.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("The URL is not valid.")
    if parts.scheme not in ("http", "https"):
        return _("The URL must start with http:// or https://.")
    if not parts.hostname:
        return _("The URL has no host.")
    if parts.username or parts.password:
        return _("The URL must not contain a user name or password.")
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False):
        return None
    try:
        infos = socket.getaddrinfo(
            parts.hostname, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError, ValueError):
        return _("The URL's host cannot be resolved.")
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            return _("The URL points to a private or local address.")
    return None


def _events_clean(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if unknown:
        raise WebhookError(
            _("Unknown event types: %(events)s.") % {"events": ", ".join(unknown)}, field="events"
        )
    if not events:
        raise WebhookError(_("Choose at least one event."), field="events")
    return [value for value in WebhookEvent.values if value in events]


def webhook_endpoint_create(
    *,
    actor: User,
    url: str,
    events: list[str],
    format: str = WebhookFormat.JSON,
    min_priority: int = 80,
    name: str = "",
    is_active: bool = True,
) -> WebhookEndpoint:
    """Register an endpoint with a fresh secret; the caller shows `endpoint.secret` once. Audited."""
    problem = webhook_url_problem(url)
    if problem:
        raise WebhookError(problem, field="url")
    if format not in WebhookFormat.values:
        raise WebhookError(_("Unknown format."), field="format")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            name=name,
            url=url,
            events=_events_clean(events),
            format=format,
            min_priority=min_priority,
            secret=secrets.token_hex(32),
            is_active=is_active,
            created_by=actor,
        )
        audit_record(
            actor=actor, verb="webhook.create", target=endpoint, data={"url": url, "events": endpoint.events}
        )
    return endpoint


def webhook_endpoint_update(*, endpoint_id: int, actor: User, changes: dict[str, Any]) -> WebhookEndpoint:
    """Change an endpoint's URL, events, format, threshold or state; the secret never changes here."""
    changes = {key: value for key, value in changes.items() if key in ENDPOINT_FIELDS}
    if "url" in changes:
        problem = webhook_url_problem(changes["url"])
        if problem:
            raise WebhookError(problem, field="url")
    if "events" in changes:
        changes["events"] = _events_clean(changes["events"])
    if "format" in changes and changes["format"] not in WebhookFormat.values:
        raise WebhookError(_("Unknown format."), field="format")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update(no_key=True).filter(pk=endpoint_id).first()
        if endpoint is None:
            raise WebhookError(_("No webhook endpoint with that id."))
        for key, value in changes.items():
            setattr(endpoint, key, value)
        endpoint.save(update_fields=list(changes) or None)
        audit_record(actor=actor, verb="webhook.update", target=endpoint, data={"fields": sorted(changes)})
    return endpoint


def webhook_endpoint_delete(*, endpoint_id: int, actor: User) -> None:
    """Remove an endpoint and its delivery log. Audited (the URL stays in the audit trail)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update(no_key=True).filter(pk=endpoint_id).first()
        if endpoint is None:
            raise WebhookError(_("No webhook endpoint with that id."))
        audit_record(actor=actor, verb="webhook.delete", target=endpoint, data={"url": endpoint.url})
        endpoint.delete()
