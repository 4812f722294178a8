import pytest
from django.utils import timezone

from crisisdesk.models import Heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_is_degraded_until_the_worker_has_sent_a_heartbeat(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["channel_layer"]["ok"] is True
    assert body["worker"]["ok"] is False


def test_healthz_is_ok_with_a_fresh_heartbeat(client):
    from crisisdesk.tasks import heartbeat

    heartbeat.delay()
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"


def test_healthz_reports_a_stale_worker(client):
    Heartbeat.objects.create(name="worker", seen_at=timezone.now() - timezone.timedelta(minutes=5))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"]["last_seen_seconds"] >= 300
