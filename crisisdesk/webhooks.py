"""Outgoing webhooks: tell other tools (Slack, a ticketing system, a status page) what happened.

Other apps call one function, `webhook_event_emit`, inside their own transaction. It writes one
`WebhookDelivery` row per matching endpoint and, only after the caller commits, queues the
`notify.webhook_deliver` task. A rolled-back crisis is never announced.

Signing (what receivers check)
------------------------------
Every POST carries:

- ``X-CrisisDesk-Event``: the event type, e.g. ``crisis.declared``;
- ``X-CrisisDesk-Event-Id``: the event's UUID, the same on every retry (deduplicate on it);
- ``X-CrisisDesk-Delivery``: the delivery's id in Crisis Desk's delivery log;
- ``X-CrisisDesk-Timestamp``: Unix seconds when this attempt was signed;
- ``X-CrisisDesk-Signature``: ``sha256=<hex>``, HMAC-SHA256 with the endpoint's secret over
  ``<timestamp>.<raw body bytes>``.

A receiver recomputes the HMAC over the timestamp header, a dot and the raw body, compares it in
constant time, and rejects timestamps more than a few minutes old: a captured request cannot be
replayed later, and the timestamp cannot be changed without breaking the signature.

Retries
-------
Anything but a 2xx answer (or no answer within 5 s) is retried with exponential backoff: 30 s,
2 min, 8 min, 32 min, 1 h; after 6 attempts the delivery is marked failed. Redirects are not
followed. The delivery row is the timer: `notify.webhook_deliveries_sweep` re-queues any pending
delivery whose `next_attempt_at` has passed, so a lost task only delays a delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import (
    User,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
    WebhookFormat,
)

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT_SECONDS = 5.0
MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
# While an attempt is in flight, its row is "not due" for this long, so a sweeper or a duplicate
# task does not post the same delivery twice at the same time.
ATTEMPT_LEASE = timedelta(seconds=60)
SIGNATURE_HEADER = "X-CrisisDesk-Signature"
TIMESTAMP_HEADER = "X-CrisisDesk-Timestamp"
MENTION_EVENT_NAMESPACE = uuid.UUID("6f1c2a52-3f55-4c7e-9d0e-7c2b8f0f9a11")
ENDPOINT_FIELDS = ("name", "url", "events", "format", "min_priority", "is_active")


class WebhookError(Exception):
    """An endpoint that cannot be registered as asked; the message says why, `field` says where."""

    def __init__(self, message: str, *, field: str = "detail") -> None:
        super().__init__(message)
        self.field = field


# --- endpoints ---------------------------------------------------------------------------------


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
        endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
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
        endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None:
            raise WebhookError(_("No webhook endpoint with that id."))
        audit_record(actor=actor, verb="webhook.delete", target=endpoint, data={"url": endpoint.url})
        endpoint.delete()


# --- emitting ----------------------------------------------------------------------------------


def webhook_event_emit(
    *,
    event_type: str,
    payload: dict[str, Any],
    priority: int | None = None,
    event_id: uuid.UUID | None = None,
) -> None:
    """Queue `event_type` for every active endpoint subscribed to it, once the caller commits.

    Call it inside the transaction that made the change. Pass a stable `event_id` (e.g. a uuid5
    of the crisis id and its new level) to make a repeated call a no-op: each endpoint receives a
    given event id at most once. `payload` must be JSON-serialisable; it is sent as `data`.

    Event types and the payload each caller sends:

    - ``crisis.declared``: ``{"crisis": {"id", "title", "level", "declared_by", "declared_at", "url"}}``
    - ``crisis.level_changed``: ``{"crisis": {...as above}, "previous_level": ...}``
    - ``crisis.resolved``: ``{"crisis": {...as above, "resolved_at"}}``
    - ``escalation.overdue``: ``{"escalation": {"id", "subject", "department", "due_at", "level", "url"}}``
    - ``mention.priority_above``: ``{"mention": {"id", "channel", "channel_name", "author", "text",
      "priority", "category", "sentiment", "posted_at", "url"}, "threshold": int}`` — sent by
      `webhook_mentions_emit` from the ingestion pipeline; pass `priority`, compared with each
      endpoint's `min_priority`.

    JSON endpoints receive ``{"id", "type", "created_at", "data": payload}``; Slack endpoints
    receive ``{"text", "blocks"}`` built from the same payload.
    """
    if event_type not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event type {event_type!r}.")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True)
        if event_type in endpoint.events
        and (
            event_type != WebhookEvent.MENTION_PRIORITY_ABOVE
            or (priority is not None and priority >= endpoint.min_priority)
        )
    ]
    _deliveries_create([(endpoint, event_type, event_id or uuid.uuid4(), payload) for endpoint in endpoints])


def webhook_mentions_emit(*, mention_ids: list[int]) -> None:
    """Emit `mention.priority_above` for new mentions at or above an endpoint's threshold.

    Called by the ingestion pipeline once per batch: one query for endpoints (and nothing else when
    none subscribes), one for the mentions, one bulk insert. Idempotent per mention and endpoint.
    """
    from inbox.models import Mention

    if not mention_ids:
        return
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True)
        if WebhookEvent.MENTION_PRIORITY_ABOVE in endpoint.events
    ]
    if not endpoints:
        return
    threshold = min(endpoint.min_priority for endpoint in endpoints)
    mentions = Mention.objects.filter(pk__in=mention_ids, priority__gte=threshold).select_related(
        "channel", "author"
    )
    rows = []
    for mention in mentions:
        event_id = uuid.uuid5(MENTION_EVENT_NAMESPACE, f"mention.priority_above:{mention.pk}")
        for endpoint in endpoints:
            if mention.priority >= endpoint.min_priority:
                payload = {"mention": _mention_payload(mention), "threshold": endpoint.min_priority}
                rows.append((endpoint, WebhookEvent.MENTION_PRIORITY_ABOVE.value, event_id, payload))
    _deliveries_create(rows)


def _mention_payload(mention) -> dict[str, Any]:
    return {
        "id": mention.pk,
        "channel": mention.channel.kind,
        "channel_name": mention.channel.name,
        "author": mention.author.handle if mention.author_id else "",
        "text": mention.text[:1000],
        "priority": mention.priority,
        "category": mention.category,
        "sentiment": mention.sentiment,
        "posted_at": mention.posted_at.isoformat() if mention.posted_at else None,
        "url": settings.PUBLIC_BASE_URL + reverse("inbox:detail", args=[mention.pk]),
    }


def _deliveries_create(rows: list[tuple[WebhookEndpoint, str, uuid.UUID, dict[str, Any]]]) -> None:
    if not rows:
        return
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event_type=event_type,
                event_id=event_id,
                payload=webhook_body(
                    format=endpoint.format,
                    event_type=event_type,
                    event_id=event_id,
                    payload=payload,
                    created_at=now,
                ),
            )
            for endpoint, event_type, event_id, payload in rows
        ],
        ignore_conflicts=True,
    )
    # Ids are read back because ignore_conflicts returns none; an already-known event is re-queued
    # harmlessly, since a delivered or in-flight row is skipped by the attempt.
    delivery_ids = list(
        WebhookDelivery.objects.filter(
            endpoint_id__in={endpoint.pk for endpoint, *_ in rows},
            event_id__in={event_id for _, _, event_id, _ in rows},
            status=WebhookDeliveryStatus.PENDING,
            attempts=0,
        ).values_list("id", flat=True)
    )
    _enqueue_on_commit(delivery_ids)


def _enqueue_on_commit(delivery_ids: list[int], countdown: float = 0) -> None:
    from crisisdesk.tasks import webhook_deliver

    def enqueue() -> None:
        for delivery_id in delivery_ids:
            webhook_deliver.apply_async(args=[delivery_id], countdown=countdown or None)

    if delivery_ids:
        transaction.on_commit(enqueue)


# --- bodies and signatures ---------------------------------------------------------------------


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


# --- delivering --------------------------------------------------------------------------------


def webhook_retry_delay(attempts: int) -> float:
    """Seconds to wait after the given number of failed attempts: 30 s × 4ⁿ⁻¹, at most an hour."""
    return float(min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 4 ** max(0, attempts - 1)))


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt at a pending, due delivery and record the outcome.

    Guarantees: a delivered or failed delivery is never posted again; two workers never post the
    same delivery at once (the row is claimed under a lock with a lease); a failure schedules the
    next attempt after commit, and the sixth failure marks the delivery failed. Returns the
    delivery after the attempt, or None when there was nothing to do.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status != WebhookDeliveryStatus.PENDING:
            return None
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None
        endpoint = delivery.endpoint
        if not endpoint.is_active:
            delivery.status = WebhookDeliveryStatus.FAILED
            delivery.last_error = "The endpoint was disabled before delivery."
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
            return delivery
        delivery.attempts += 1
        delivery.next_attempt_at = now + ATTEMPT_LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])

    status_code, error = _post(delivery, endpoint)

    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.last_status_code = status_code
        delivery.last_error = error[:2000]
        finished_at = timezone.now()
        if not error:
            delivery.status = WebhookDeliveryStatus.DELIVERED
            delivery.delivered_at = finished_at
            delivery.next_attempt_at = None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = WebhookDeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delay = webhook_retry_delay(delivery.attempts)
            delivery.next_attempt_at = finished_at + timedelta(seconds=delay)
            _enqueue_on_commit([delivery.pk], countdown=delay)
        delivery.save(
            update_fields=["last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"]
        )
    if error:
        logger.warning("Webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error)
    return delivery


def _post(delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> tuple[int | None, str]:
    """POST the stored body, signed now. Returns (status code, error); no error means delivered."""
    problem = webhook_url_problem(endpoint.url)
    if problem:
        return None, problem
    body = webhook_body_bytes(delivery.payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "CrisisDesk-Webhooks/1",
        "X-CrisisDesk-Event": delivery.event_type,
        "X-CrisisDesk-Event-Id": str(delivery.event_id),
        "X-CrisisDesk-Delivery": str(delivery.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: webhook_signature(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    try:
        with httpx.Client(timeout=DELIVERY_TIMEOUT_SECONDS, follow_redirects=False) as client:
            response = client.post(endpoint.url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}: {response.text[:500]}"


def webhook_deliveries_retry_due() -> list[int]:
    """Re-queue pending deliveries whose next attempt is due (or never queued). Safe to run twice."""
    now = timezone.now()
    never_queued = Q(next_attempt_at__isnull=True, created_at__lte=now - ATTEMPT_LEASE)
    delivery_ids = list(
        WebhookDelivery.objects.filter(
            never_queued | Q(next_attempt_at__lte=now), status=WebhookDeliveryStatus.PENDING
        )
        .order_by("id")
        .values_list("id", flat=True)[:1000]
    )
    _enqueue_on_commit(delivery_ids)
    return delivery_ids
