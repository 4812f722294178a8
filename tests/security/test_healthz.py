"""/healthz tells a stranger only whether the desk is up; what is inside is for monitoring and admins.

The parts name the database vendor, the channel-layer class, the worker's heartbeat age and the text
of a database error (host names, user names): reconnaissance for an attacker, needed by an operator.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client, override_settings
from django.utils import timezone

from crisisdesk.models import Heartbeat
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN = "monitoring-token-5f0c1e9a7b3d"
DATABASE_ERROR = 'connection to server at "db-primary.internal" (10.0.0.7), port 5432 failed: role "crisisdesk"'


class BrokenConnection:
    """Stands in for `django.db.connection` inside the health check only: every query fails."""

    vendor = "postgresql"

    def cursor(self):
        raise OperationalError(DATABASE_ERROR)


@pytest.fixture
def fresh_worker(db):
    Heartbeat.objects.create(name="worker", seen_at=timezone.now())


@pytest.fixture
def broken_database(monkeypatch):
    monkeypatch.setattr("crisisdesk.selectors.connection", BrokenConnection())


def test_a_stranger_learns_only_that_the_desk_is_up(client, fresh_worker):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_stranger_learns_only_that_the_desk_is_failing_not_why(client, broken_database):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing"}
    assert b"db-primary" not in response.content


def test_a_stranger_with_a_stale_worker_sees_no_heartbeat_age(client):
    Heartbeat.objects.create(name="worker", seen_at=timezone.now() - timezone.timedelta(minutes=5))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing"}


@override_settings(HEALTHZ_TOKEN=TOKEN)
def test_the_monitoring_token_gets_every_part_and_the_database_error(client, broken_database):
    response = client.get("/healthz", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["database"]["ok"] is False
    assert "db-primary.internal" in body["database"]["error"]
    assert body["worker"] == {"ok": False, "error": "database unavailable"}


@override_settings(HEALTHZ_TOKEN=TOKEN)
def test_the_monitoring_token_sees_the_vendor_layer_and_heartbeat_of_a_healthy_desk(client, fresh_worker):
    response = client.get("/healthz", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["vendor"] in {"postgresql", "sqlite"}
    assert body["channel_layer"]["ok"] is True and body["channel_layer"]["backend"]
    assert body["worker"]["last_seen_seconds"] < 60


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", f"Token {TOKEN}", TOKEN, f"Basic {TOKEN}"],
    ids=["longer", "shorter", "empty", "other-scheme", "no-scheme", "basic"],
)
@override_settings(HEALTHZ_TOKEN=TOKEN)
def test_a_wrong_token_is_treated_as_a_stranger(client, broken_database, authorization):
    response = client.get("/healthz", headers={"Authorization": authorization})
    assert response.status_code == 503
    assert response.json() == {"status": "failing"}


@override_settings(HEALTHZ_TOKEN="")
def test_with_no_token_configured_an_empty_bearer_opens_nothing(client, broken_database):
    response = client.get("/healthz", headers={"Authorization": "Bearer "})
    assert response.json() == {"status": "failing"}


def test_a_signed_in_administrator_sees_the_parts(admin_user, fresh_worker):
    client = Client()
    client.force_login(admin_user)
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert set(body) == {"status", "database", "channel_layer", "worker"}


@pytest.mark.parametrize("role", ["community_manager", "department_head", "director"])
def test_other_roles_signed_in_see_only_the_status(role, fresh_worker):
    client = Client()
    client.force_login(factories.UserFactory(role=role, username=f"someone-{role}"))
    assert client.get("/healthz").json() == {"status": "ok"}
