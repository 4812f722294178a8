"""Delivering outgoing webhooks: one attempt at a time, retried with backoff, swept when a task is lost."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import httpx
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crisisdesk.outbound import http_client
from integrations.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from integrations.services.bodies import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    webhook_body_bytes,
    webhook_signature,
)
from integrations.services.emit import webhook_deliveries_enqueue_on_commit
from integrations.services.endpoints import webhook_url_problem

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT_SECONDS = 5.0
MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
# While an attempt is in flight, its row is "not due" for this long, so a sweeper or a duplicate
# task does not post the same delivery twice at the same time.
ATTEMPT_LEASE = timedelta(seconds=60)


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
        delivery = WebhookDelivery.objects.select_for_update(no_key=True).filter(pk=delivery_id).first()
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
        delivery = WebhookDelivery.objects.select_for_update(no_key=True).get(pk=delivery_id)
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
            webhook_deliveries_enqueue_on_commit(delivery_ids=[delivery.pk], countdown=delay)
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
        with http_client(timeout=DELIVERY_TIMEOUT_SECONDS) as client:
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
    webhook_deliveries_enqueue_on_commit(delivery_ids=delivery_ids)
    return delivery_ids
