"""A case goes to the helpdesk once: Zendesk's or Zammad's ticket API (auth and JSON checked by fake servers),
or the helpdesk's mailbox; a failure is retried with backoff and a refusal stays visible on the case page."""

from __future__ import annotations

import base64
from datetime import timedelta

import httpx
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from inbox import helpdesk, services, tasks
from inbox.models_cases import Case, CaseDelivery, CaseStatus, DeliveryKind, DeliveryState
from tests import factories
from tests.inbox.fake_helpdesk import (  # noqa: F401
    ZAMMAD_TOKEN,
    ZENDESK_EMAIL,
    ZENDESK_TOKEN,
    fake_zammad_fixture,
    fake_zendesk_fixture,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def zendesk(settings, fake_zendesk):
    settings.HELPDESK = {"kind": "zendesk", "url": fake_zendesk.url, "email": ZENDESK_EMAIL, "token": ZENDESK_TOKEN}
    return fake_zendesk


@pytest.fixture
def zammad(settings, fake_zammad):
    settings.HELPDESK = {
        "kind": "zammad", "url": fake_zammad.url, "token": ZAMMAD_TOKEN, "group": "Atención al cliente",
        "customer": "redes@telco.example",
    }
    return fake_zammad


def _open_case(community_manager, **extra) -> tuple[Case, CaseDelivery]:
    author = factories.AuthorFactory(handle="lucia_mad")
    mention = factories.MentionFactory(
        author=author, text="Me habéis cobrado dos veces la factura de marzo", url="https://x.com/lucia_mad/status/1"
    )
    case = services.case_open(
        actor=community_manager, mention_ids=[mention.pk], case_type="billing", priority="high",
        summary="Doble cargo en marzo.", **extra,
    )
    return case, case.deliveries.get(kind=DeliveryKind.HELPDESK)


def test_a_case_becomes_a_zendesk_ticket_with_the_case_number_as_external_id(community_manager, zendesk):
    case, delivery = _open_case(community_manager)

    delivered = services.case_delivery_attempt(delivery_id=delivery.pk)

    assert delivered.state == DeliveryState.DONE
    [(method, path, headers, body)] = zendesk.requests
    assert (method, path) == ("POST", "/api/v2/tickets.json")
    expected_auth = base64.b64encode(f"{ZENDESK_EMAIL}/token:{ZENDESK_TOKEN}".encode()).decode()
    assert headers["Authorization"] == f"Basic {expected_auth}"
    ticket = body["ticket"]
    assert ticket["external_id"] == case.number
    assert ticket["subject"] == f"[{case.number}] Me habéis cobrado dos veces la factura de marzo"
    assert ticket["requester"] == {"name": "@lucia_mad (Simulator)"}
    assert ticket["priority"] == "high"
    assert ticket["tags"] == ["crisisdesk", "billing", "simulator"]
    assert "Doble cargo en marzo." in ticket["comment"]["body"]
    assert "https://x.com/lucia_mad/status/1" in ticket["comment"]["body"]
    case.refresh_from_db()
    assert (case.helpdesk_ticket_id, case.status) == ("35436", CaseStatus.HANDED_OFF)


def test_a_zendesk_custom_field_takes_the_case_number_when_configured(community_manager, zendesk, settings):
    settings.HELPDESK = settings.HELPDESK | {"case_field_id": "360001"}
    case, delivery = _open_case(community_manager)

    services.case_delivery_attempt(delivery_id=delivery.pk)

    assert zendesk.creations()[0]["ticket"]["custom_fields"] == [{"id": 360001, "value": case.number}]


def test_a_case_becomes_a_zammad_ticket_with_a_note_for_the_customer_team(community_manager, zammad):
    case, delivery = _open_case(community_manager)

    services.case_delivery_attempt(delivery_id=delivery.pk)

    [(method, path, headers, body)] = zammad.requests
    assert (method, path, headers["Authorization"]) == ("POST", "/api/v1/tickets", f"Token token={ZAMMAD_TOKEN}")
    title = f"[{case.number}] Me habéis cobrado dos veces la factura de marzo"
    assert body == {
        "title": title,
        "group": "Atención al cliente",
        "customer": "redes@telco.example",
        "priority": "3 high",
        "article": {"subject": title, "body": body["article"]["body"], "type": "note", "internal": False},
    }
    case.refresh_from_db()
    assert (case.helpdesk_ticket_id, case.helpdesk_ticket_number) == ("7", "31007")


def test_the_task_run_twice_creates_one_ticket(community_manager, zendesk):
    _, delivery = _open_case(community_manager)

    tasks.case_delivery_attempt(delivery.pk)
    tasks.case_delivery_attempt(delivery.pk)

    assert len(zendesk.creations()) == 1
    assert CaseDelivery.objects.get(pk=delivery.pk).attempts == 1


def test_a_helpdesk_outage_is_retried_with_backoff_until_it_answers(community_manager, zendesk):
    case, delivery = _open_case(community_manager)
    zendesk.fail_next(503)

    failed = services.case_delivery_attempt(delivery_id=delivery.pk)

    assert failed.state == DeliveryState.PENDING
    assert "HTTP 503" in failed.last_error
    assert timedelta(seconds=25) < failed.next_attempt_at - timezone.now() <= timedelta(seconds=30)
    assert services.case_deliveries_due() == []  # not before its time

    CaseDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert tasks.case_deliveries_sweep() == 1  # the beat claims it; eager in tests

    delivered = CaseDelivery.objects.get(pk=delivery.pk)
    assert (delivered.state, delivered.attempts, delivered.last_error) == (DeliveryState.DONE, 2, "")
    assert Case.objects.get(pk=case.pk).helpdesk_ticket_id == "35436"


def test_backoff_doubles_and_stops_at_an_hour():
    assert [services.case_delivery_backoff(n).total_seconds() for n in (1, 2, 3, 9)] == [30, 60, 120, 3600]


def test_a_helpdesk_that_keeps_failing_leaves_the_case_dead_with_the_error_on_its_page(
    community_manager, zendesk, client
):
    case, delivery = _open_case(community_manager)
    zendesk.fail_next(*[502] * services.CASE_DELIVERY_MAX_ATTEMPTS)
    for _ in range(services.CASE_DELIVERY_MAX_ATTEMPTS):
        CaseDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        services.case_delivery_attempt(delivery_id=delivery.pk)

    dead = CaseDelivery.objects.get(pk=delivery.pk)
    assert (dead.state, dead.attempts) == (DeliveryState.DEAD, services.CASE_DELIVERY_MAX_ATTEMPTS)
    client.force_login(community_manager)
    page = client.get(reverse("inbox:case", args=[case.number])).content.decode()
    assert "The helpdesk answered HTTP 502" in page
    assert "Try the helpdesk again" in page


def test_a_refusal_is_not_retried_and_a_person_can_try_again(community_manager, zendesk, client):
    case, delivery = _open_case(community_manager)
    zendesk.fail_next(422)

    refused = services.case_delivery_attempt(delivery_id=delivery.pk)

    assert (refused.state, refused.attempts) == (DeliveryState.DEAD, 1)
    assert "HTTP 422" in refused.last_error
    client.force_login(community_manager)
    retry = client.post(reverse("inbox:case_delivery_retry", args=[case.number, delivery.pk]))
    assert retry.status_code == 302
    services.case_delivery_attempt(delivery_id=delivery.pk)
    assert CaseDelivery.objects.get(pk=delivery.pk).state == DeliveryState.DONE
    assert len(zendesk.tickets) == 1


def test_an_answer_lost_after_the_ticket_was_made_does_not_make_a_second_ticket(
    community_manager, zendesk, monkeypatch
):
    monkeypatch.setattr(helpdesk, "TIMEOUT", httpx.Timeout(0.5))
    case, delivery = _open_case(community_manager)
    zendesk.lose_next_answer()

    lost = services.case_delivery_attempt(delivery_id=delivery.pk)
    assert lost.state == DeliveryState.PENDING
    CaseDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    services.case_delivery_attempt(delivery_id=delivery.pk)

    assert len(zendesk.tickets) == 1
    assert [method for method, *_ in zendesk.requests] == ["POST", "GET"]
    assert Case.objects.get(pk=case.pk).helpdesk_ticket_id == "35436"


def test_without_an_api_the_case_goes_to_the_helpdesk_mailbox(community_manager, settings):
    settings.HELPDESK = {"kind": "email", "address": "soporte@telco.example"}
    case, delivery = _open_case(community_manager)

    delivered = services.case_delivery_attempt(delivery_id=delivery.pk)

    [message] = mail.outbox
    assert message.to == ["soporte@telco.example"]
    assert message.subject == f"[{case.number}] Me habéis cobrado dos veces la factura de marzo"
    assert "Doble cargo en marzo." in message.body
    assert delivered.state == DeliveryState.DONE and delivered.external_id == message.extra_headers["Message-ID"]


def test_with_no_helpdesk_configured_a_case_makes_no_delivery(community_manager, settings):
    settings.HELPDESK = {"kind": ""}
    mention = factories.MentionFactory()

    case = services.case_open(actor=community_manager, mention_ids=[mention.pk], case_type="other")

    assert not case.deliveries.exists()


def test_the_beat_sweeps_the_hand_offs_with_a_registered_task(settings):
    from crisisdesk.celery import app  # why: the Celery app registers every task on import

    scheduled = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled["notify.case_deliveries_sweep"] == 15.0
    assert {"notify.case_deliveries_sweep", "notify.case_delivery_attempt"} <= set(app.tasks)
