"""Outgoing webhooks: an administrator registers a URL, Crisis Desk POSTs signed events to it.

Deliveries go to a real HTTP server on 127.0.0.1 started by the test; nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from crisisdesk.models import AuditEvent
from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.models import Mention
from inbox.services import mentions_ingest
from integrations import tasks
from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.services import (
    MAX_ATTEMPTS,
    webhook_deliveries_retry_due,
    webhook_endpoint_create,
    webhook_event_emit,
    webhook_mentions_emit,
    webhook_signature_verify,
)
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db

CRISIS = {
    "crisis": {
        "id": 7,
        "title": "Caída de la red móvil en Madrid",
        "level": 2,
        "declared_by": "elena",
        "declared_at": "2026-11-24T10:00:00+00:00",
        "url": "http://127.0.0.1:8000/crises/7/",
    }
}


class Receiver:
    """A tiny webhook receiver: records every request and answers with the next queued status."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"receiver is down")

            def log_message(self, *args):
                """Keep the test output quiet: the requests are asserted on, not logged."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/crisis-desk"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def allow_local(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def admin_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def receiver_verifies(secret: str, request: dict) -> bool:
    """What a receiver does, written independently of Crisis Desk's own code."""
    headers = request["headers"]
    timestamp = headers["X-CrisisDesk-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    fresh = abs(time.time() - int(timestamp)) < 300
    return fresh and hmac.compare_digest(f"sha256={expected}", headers["X-CrisisDesk-Signature"])


def test_admin_registers_an_endpoint_and_the_receiver_verifies_a_crisis_declared_post(
    admin_api, admin_user, receiver, allow_local, django_capture_on_commit_callbacks
):
    # Given an administrator registers the receiver for crisis.declared
    response = admin_api.post(
        "/api/webhooks/",
        {"name": "Slack bridge", "url": receiver.url, "events": ["crisis.declared"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    secret = response.json()["secret"]
    assert len(secret) >= 32
    # ...and the secret is never shown again
    listed = admin_api.get("/api/webhooks/").content.decode()
    assert secret not in listed and "secret" not in listed
    assert AuditEvent.objects.filter(verb="webhook.create", actor=admin_user).exists()

    # When a crisis is declared and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_emit(event_type="crisis.declared", payload=CRISIS)

    # Then the receiver got one POST whose signature verifies with the secret
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == "/hooks/crisis-desk"
    assert receiver_verifies(secret, request)
    assert not receiver_verifies("another-secret", request)
    body = json.loads(request["body"])
    assert body["type"] == "crisis.declared"
    assert body["data"] == CRISIS
    delivery = WebhookDelivery.objects.get()
    assert request["headers"]["X-CrisisDesk-Event"] == "crisis.declared"
    assert request["headers"]["X-CrisisDesk-Event-Id"] == body["id"] == str(delivery.event_id)
    assert request["headers"]["X-CrisisDesk-Delivery"] == str(delivery.pk)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None


def test_the_reference_verifier_refuses_a_replayed_or_altered_request(
    admin_user, allow_local, receiver, django_capture_on_commit_callbacks
):
    endpoint = webhook_endpoint_create(actor=admin_user, url=receiver.url, events=["crisis.resolved"])
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_emit(event_type="crisis.resolved", payload=CRISIS)
    request = receiver.requests[0]
    timestamp = request["headers"]["X-CrisisDesk-Timestamp"]
    signature = request["headers"]["X-CrisisDesk-Signature"]
    assert webhook_signature_verify(
        secret=endpoint.secret, timestamp=timestamp, body=request["body"], signature=signature
    )
    replayed_later = int(timestamp) + 3600
    assert not webhook_signature_verify(
        secret=endpoint.secret,
        timestamp=timestamp,
        body=request["body"],
        signature=signature,
        now=replayed_later,
    )
    assert not webhook_signature_verify(
        secret=endpoint.secret, timestamp=str(int(timestamp) + 1), body=request["body"], signature=signature
    )
    assert not webhook_signature_verify(
        secret=endpoint.secret, timestamp=timestamp, body=request["body"] + b" ", signature=signature
    )


def test_an_event_in_a_rolled_back_transaction_is_never_sent(
    admin_user, allow_local, receiver, django_capture_on_commit_callbacks
):
    webhook_endpoint_create(actor=admin_user, url=receiver.url, events=["crisis.declared"])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            webhook_event_emit(event_type="crisis.declared", payload=CRISIS)
            raise RuntimeError("the crisis could not be declared")
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_a_failing_endpoint_is_retried_with_backoff_and_the_log_shows_every_attempt(
    admin_user, allow_local, receiver, client, django_capture_on_commit_callbacks
):
    # Given an endpoint that answers 500 to everything
    receiver.statuses = [500] * 10
    webhook_endpoint_create(actor=admin_user, url=receiver.url, events=["escalation.overdue"])
    payload = {"escalation": {"id": 3, "subject": "¿Cuándo vuelve la fibra?", "department": "Técnica"}}

    # When the event is emitted, the first attempt fails and the next waits 30 s
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_emit(event_type="escalation.overdue", payload=payload)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert "HTTP 500" in delivery.last_error
    assert len(receiver.requests) == 1, "the queued retry must wait for its time, not run at once"

    # Then each later attempt waits about four times longer, up to an hour
    waits = [(delivery.next_attempt_at - timezone.now()).total_seconds()]
    for _ in range(MAX_ATTEMPTS - 1):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert webhook_deliveries_retry_due() == [delivery.pk]
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
    assert [round(wait / 10) * 10 for wait in waits] == [30, 120, 480, 1920, 3600]

    # ...and after the sixth failure it gives up
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert {request["headers"]["X-CrisisDesk-Event-Id"] for request in receiver.requests} == {
        str(delivery.event_id)
    }
    with django_capture_on_commit_callbacks(execute=True):
        tasks.webhook_deliver.delay(delivery.pk)
    assert len(receiver.requests) == MAX_ATTEMPTS

    # The administrator reads the delivery log in the admin, which cannot be edited
    client.force_login(admin_user)
    log = client.get("/admin/integrations/webhookdelivery/")
    assert log.status_code == 200
    assert "escalation.overdue" in log.content.decode()
    assert client.get("/admin/integrations/webhookdelivery/add/").status_code == 403


def test_an_endpoint_that_recovers_gets_the_delivery_on_the_next_attempt(
    admin_user, allow_local, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [503]
    webhook_endpoint_create(actor=admin_user, url=receiver.url, events=["crisis.level_changed"])
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_emit(event_type="crisis.level_changed", payload={**CRISIS, "previous_level": 1})
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        tasks.webhook_deliveries_sweep.delay()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]


def test_the_same_event_id_is_delivered_only_once(
    admin_user, allow_local, receiver, django_capture_on_commit_callbacks
):
    webhook_endpoint_create(actor=admin_user, url=receiver.url, events=["crisis.declared"])
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, "crisis/7/declared")
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_emit(event_type="crisis.declared", payload=CRISIS, event_id=event_id)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_emit(event_type="crisis.declared", payload=CRISIS, event_id=event_id)
        tasks.webhook_deliver.delay(WebhookDelivery.objects.get().pk)
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_only_subscribed_active_endpoints_receive_an_event(
    admin_user, allow_local, receiver, django_capture_on_commit_callbacks
):
    subscribed = webhook_endpoint_create(actor=admin_user, url=receiver.url, events=["crisis.resolved"])
    webhook_endpoint_create(actor=admin_user, url=receiver.url + "/other", events=["crisis.declared"])
    webhook_endpoint_create(
        actor=admin_user, url=receiver.url + "/off", events=["crisis.resolved"], is_active=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_emit(event_type="crisis.resolved", payload=CRISIS)
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [subscribed.pk]
    assert [request["path"] for request in receiver.requests] == ["/hooks/crisis-desk"]
    with pytest.raises(ValueError):
        webhook_event_emit(event_type="crisis.exploded", payload={})


def test_slack_format_sends_text_with_strangers_text_escaped(
    admin_user, allow_local, receiver, django_capture_on_commit_callbacks
):
    webhook_endpoint_create(
        actor=admin_user, url=receiver.url, events=["mention.priority_above"], format="slack", min_priority=60
    )
    mention = MentionFactory(
        priority=85, text="<!channel> sin servicio & sin respuesta <https://phish.example|aquí>"
    )
    with django_capture_on_commit_callbacks(execute=True):
        webhook_mentions_emit(mention_ids=[mention.pk])
    body = json.loads(receiver.requests[0]["body"])
    assert set(body) == {"text", "blocks"}
    assert (
        "&lt;!channel&gt; sin servicio &amp; sin respuesta &lt;https://phish.example|aquí&gt;" in body["text"]
    )
    assert "<!channel>" not in body["text"]
    assert f"/inbox/mentions/{mention.pk}/|" in body["text"]
    assert body["blocks"][0]["text"]["text"] == body["text"]


def test_mentions_above_an_endpoints_threshold_are_sent_once_each(
    admin_user, allow_local, receiver, django_capture_on_commit_callbacks
):
    strict = webhook_endpoint_create(
        actor=admin_user, url=receiver.url, events=["mention.priority_above"], min_priority=80
    )
    relaxed = webhook_endpoint_create(
        actor=admin_user, url=receiver.url, events=["mention.priority_above"], min_priority=40
    )
    urgent, medium, calm = (
        MentionFactory(priority=90),
        MentionFactory(priority=50),
        MentionFactory(priority=10),
    )
    ids = [urgent.pk, medium.pk, calm.pk]
    with django_capture_on_commit_callbacks(execute=True):
        webhook_mentions_emit(mention_ids=ids)
        webhook_mentions_emit(mention_ids=ids)
    sent = set(WebhookDelivery.objects.values_list("endpoint_id", "payload__data__mention__id"))
    assert sent == {(strict.pk, urgent.pk), (relaxed.pk, urgent.pk), (relaxed.pk, medium.pk)}
    assert len(receiver.requests) == 3
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_mention_webhooks_use_a_constant_number_of_queries(admin_user, allow_local, receiver):
    ids = [mention.pk for mention in MentionFactory.create_batch(3, priority=95)]
    with CaptureQueriesContext(connection) as nobody_listening:
        webhook_mentions_emit(mention_ids=ids)
    assert len(nobody_listening) == 1
    webhook_endpoint_create(
        actor=admin_user, url=receiver.url, events=["mention.priority_above"], min_priority=50
    )
    with CaptureQueriesContext(connection) as few:
        webhook_mentions_emit(mention_ids=ids[:1])
    many_ids = ids + [mention.pk for mention in MentionFactory.create_batch(20, priority=95)]
    with CaptureQueriesContext(connection) as many:
        webhook_mentions_emit(mention_ids=many_ids)
    assert len(many) == len(few)
    assert WebhookDelivery.objects.count() == 23


def test_the_ingestion_pipeline_emits_mentions_above_the_threshold(
    admin_user, allow_local, receiver, django_capture_on_commit_callbacks
):
    everything = webhook_endpoint_create(
        actor=admin_user, url=receiver.url, events=["mention.priority_above"], min_priority=0
    )
    channel = ChannelFactory()
    author = NormalizedAuthor(external_id="u1", handle="cliente_enfadado", followers=50_000)
    batch = [
        NormalizedMention(
            external_id="m1",
            text="Sin servicio desde ayer, ¡es una vergüenza!",
            posted_at=timezone.now(),
            author=author,
        ),
        NormalizedMention(
            external_id="m2",
            text="Gracias por arreglarlo tan rápido",
            posted_at=timezone.now(),
            author=author,
        ),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        report = mentions_ingest(channel=channel, mentions=batch)
    assert report.created == 2
    delivered = set(
        WebhookDelivery.objects.filter(endpoint=everything).values_list(
            "payload__data__mention__id", flat=True
        )
    )
    assert delivered == set(Mention.objects.values_list("id", flat=True))
    assert len(receiver.requests) == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "ftp://93.184.216.34/hook",
        "https://user:password@93.184.216.34/hook",
    ],
)
def test_private_addresses_and_other_schemes_are_refused(admin_api, url):
    response = admin_api.post("/api/webhooks/", {"url": url, "events": ["crisis.declared"]}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()
    assert WebhookEndpoint.objects.count() == 0


def test_a_public_address_is_accepted(admin_api):
    response = admin_api.post(
        "/api/webhooks/", {"url": "https://93.184.216.34/hook", "events": ["crisis.declared"]}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["url"] == "https://93.184.216.34/hook"


def test_an_endpoint_that_became_private_is_not_posted_to(
    admin_user, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    webhook_endpoint_create(actor=admin_user, url=receiver.url, events=["crisis.declared"])
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_emit(event_type="crisis.declared", payload=CRISIS)
    delivery = WebhookDelivery.objects.get()
    assert "private" in delivery.last_error
    assert receiver.requests == []


def test_bad_endpoint_input_is_a_400_naming_the_field(admin_api, allow_local):
    unknown_event = admin_api.post(
        "/api/webhooks/", {"url": "http://127.0.0.1/h", "events": ["crisis.exploded"]}, format="json"
    )
    assert unknown_event.status_code == 400 and "events" in unknown_event.json()
    no_events = admin_api.post("/api/webhooks/", {"url": "http://127.0.0.1/h", "events": []}, format="json")
    assert no_events.status_code == 400 and "events" in no_events.json()
    bad_threshold = admin_api.post(
        "/api/webhooks/",
        {"url": "http://127.0.0.1/h", "events": ["crisis.declared"], "min_priority": 101},
        format="json",
    )
    assert bad_threshold.status_code == 400 and "min_priority" in bad_threshold.json()
    assert WebhookEndpoint.objects.count() == 0


def test_admin_updates_reads_the_log_of_and_deletes_an_endpoint(
    admin_api, admin_user, allow_local, receiver, django_capture_on_commit_callbacks
):
    endpoint = webhook_endpoint_create(actor=admin_user, url=receiver.url, events=["crisis.declared"])
    updated = admin_api.patch(
        f"/api/webhooks/{endpoint.pk}/", {"events": ["crisis.resolved"], "is_active": False}, format="json"
    )
    assert updated.status_code == 200
    assert updated.json()["events"] == ["crisis.resolved"] and updated.json()["is_active"] is False
    admin_api.patch(f"/api/webhooks/{endpoint.pk}/", {"is_active": True}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_emit(event_type="crisis.resolved", payload=CRISIS)
    log = admin_api.get(f"/api/webhooks/{endpoint.pk}/deliveries/")
    assert log.status_code == 200
    assert [(item["event_type"], item["status"], item["attempts"]) for item in log.json()["results"]] == [
        ("crisis.resolved", "delivered", 1)
    ]
    assert admin_api.delete(f"/api/webhooks/{endpoint.pk}/").status_code == 204
    assert admin_api.get(f"/api/webhooks/{endpoint.pk}/").status_code == 404
    assert admin_api.get(f"/api/webhooks/{endpoint.pk}/deliveries/").status_code == 404
    verbs = list(
        AuditEvent.objects.filter(target_type="crisisdesk.webhookendpoint").values_list("verb", flat=True)
    )
    assert sorted(verbs) == ["webhook.create", "webhook.delete", "webhook.update", "webhook.update"]


@pytest.mark.parametrize("fixture", ["director", "community_manager", "department_head"])
def test_only_administrators_manage_webhooks(request, fixture):
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(fixture))
    assert client.get("/api/webhooks/").status_code == 403
    assert (
        client.post(
            "/api/webhooks/", {"url": "https://93.184.216.34/", "events": ["crisis.declared"]}, format="json"
        ).status_code
        == 403
    )
