import pytest
from django.test import override_settings
from django.utils import timezone

from crisisdesk.models import Heartbeat

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monitoring")]

TOKEN = "monitoring-token-for-health-tests"


@pytest.fixture
def monitoring(client):
    """A monitor that presents HEALTHZ_TOKEN sees every part of the report."""
    with override_settings(HEALTHZ_TOKEN=TOKEN):
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        yield


def test_healthz_is_failing_until_the_worker_has_sent_a_heartbeat(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
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
