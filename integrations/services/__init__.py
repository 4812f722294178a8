"""Outgoing webhooks: tell other tools (Slack, a ticketing system, a status page) what happened.

Other apps call `inbox.hooks.outgoing_event_emit` inside their own transaction (this app registers
`webhook_event_emit` there, so the apps below it never import it). It writes one
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

from integrations.services.bodies import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    webhook_body,
    webhook_body_bytes,
    webhook_signature,
    webhook_signature_verify,
)
from integrations.services.delivery import (
    ATTEMPT_LEASE,
    DELIVERY_TIMEOUT_SECONDS,
    FIRST_RETRY_SECONDS,
    MAX_ATTEMPTS,
    MAX_RETRY_SECONDS,
    webhook_deliveries_retry_due,
    webhook_delivery_attempt,
    webhook_retry_delay,
)
from integrations.services.emit import (
    MENTION_EVENT_NAMESPACE,
    webhook_deliveries_enqueue_on_commit,
    webhook_event_emit,
    webhook_mentions_emit,
)
from integrations.services.endpoints import (
    ENDPOINT_FIELDS,
    WebhookError,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_url_problem,
)
from integrations.services.tokens import (
    TOKEN_PREFIX_LENGTH,
    api_token_create,
    api_token_revoke,
    api_tokens_revoke,
)

__all__ = [
    "ATTEMPT_LEASE",
    "DELIVERY_TIMEOUT_SECONDS",
    "ENDPOINT_FIELDS",
    "FIRST_RETRY_SECONDS",
    "MAX_ATTEMPTS",
    "MAX_RETRY_SECONDS",
    "MENTION_EVENT_NAMESPACE",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TOKEN_PREFIX_LENGTH",
    "WebhookError",
    "api_token_create",
    "api_token_revoke",
    "api_tokens_revoke",
    "webhook_body",
    "webhook_body_bytes",
    "webhook_deliveries_enqueue_on_commit",
    "webhook_deliveries_retry_due",
    "webhook_delivery_attempt",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_update",
    "webhook_event_emit",
    "webhook_mentions_emit",
    "webhook_retry_delay",
    "webhook_signature",
    "webhook_signature_verify",
    "webhook_url_problem",
]
