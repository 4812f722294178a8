"""An operator's Prometheus sees a crisis from outside: queues, ingest, overdue escalations — and no one else does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from celery import Celery
from django.utils import timezone

from crisisdesk import settings_parts
from crisisdesk.metrics import PUSH_LATENCY_EVERY, metric_samples, push_latency_observe
from escalation import services as escalation_services
from escalation.models import EscalationRequest, RequestStatus
from inbox.models import Mention
from tests import settings as test_settings
from tests.factories import ChannelFactory
from tests.inbox.builders import ingest_committed, normalized

pytestmark = pytest.mark.django_db

TOKEN = "prometheus-scrape-token-0123456789"


@pytest.fixture
def scraper(client, settings):
    """Prometheus, holding the deployment's METRICS_TOKEN."""
    settings.METRICS_TOKEN = TOKEN

    def scrape() -> dict:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        return metric_samples(response.content.decode())

    return scrape


def test_metrics_are_refused_to_anyone_by_default(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    response = client.get("/metrics")
    assert response.status_code == 403
    assert b"crisisdesk_" not in response.content


def test_metrics_are_refused_without_the_token_or_with_a_wrong_one(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer guessed"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_metrics_answer_the_monitoring_network_and_refuse_the_outside(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403


def test_a_forged_forwarded_address_does_not_reach_the_metrics(client, settings):
    # Given a monitoring network and no declared proxy
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    settings.TRUSTED_PROXIES = []
    # When an outsider claims to be forwarded for an address inside it, it is still the outsider
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.20.3.4")
    assert response.status_code == 403


def test_the_request_figures_of_django_prometheus_are_exposed(scraper, client):
    client.get("/healthz")
    samples = scraper()
    assert any(name.startswith("django_http_responses_total_by_status") for name, _ in samples)


def test_the_request_figures_can_be_turned_off_where_every_tenth_of_a_millisecond_counts():
    middleware = ["crisisdesk.middleware.RequestIdMiddleware", "django_prometheus.middleware.PrometheusAfterMiddleware"]
    on = settings_parts.observability({}, middleware=middleware)
    off = settings_parts.observability({"METRICS_REQUEST_FIGURES": "0"}, middleware=middleware)
    assert on["MIDDLEWARE"] == middleware
    assert off["MIDDLEWARE"] == ["crisisdesk.middleware.RequestIdMiddleware"]


@pytest.fixture
def redis_broker(settings) -> Iterator[Celery]:
    """The product's broker setting pointed at the real test Redis (a db of its own, emptied around the test)."""
    store = redis.Redis.from_url(test_settings.TEST_REDIS_URL)
    store.flushdb()
    settings.CELERY_BROKER_URL = test_settings.TEST_REDIS_URL
    client = Celery("metrics-test", broker=test_settings.TEST_REDIS_URL, set_as_current=False)
    try:
        yield client
    finally:
        client.close()
        store.flushdb()
        store.close()


@pytest.mark.services
def test_the_queue_depths_are_read_from_the_broker(scraper, redis_broker):
    # Given nothing queued
    before = scraper()
    assert before[("crisisdesk_celery_queue_depth", (("queue", "ingest"),))] == 0
    # When three intake batches and one escalation sweep wait in Redis, one of them with a priority
    for intake_id in (1, 2):
        redis_broker.send_task("inbox.intake_process", args=[intake_id], queue="ingest")
    redis_broker.send_task("inbox.intake_process", args=[3], queue="ingest", priority=6)
    redis_broker.send_task("escalation.escalations_sweep", queue="escalation")
    # Then the scrape says so, queue by queue
    samples = scraper()
    depth = {queue: samples[("crisisdesk_celery_queue_depth", (("queue", queue),))] for queue in ("ingest", "notify")}
    assert depth == {"ingest": 3, "notify": 0}
    assert samples[("crisisdesk_celery_queue_depth", (("queue", "escalation"),))] == 1
    assert samples[("crisisdesk_celery_unacknowledged", ())] == 0


def test_the_embedded_broker_reports_its_in_process_queues(scraper, settings):
    settings.CELERY_BROKER_URL = "memory://"
    samples = scraper()
    assert {labels[0][1] for name, labels in samples if name == "crisisdesk_celery_queue_depth"} == {
        "default",
        "ingest",
        "triage",
        "escalation",
        "notify",
    }


def test_stored_mentions_are_counted_by_channel_kind_once_committed(scraper):
    channel = ChannelFactory(kind="x")
    key = ("crisisdesk_mentions_stored_total", (("channel_kind", "x"),))
    before = scraper().get(key, 0)
    # When a batch of three, one of them twice, is ingested, and then the same batch again
    batch = [normalized("m-1"), normalized("m-2"), normalized("m-3"), normalized("m-1")]
    ingest_committed(channel=channel, mentions=batch)
    ingest_committed(channel=channel, mentions=batch)
    # Then three new rows were counted, the duplicates not
    assert scraper()[key] == before + 3


def test_overdue_escalations_are_counted_at_scrape_time(scraper, community_manager, department):
    # Given two requests to Técnica, one of them past its deadline and one answered long ago
    late = escalation_services.escalation_request_create(
        raised_by=community_manager, department=department, question="¿Hay corte en Bilbao?"
    )
    escalation_services.escalation_request_create(
        raised_by=community_manager, department=department, question="¿Vuelve la fibra?"
    )
    answered = escalation_services.escalation_request_create(
        raised_by=community_manager, department=department, question="¿Y en Sevilla?"
    )
    EscalationRequest.objects.filter(pk__in=[late.pk, answered.pk]).update(due_at=timezone.now() - timedelta(hours=1))
    EscalationRequest.objects.filter(pk=answered.pk).update(status=RequestStatus.ANSWERED)
    # Then one is overdue
    assert scraper()[("crisisdesk_escalations_overdue", ())] == 1


def test_pending_intakes_dead_letters_and_the_refine_backlog_are_exposed(scraper, settings):
    settings.TRIAGE_MODEL_TIER = False
    samples = scraper()
    for name in (
        "crisisdesk_intakes_pending",
        "crisisdesk_intake_oldest_pending_seconds",
        "crisisdesk_dead_letters_last_day",
        "crisisdesk_triage_refine_backlog",
        "crisisdesk_escalation_steps_late",
    ):
        assert samples[(name, ())] == 0, name
    assert not any(name == "crisisdesk_metrics_read_failed" for name, _ in samples)


def test_the_refine_backlog_counts_the_mentions_waiting_in_the_refine_queue(scraper, settings):
    # Given two new mentions in the model tier's queue, one of which it has refined since
    channel = ChannelFactory(kind="x")
    ingest_committed(channel=channel, mentions=[normalized("b-1"), normalized("b-2")])
    Mention.objects.filter(external_id="b-1").update(triage_refine="pending")
    Mention.objects.filter(external_id="b-2").update(triage_refine="", triage_tier="use")
    # Then one is still waiting for it
    assert scraper()[("crisisdesk_triage_refine_backlog", ())] == 1


def test_push_latency_observes_each_events_first_send_then_one_in_sixteen(scraper):
    def observed() -> float:
        return scraper().get(("crisisdesk_push_latency_seconds_count", (("event_family", "sampling"),)), 0.0)

    before = observed()
    first_event, second_event = time.time() - 0.02, time.time() - 0.01
    for _ in range(PUSH_LATENCY_EVERY * 2):  # one event reaching 32 sockets of this process
        push_latency_observe(event_type="sampling.test", published_at=first_event)
    push_latency_observe(event_type="sampling.test", published_at=second_event)  # a new event: its first send
    sends = PUSH_LATENCY_EVERY * 2 + 1
    assert 3 <= observed() - before <= 2 + sends // PUSH_LATENCY_EVERY  # two firsts, and the samples
