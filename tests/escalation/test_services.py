"""A community manager raises a question; the department acknowledges and answers it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from crisisdesk.models import AuditEvent
from escalation import selectors, services, tasks
from escalation.models import EscalationEvent, EscalationRequest, EscalationStep, EventKind, RequestStatus
from inbox.models import MentionStatus
from playbooks.models import Crisis
from tests import factories
from tests.escalation.conftest import at

pytestmark = pytest.mark.django_db


def _raise(people, department, mention, **kwargs):
    return services.escalation_request_create(
        raised_by=people["cm"],
        department=department,
        question="¿Hay avería en Madrid?",
        mention_ids=[mention.pk],
        now=at(0),
        **kwargs,
    )


def test_raising_marks_the_mention_escalated_attaches_context_and_tells_the_person_on_duty(
    people, department, chain_policy, mention, django_capture_on_commit_callbacks
):
    # Given a complaint with a thread and an author with a history
    reply_in_thread = factories.MentionFactory(
        channel=mention.channel,
        author=mention.author,
        conversation_id=mention.conversation_id,
        text="¿Nadie responde?",
    )
    # When the community manager escalates it to Técnica
    with django_capture_on_commit_callbacks(execute=True):
        request = _raise(people, department, mention)

    # Then the mention is escalated, audited, and the request carries its context and policy snapshot
    mention.refresh_from_db()
    assert mention.status == MentionStatus.ESCALATED
    assert AuditEvent.objects.filter(verb="mention.escalate", target_id=str(mention.pk)).count() == 1
    assert request.status == RequestStatus.OPEN and request.current_step == 0
    context_mention = request.context["mentions"][0]
    assert context_mention["author"]["handle"] == mention.author.handle
    assert [item["id"] for item in context_mention["thread"]] == [mention.pk, reply_in_thread.pk]
    assert context_mention["category"] == "complaint"
    assert [step["kind"] for step in request.policy_snapshot["steps"]][:2] == [
        "notify_department_owner",
        "notify_heads",
    ]
    assert request.due_at == at(3600)
    assert request.next_action_at == at(60) and request.reminder_at == at(45)
    # And only the person on duty is emailed, with a link to the request
    assert [message.to for message in mail.outbox] == [[people["owner"].email]]
    assert f"/escalation/{request.pk}/" in mail.outbox[0].body
    assert list(request.events.values_list("kind", flat=True)) == [EventKind.CREATED, EventKind.NOTIFIED]


def test_an_empty_question_or_unknown_mention_writes_nothing(people, department, mention):
    with pytest.raises(services.EscalationError):
        services.escalation_request_create(raised_by=people["cm"], department=department, question="   ")
    with pytest.raises(services.EscalationError):
        services.escalation_request_create(
            raised_by=people["cm"], department=department, question="¿?", mention_ids=[mention.pk, 999_999]
        )
    with pytest.raises(services.EscalationError):
        services.escalation_request_create(
            raised_by=people["cm"], department=department, question="¿?", due_at=at(-1), now=at(0)
        )
    mention.refresh_from_db()
    assert EscalationRequest.objects.count() == 0
    assert mention.status == MentionStatus.NEW


def test_the_snapshot_keeps_requests_in_flight_unchanged_when_the_policy_is_edited(
    people, department, chain_policy, mention
):
    request = _raise(people, department, mention)
    EscalationStep.objects.filter(policy=chain_policy).update(wait_seconds=5)
    request.refresh_from_db()
    assert [step["wait_seconds"] for step in request.policy_snapshot["steps"]] == [60, 60, 120, 120]


def test_a_severe_crisis_shortens_every_wait_and_the_deadline(people, department, chain_policy, mention):
    crisis = Crisis.objects.create(title="Caída de red", crisis_type="technical", level=3, status="declared")
    request = _raise(people, department, mention, crisis_id=crisis.pk)
    assert request.policy_snapshot["factor"] == 0.25
    assert request.next_action_at == at(15)
    assert request.due_at == at(900)
    assert request.context["crisis"]["title"] == "Caída de red"


def test_without_any_policy_the_global_builtin_chain_applies(people, department, mention):
    request = _raise(people, department, mention)
    assert [step["kind"] for step in request.policy_snapshot["steps"]] == [
        "notify_department_owner",
        "notify_heads",
        "notify_role_directors",
        "notify_director_general",
    ]


def test_acknowledge_stops_the_chain_and_is_idempotent(people, department, chain_policy, mention):
    request = _raise(people, department, mention)
    services.escalation_request_acknowledge(
        request_id=request.pk, actor=people["head"], promised_at=at(3600), now=at(10)
    )
    again = services.escalation_request_acknowledge(
        request_id=request.pk, actor=people["head"], promised_at=at(3600), now=at(20)
    )
    assert again.status == RequestStatus.ACKNOWLEDGED
    assert again.next_action_at is None and again.reminder_at is None
    assert again.acknowledged_by == people["head"]
    assert EscalationEvent.objects.filter(request=request, kind=EventKind.ACKNOWLEDGED).count() == 1


def test_a_head_of_another_department_may_not_acknowledge_or_answer(
    people, department, chain_policy, mention, other_department_head
):
    request = _raise(people, department, mention)
    with pytest.raises(services.EscalationPermissionError):
        services.escalation_request_acknowledge(
            request_id=request.pk, actor=other_department_head, promised_at=timezone.now() + timedelta(hours=1)
        )
    with pytest.raises(services.EscalationPermissionError):
        services.escalation_answer_create(request_id=request.pk, author=other_department_head, text="No")
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN and request.answers.count() == 0


def test_an_approved_answer_becomes_a_reply_template(people, department, chain_policy, mention):
    request = _raise(people, department, mention)
    answer = services.escalation_answer_create(
        request_id=request.pk,
        author=people["head"],
        text="Avería localizada, vuelve a las 14:00.",
        is_approved_wording=True,
        now=at(30),
    )
    services.escalation_answer_create(
        request_id=request.pk, author=people["head"], text="Nota interna", now=at(31)
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED and request.answered_at == at(30)
    assert request.next_action_at is None
    assert list(selectors.approved_answers_for_templates()) == [answer]


def test_a_closed_request_takes_no_answers(people, department, chain_policy, mention):
    request = _raise(people, department, mention)
    services.escalation_request_close(request_id=request.pk, actor=people["cm"])
    with pytest.raises(services.EscalationError):
        services.escalation_answer_create(request_id=request.pk, author=people["head"], text="Tarde")


def test_the_playbooks_call_with_only_the_documented_arguments_works(people, department, chain_policy):
    crisis = Crisis.objects.create(
        title="Error de facturación", crisis_type="commercial", level=2, status="declared"
    )
    request = services.escalation_request_create(
        raised_by=None, department=department, question="Comunicado sobre facturación", crisis_id=crisis.pk
    )
    assert request.crisis == crisis and request.mentions.count() == 0
    assert request.policy_snapshot["factor"] == 0.5


def test_a_new_request_is_pushed_to_the_department_directors_and_its_raiser_not_every_manager(
    people, department, chain_policy, mention, monkeypatch
):
    from escalation import events

    sent = []
    monkeypatch.setattr(events, "publish_on_commit", lambda groups, payload: sent.append((groups, payload["type"])))
    request = _raise(people, department, mention)
    groups = next(groups for groups, kind in sent if kind == "escalation.created")
    assert f"department.{department.pk}" in groups
    assert "role.director" in groups
    assert f"user.{people['cm'].pk}" in groups
    assert "role.community_manager" not in groups
    assert request.pk


def test_the_people_waiting_hear_of_a_new_request_before_its_messages_are_queued(
    people, department, chain_policy, django_capture_on_commit_callbacks, monkeypatch
):
    """Handing a task to the broker is slow; the live event must not wait behind it."""
    order: list[str] = []
    monkeypatch.setattr("crisisdesk.realtime.publish_now", lambda groups, payload: order.append(payload["type"]))
    monkeypatch.setattr(tasks.escalation_step_notify, "delay", lambda *args: order.append("notify queued"))

    with django_capture_on_commit_callbacks(execute=True):
        services.escalation_request_create(raised_by=people["cm"], department=department, question="¿Avería?")

    assert order == ["escalation.created", "notify queued"]
