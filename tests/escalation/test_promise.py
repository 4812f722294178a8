"""Acknowledging promises an answer time; a missed promise re-escalates once, even with two sweepers."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crisisdesk.models import AuditEvent
from escalation import services
from escalation.models import EscalationEvent, EscalationRequest, EventKind, RequestStatus
from tests import factories
from tests.escalation.conftest import at
from tests.escalation.test_concurrency import _two_sweepers_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def raise_request(people, department, chain_policy, mention, django_capture_on_commit_callbacks):
    def make():
        with django_capture_on_commit_callbacks(execute=True):
            return services.escalation_request_create(
                raised_by=people["cm"], department=department, question="¿Avería?", mention_ids=[mention.pk], now=at(0)
            )

    return make


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def run(seconds: float) -> services.SweepReport:
        with django_capture_on_commit_callbacks(execute=True):
            return services.escalations_sweep(now=at(seconds))

    return run


@pytest.mark.parametrize(
    ("promised", "message"),
    [
        (None, "Say by when the department will answer (the promised time)."),
        (at(5), "The promised time must be in the future."),
        (at(10), "The promised time must be in the future."),
        (at(8 * 24 * 3600), "The promised time must be within 7 days."),
    ],
)
def test_an_acknowledgement_without_a_future_promise_is_refused_and_writes_nothing(
    people, raise_request, promised, message
):
    request = raise_request()
    with pytest.raises(services.EscalationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        services.escalation_request_acknowledge(
            request_id=request.pk, actor=people["head"], promised_at=promised, now=at(10)
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN and request.promised_at is None
    assert not EscalationEvent.objects.filter(request=request, kind=EventKind.ACKNOWLEDGED).exists()


def test_the_desk_form_and_the_api_say_why_an_acknowledgement_is_refused(client, people, department, mention):
    request = services.escalation_request_create(raised_by=people["cm"], department=department, question="¿?")
    client.force_login(people["head"])
    page = client.post(reverse("escalation:acknowledge", args=[request.pk]), {"promised_at": ""}, follow=True)
    assert "Say by when the department will answer" in page.content.decode()
    past = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(reverse("escalation:acknowledge", args=[request.pk]), {"promised_at": past}, follow=True)
    assert "The promised time must be in the future." in page.content.decode()

    api = f"/api/escalations/{request.pk}/acknowledge/"
    missing = client.post(api, {}, content_type="application/json")
    assert missing.status_code == 400
    assert missing.json() == {"promised_at": ["Say by when the department will answer (the promised time)."]}
    stale = client.post(
        api, {"promised_at": (timezone.now() - timedelta(minutes=5)).isoformat()}, content_type="application/json"
    )
    assert stale.status_code == 400 and stale.json() == {"detail": "The promised time must be in the future."}
    assert EscalationRequest.objects.get(pk=request.pk).status == RequestStatus.OPEN

    promised = timezone.now() + timedelta(hours=2)
    good = client.post(
        api,
        {"promised_at": promised.isoformat(), "holding_line": "Lo estamos revisando"},
        content_type="application/json",
    )
    assert good.status_code == 200
    assert good.json()["status"] == "acknowledged" and good.json()["holding_line"] == "Lo estamos revisando"


def test_a_missed_promise_re_escalates_to_the_next_step_once(people, raise_request, sweep):
    # Given a request acknowledged at step 2 (the heads) with an answer promised for 300 s
    request = raise_request()
    sweep(60)
    services.escalation_request_acknowledge(
        request_id=request.pk, actor=people["head"], promised_at=at(300), holding_line="Revisando", now=at(70)
    )
    # The climb waits while the promise holds
    assert sweep(299) == services.SweepReport()

    # When the promised time passes with no answer
    assert sweep(300) == services.SweepReport(promises_missed=1)

    # Then the request is open again at the directors' step, and they are told
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN and request.promised_at is None
    assert request.current_step == 2 and request.next_action_at is not None
    missed = EscalationEvent.objects.get(request=request, kind=EventKind.PROMISE_MISSED)
    assert missed.data["promised_at"] == at(300).isoformat()
    notified = EscalationEvent.objects.get(request=request, kind=EventKind.NOTIFIED, step_index=2)
    assert people["director"].pk in notified.data["recipient_ids"]
    assert AuditEvent.objects.filter(verb="escalation.promise_missed", target_id=str(request.pk)).count() == 1
    # And sweeping again at the same instant does nothing more
    assert sweep(300) == services.SweepReport()
    # And the chain climbs on: it stops only at an answer or a close
    assert sweep(300 + 120).escalated == 1


def test_a_missed_promise_on_the_last_step_tells_the_same_step_again(people, raise_request, sweep):
    request = raise_request()
    for seconds in (60, 120, 240):
        sweep(seconds)
    services.escalation_request_acknowledge(
        request_id=request.pk, actor=people["general"], promised_at=at(600), now=at(250)
    )
    assert sweep(600) == services.SweepReport(promises_missed=1)
    request.refresh_from_db()
    assert (request.current_step, request.current_attempt) == (3, 1)
    assert (
        EscalationEvent.objects.filter(request=request, kind=EventKind.NOTIFIED, step_index=3, attempt=1).count() == 1
    )


def test_a_snooze_moves_the_promise_and_is_audited_and_on_the_timeline(people, raise_request, sweep):
    request = raise_request()
    services.escalation_request_acknowledge(
        request_id=request.pk, actor=people["owner"], promised_at=at(300), now=at(10)
    )
    services.escalation_request_acknowledge(
        request_id=request.pk,
        actor=people["owner"],
        promised_at=at(900),
        holding_line="Mañana a primera hora",
        now=at(200),
    )
    snoozed = EscalationEvent.objects.get(request=request, kind=EventKind.SNOOZED)
    assert snoozed.actor == people["owner"]
    assert snoozed.data == {
        "from": at(300).isoformat(),
        "to": at(900).isoformat(),
        "holding_line": "Mañana a primera hora",
    }
    audit = AuditEvent.objects.get(verb="escalation.snooze", target_id=str(request.pk))
    assert audit.actor == people["owner"] and audit.data["to"] == at(900).isoformat()
    # The old time passes quietly; the new one re-escalates
    assert sweep(300) == services.SweepReport()
    assert sweep(900).promises_missed == 1


def test_an_answer_ends_the_promise(people, raise_request, sweep):
    request = raise_request()
    services.escalation_request_acknowledge(
        request_id=request.pk, actor=people["owner"], promised_at=at(300), now=at(10)
    )
    services.escalation_answer_create(request_id=request.pk, author=people["owner"], text="Reparado", now=at(100))
    assert sweep(300) == services.SweepReport()
    assert EscalationRequest.objects.get(pk=request.pk).status == RequestStatus.ANSWERED


def test_the_community_manager_sees_the_promise_and_the_holding_line(client, people, raise_request, mention):
    request = raise_request()
    services.escalation_request_acknowledge(
        request_id=request.pk,
        actor=people["head"],
        promised_at=timezone.now() + timedelta(hours=1),
        holding_line="Estamos revisando la <b>incidencia</b>",
    )
    client.force_login(people["cm"])
    panel = client.get(reverse("escalation:mention_panel", args=[mention.pk])).content.decode()
    assert 'data-testid="promise"' in panel
    assert "Estamos revisando la &lt;b&gt;incidencia&lt;/b&gt;" in panel


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweepers_re_escalate_each_missed_promise_exactly_once(people, department, chain_policy):
    # Given ten requests, each acknowledged by the person on duty with an answer promised for 100 s
    requests = []
    for number in range(10):
        request = services.escalation_request_create(
            raised_by=people["cm"],
            department=department,
            question=f"Pregunta {number}",
            mention_ids=[factories.MentionFactory().pk],
            now=at(0),
        )
        services.escalation_request_acknowledge(
            request_id=request.pk, actor=people["owner"], promised_at=at(100), now=at(10)
        )
        requests.append(request)
    assert connection.vendor == "postgresql"

    # When two sweepers run at the same instant, twice, after the promise
    reports = _two_sweepers_at(100) + _two_sweepers_at(100.5)

    # Then each missed promise was re-escalated exactly once, and its next step notified once
    assert sum(report.promises_missed for report in reports) == 10
    missed = Counter(EscalationEvent.objects.filter(kind=EventKind.PROMISE_MISSED).values_list("request_id", flat=True))
    assert missed == Counter({request.pk: 1 for request in requests})
    notified = Counter(
        EscalationEvent.objects.filter(kind=EventKind.NOTIFIED, step_index=1).values_list("request_id", flat=True)
    )
    assert notified == Counter({request.pk: 1 for request in requests})
    assert set(EscalationRequest.objects.values_list("status", "current_step")) == {(RequestStatus.OPEN, 1)}


def test_the_timeline_shows_the_promised_times(client, people, raise_request):
    request = raise_request()
    promised = timezone.now() + timedelta(hours=3)
    services.escalation_request_acknowledge(request_id=request.pk, actor=people["head"], promised_at=promised)
    client.force_login(people["head"])
    page = client.get(reverse("escalation:detail", args=[request.pk])).content.decode()
    assert timezone.localtime(promised).strftime("%d/%m %H:%M") in page
    assert "Change the promised time" in page
