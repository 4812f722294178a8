"""Emitting outgoing webhook events: one delivery row per matching endpoint, queued after commit."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from inbox.models import Mention
from integrations.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint, WebhookEvent
from integrations.services.bodies import webhook_body

MENTION_EVENT_NAMESPACE = uuid.UUID("6f1c2a52-3f55-4c7e-9d0e-7c2b8f0f9a11")


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
    - ``alert.opened``: ``{"alert": {"id", "brand", "signal", "signal_label", "topic", "severity",
      "suggested_level", "suggested_type", "started_at", "url", "explanation"}}`` — sent once per alert
      (its id in the event id) when a matching alert route asks for it (`playbooks.alert_routing`).
    - ``case.created``: ``{"case": {"number", "type", "priority", "status", "subject", "owner", "created_at",
      "url", "mentions": [{"id", "channel", "author", "text", "url"}]}}`` — sent once per case (a uuid5 of its
      number is the event id) by `inbox.services.case_open`.

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


def _mention_payload(mention: Mention) -> dict[str, Any]:
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
    webhook_deliveries_enqueue_on_commit(delivery_ids=delivery_ids)


def webhook_deliveries_enqueue_on_commit(*, delivery_ids: list[int], countdown: float = 0) -> None:
    """Queue one attempt per delivery once the caller's transaction commits (a rollback queues nothing)."""
    from integrations.tasks import webhook_deliver  # why: the tasks module imports these services

    def enqueue() -> None:
        for delivery_id in delivery_ids:
            webhook_deliver.apply_async(args=[delivery_id], countdown=countdown or None)

    if delivery_ids:
        transaction.on_commit(enqueue)
