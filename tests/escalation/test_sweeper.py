"""Unanswered requests climb the chain on time, remind before each deadline, and stop when acknowledged."""

from __future__ import annotations

import httpx
import pytest
from django.core import mail

from escalation import notifications, services, tasks
from escalation.models import (
    EscalationEvent,
    EscalationNotification,
    EscalationPolicy,
    EscalationStep,
    EventKind,
    NotificationState,
    StepKind,
)
from tests.escalation.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def raise_request(people, department, chain_policy, mention, django_capture_on_commit_callbacks):
    def make(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.escalation_request_create(
                raised_by=people["cm"],
                department=department,
                question="¿Avería?",
                mention_ids=[mention.pk],
                now=at(0),
                **kwargs,
            )

    return make


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def run(seconds: float) -> services.SweepReport:
        with django_capture_on_commit_callbacks(execute=True):
            return services.escalations_sweep(now=at(seconds))

    return run


def _emailed() -> list[str]:
    return [address for message in mail.outbox for address in message.to]


def test_an_unanswered_request_climbs_every_step_on_time(people, raise_request, sweep):
    request = raise_request()
    assert _emailed() == [people["owner"].email]

    # Just before the first deadline nothing moves; at 75 % the person on duty is reminded, internally
    assert sweep(44) == services.SweepReport()
    assert sweep(45) == services.SweepReport(reminded=1)
    assert _emailed() == [people["owner"].email]

    # At 60 s the heads are told (reminded at 105 s); at 120 s the directors; at 240 s the director general
    assert sweep(60).escalated == 1
    assert _emailed()[-1:] == [people["head"].email]
    assert sweep(119) == services.SweepReport(reminded=1)
    assert sweep(120).escalated == 1
    assert sorted(_emailed()[-2:]) == sorted([people["director"].email, people["general"].email])
    assert sweep(240).escalated == 1
    assert _emailed()[-1:] == [people["general"].email]

    # The last step has nowhere to go: the chain ends, and at the deadline the request is overdue, once
    request.refresh_from_db()
    assert request.current_step == 3 and request.next_action_at is None
    assert sweep(3600) == services.SweepReport(reminded=1, overdue=1)
    assert sweep(4000) == services.SweepReport()
    request.refresh_from_db()
    assert request.is_overdue and request.overdue_at == at(3600)

    kinds = list(EscalationEvent.objects.filter(request=request).values_list("kind", "step_index"))
    assert kinds == [
        ("created", 0),
        ("notified", 0),
        ("reminded", 0),
        ("escalated", 1),
        ("notified", 1),
        ("reminded", 1),
        ("escalated", 2),
        ("notified", 2),
        ("escalated", 3),
        ("notified", 3),
        ("reminded", 3),
        ("overdue", 3),
    ]
    notified = EscalationEvent.objects.get(request=request, kind=EventKind.NOTIFIED, step_index=2)
    assert sorted(notified.data["recipient_ids"]) == sorted([people["director"].pk, people["general"].pk])
    assert EscalationNotification.objects.filter(request=request, state=NotificationState.SENT).count() == 5


def test_acknowledging_stops_the_climb_at_once(people, raise_request, sweep):
    request = raise_request()
    sweep(60)
    services.escalation_request_acknowledge(
        request_id=request.pk, actor=people["head"], promised_at=at(20_000), now=at(70)
    )
    sent_before = len(mail.outbox)

    assert sweep(10_000) == services.SweepReport(overdue=1)
    assert len(mail.outbox) == sent_before
    request.refresh_from_db()
    assert request.current_step == 1


def test_an_answer_stops_the_climb_and_there_is_nothing_overdue(people, raise_request, sweep):
    request = raise_request()
    services.escalation_answer_create(
        request_id=request.pk, author=people["head"], text="Resuelto", now=at(5)
    )
    assert sweep(10_000) == services.SweepReport()
    assert EscalationEvent.objects.filter(request=request, kind=EventKind.ESCALATED).count() == 0


def test_a_final_repeat_step_repeats_the_previous_step_up_to_the_limit(
    people, department, mention, sweep, django_capture_on_commit_callbacks
):
    policy = EscalationPolicy.objects.create(
        name="Repite", department=department, is_default=True, max_repeats=2
    )
    EscalationStep.objects.create(policy=policy, order=0, kind=StepKind.NOTIFY_HEADS, wait_seconds=30)
    EscalationStep.objects.create(policy=policy, order=1, kind=StepKind.REPEAT_LAST, wait_seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        request = services.escalation_request_create(
            raised_by=people["cm"], department=department, question="¿?", mention_ids=[mention.pk], now=at(0)
        )
    assert sweep(30).escalated == 1
    assert sweep(60).escalated == 1
    assert sweep(90).escalated == 0
    request.refresh_from_db()
    assert (request.current_step, request.current_attempt, request.next_action_at) == (1, 1, None)
    assert _emailed() == [people["head"].email] * 3


def test_running_the_notify_task_again_after_a_restart_sends_nothing_twice(people, raise_request):
    request = raise_request()
    assert len(mail.outbox) == 1
    # A worker that died after sending and was redelivered the same message
    assert tasks.escalation_step_notify.delay(request.pk, 0, 0).get() == 0
    assert tasks.escalation_step_notify(request.pk, 0, 0) == 0
    assert len(mail.outbox) == 1
    assert EscalationNotification.objects.filter(request=request).count() == 1


def test_the_chat_webhook_gets_one_post_per_step_and_a_failure_is_recorded_not_fatal(
    people, department, raise_request, sweep, monkeypatch, settings
):
    settings.PUBLIC_BASE_URL = "https://desk.example"
    department.chat_webhook_url = "https://chat.example/hooks/tecnica"
    department.save(update_fields=["chat_webhook_url"])
    posts = []

    def handler(http_request: httpx.Request) -> httpx.Response:
        posts.append(http_request)
        return httpx.Response(200 if len(posts) == 1 else 500)

    monkeypatch.setattr(
        notifications, "http_client", lambda: httpx.Client(transport=httpx.MockTransport(handler))
    )
    request = raise_request()
    assert sweep(60).escalated == 1

    assert len(posts) == 2
    assert f"https://desk.example/escalation/{request.pk}/".encode() in posts[0].content
    states = dict(
        EscalationNotification.objects.filter(request=request, medium="webhook").values_list(
            "step_index", "state"
        )
    )
    assert states == {0: NotificationState.SENT, 1: NotificationState.FAILED}
    assert _emailed() == [people["owner"].email, people["head"].email]


def test_an_overdue_request_is_announced_once_to_subscribed_webhooks(raise_request, sweep, settings):
    from integrations.models import WebhookDelivery, WebhookEndpoint

    settings.WEBHOOKS_ALLOW_PRIVATE = True
    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hook", events=["escalation.overdue"])
    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/other", events=["crisis.declared"])
    request = raise_request()
    sweep(3600)
    sweep(4000)
    deliveries = WebhookDelivery.objects.filter(event_type="escalation.overdue")
    assert [delivery.endpoint_id for delivery in deliveries] == [endpoint.pk]
    escalation = deliveries.get().payload["data"]["escalation"]
    assert escalation["id"] == request.pk
    assert escalation["url"].endswith(f"/escalation/{request.pk}/")


def test_a_step_whose_notify_task_was_lost_is_sent_by_a_later_sweep(people, department, chain_policy, mention, sweep):
    """The worker died after the step was recorded but before its messages went out."""
    request = services.escalation_request_create(
        raised_by=people["cm"], department=department, question="¿Avería?", mention_ids=[mention.pk], now=at(0)
    )
    assert _emailed() == []
    assert sweep(30).renotified == 0
    report = sweep(61)
    assert report.renotified == 1
    assert _emailed().count(people["owner"].email) == 1
    assert sweep(62).renotified == 0
    assert _emailed().count(people["owner"].email) == 1
    assert EscalationNotification.objects.filter(request=request, step_index=0).count() == 1


def test_a_message_claimed_by_a_worker_killed_before_sending_goes_out_once_more(
    people, department, chain_policy, mention, sweep
):
    """The worker claimed the owner's email (row "sending") and died before sending it."""
    request = services.escalation_request_create(
        raised_by=people["cm"], department=department, question="¿Avería?", mention_ids=[mention.pk], now=at(0)
    )
    claim = EscalationNotification.objects.create(
        request=request, step_index=0, attempt=0, recipient=f"user:{people['owner'].pk}", medium="email",
        created_at=at(0),
    )

    assert sweep(30).resent == 0
    assert sweep(61).resent == 1
    assert _emailed().count(people["owner"].email) == 1
    claim.refresh_from_db()
    assert claim.state == NotificationState.SENT

    assert sweep(62).resent == 0
    assert services.escalation_notification_resend(notification_id=claim.pk) == 0
    assert _emailed().count(people["owner"].email) == 1


def test_a_resend_that_dies_too_stays_in_sight_and_is_never_tried_a_third_time(
    people, department, chain_policy, mention, sweep, monkeypatch
):
    request = services.escalation_request_create(
        raised_by=people["cm"], department=department, question="¿Avería?", mention_ids=[mention.pk], now=at(0)
    )
    claim = EscalationNotification.objects.create(
        request=request, step_index=0, attempt=0, recipient=f"user:{people['owner'].pk}", medium="email",
        created_at=at(0),
    )

    def killed(**kwargs):
        raise SystemExit("worker killed while sending")

    monkeypatch.setattr(notifications, "email_send", killed)
    with pytest.raises(SystemExit):
        services.escalation_notification_resend(notification_id=claim.pk)
    monkeypatch.undo()

    claim.refresh_from_db()
    assert claim.state == NotificationState.RESENDING
    assert sweep(120).resent == 0
    assert services.escalation_notification_resend(notification_id=claim.pk) == 0
    assert people["owner"].email not in _emailed()
