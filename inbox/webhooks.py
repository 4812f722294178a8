"""Endpoints the platforms push to. They are public and prove the sender themselves.

- Meta (Facebook, Instagram and Threads, one route) signs each POST with HMAC-SHA256 over the raw body
  (`X-Hub-Signature-256`; a Threads app has its own secret). A missing or
  wrong signature gets 403 and nothing at all is stored, not even a dead letter: an unsigned body
  is not ours to keep.
- The generic webhook presents the channel's token (`Authorization: Bearer` or `X-CrisisDesk-Token`).
- Discourse signs with HMAC-SHA256 over the raw body (`X-Discourse-Event-Signature: sha256=<hex>`);
  only post events are kept, the rest (ping, topic and user events) are acknowledged with 200.
- What is accepted is written to PostgreSQL (`inbox.Intake`) before the sender is answered
  202 `{"accepted": true, "intake": <id>}`; a worker ingests it by that id. Neither Redis nor a
  worker being down loses it: the enqueue failure is logged and the intake sweeper queues it again.
- Replays: the same mention twice is stored once (the pipeline's uniqueness), and an authenticated
  body whose exact bytes were already accepted in the last 24 hours is answered 200
  `{"duplicate": true}` without being kept again (the intake rows hold a sha256 of each body).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from crisisdesk.parsers import JsonDocumentInvalid, json_loads_bounded
from crisisdesk.roles import public
from inbox.connectors import connector_for
from inbox.connectors.base import Connector, RejectedItem
from inbox.connectors.discourse import POST_EVENTS, DiscourseConnector
from inbox.connectors.webhook import WebhookConnector
from inbox.models import Channel, ChannelKind
from inbox.services import dead_letters_record, intake_receive

logger = logging.getLogger(__name__)

META_KINDS = (ChannelKind.FACEBOOK, ChannelKind.INSTAGRAM, ChannelKind.THREADS)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _channel(channel_id: int, kinds) -> Channel | None:
    return Channel.objects.filter(pk=channel_id, kind__in=kinds, is_enabled=True).first()


def _connector(channel: Channel) -> Connector | None:
    try:
        return connector_for(channel)
    except ValueError:
        logger.error("Channel %s: credentials cannot be decrypted; webhook refused.", channel.pk)
        return None


def _ingest_body(*, channel: Channel, body: bytes, source: str) -> JsonResponse:
    """Keep an authenticated body in PostgreSQL, then answer 202; a worker ingests it by its intake id.

    Broken JSON is refused here with a 400 (and kept as a dead letter); a payload of the wrong shape
    becomes a dead letter when the worker reads it. A replay of the same bytes is answered at once.
    """
    try:
        json_loads_bounded(body)
    except JsonDocumentInvalid as error:
        reason = f"invalid JSON: {error}"
        dead_letters_record(channel=channel, source=source, rejected=[RejectedItem(reason=reason, payload=body)])
        return _error(400, str(error))
    intake, duplicate = intake_receive(channel=channel, source=source, body=body)
    if duplicate:
        return JsonResponse({"duplicate": True, "intake": intake.pk})
    return JsonResponse({"accepted": True, "intake": intake.pk}, status=202)


def _webhook(view: Callable) -> Callable:
    return public(csrf_exempt(view))


@_webhook
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Meta's subscription handshake (GET) and signed event notifications (POST), for Facebook, Instagram
    and Threads alike."""
    channel = _channel(channel_id, META_KINDS)
    if channel is None:
        return _error(404, "No Facebook, Instagram or Threads channel with that id is enabled.")
    connector = _connector(channel)
    if connector is None:
        return _error(503, "The channel's credentials cannot be read; ask an administrator.")
    if request.method == "GET":
        return _meta_handshake(request, connector)
    secret = _meta_app_secret(channel, connector)
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not secret:
        return _error(403, "No app secret is configured for this channel.")
    body = request.body
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        return _error(403, "Missing or invalid X-Hub-Signature-256.")
    return _ingest_body(channel=channel, body=body, source=f"webhook:{_meta_source(channel)}")


def _meta_app_secret(channel: Channel, connector: Connector) -> str:
    """The secret Meta signs with: the channel's app secret; a Threads app has its own (the OAuth client
    secret "Connect a channel" stored), Facebook and Instagram fall back to the deployment's Meta app."""
    credentials = connector.credentials
    if channel.kind == ChannelKind.THREADS:
        return str(credentials.get("app_secret") or credentials.get("client_secret") or "")
    return str(credentials.get("app_secret") or settings.META_APP_SECRET or "")


def _meta_source(channel: Channel) -> str:
    return "threads" if channel.kind == ChannelKind.THREADS else "meta"


def _meta_handshake(request: HttpRequest, connector: Connector) -> HttpResponse:
    expected = str(connector.credentials.get("verify_token") or settings.META_VERIFY_TOKEN or "")
    presented = request.GET.get("hub.verify_token", "")
    if request.GET.get("hub.mode") != "subscribe":
        return _error(400, "hub.mode must be 'subscribe'.")
    if not expected or not hmac.compare_digest(expected.encode(), presented.encode()):
        return _error(403, "The verify token does not match.")
    return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")


@_webhook
@require_http_methods(["POST"])
def generic_webhook(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Mentions pushed by any system holding the channel's token."""
    channel = _channel(channel_id, (ChannelKind.WEBHOOK,))
    if channel is None:
        return _error(404, "No webhook channel with that id is enabled.")
    connector = _connector(channel)
    if connector is None:
        return _error(503, "The channel's credentials cannot be read; ask an administrator.")
    if not isinstance(connector, WebhookConnector):
        raise TypeError(f"Channel {channel.pk} is a webhook channel without the webhook connector.")
    authorization = request.headers.get("Authorization", "")
    presented = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
    presented = presented or request.headers.get("X-CrisisDesk-Token", "")
    if not presented:
        return _error(401, "Send the channel token as 'Authorization: Bearer <token>' or 'X-CrisisDesk-Token'.")
    if not connector.token_matches(presented):
        return _error(403, "The token does not match this channel.")
    if request.content_type != "application/json":
        return _error(415, "The body must be JSON (Content-Type: application/json).")
    return _ingest_body(channel=channel, body=request.body, source="webhook:generic")


@_webhook
@require_http_methods(["POST"])
def discourse_webhook(request: HttpRequest, channel_id: int) -> HttpResponse:
    """A Discourse forum's signed events; post events are kept, others acknowledged and dropped."""
    channel = _channel(channel_id, (ChannelKind.DISCOURSE,))
    if channel is None:
        return _error(404, "No Discourse channel with that id is enabled.")
    connector = _connector(channel)
    if connector is None:
        return _error(503, "The channel's credentials cannot be read; ask an administrator.")
    if not isinstance(connector, DiscourseConnector):
        raise TypeError(f"Channel {channel.pk} is a Discourse channel without the Discourse connector.")
    presented = request.headers.get("X-Discourse-Event-Signature", "")
    if not connector.signature_matches(body=request.body, presented=presented):
        return _error(403, "Missing or invalid X-Discourse-Event-Signature.")
    event = request.headers.get("X-Discourse-Event", "")
    if event not in POST_EVENTS:
        return JsonResponse({"ignored": event or "unknown"})
    return _ingest_body(channel=channel, body=request.body, source="webhook:discourse")
