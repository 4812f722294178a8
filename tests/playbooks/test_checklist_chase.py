"""The checklist chases its steps: the person a step is given to is reminded before and at its due time,
and a step still open past the grace is escalated to the crisis lead; each exactly once, however many
beats run."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from crisisdesk.celery import app as celery_app
from playbooks import services
from playbooks.models import ChecklistItem, CrisisEvent, CrisisNotification
from tests.playbooks.crisis_command import outage_declared, outage_playbooks
from tests.realtime import GroupListener

SOON, DUE, LATE = services.REMIND_BEFORE, timedelta(0), services.ESCALATE_AFTER


@pytest.fixture
def step(db, community_manager, other_community_manager):
    """The spokesperson's step, given to Luis by Ana (the lead), due in an hour; the other steps are done."""
    outage_playbooks()
    crisis = outage_declared(community_manager)
    item = ChecklistItem.objects.get(crisis=crisis, responsible_role="spokesperson")
    for other in ChecklistItem.objects.filter(crisis=crisis).exclude(pk=item.pk):
        services.checklist_item_set(crisis_id=crisis.pk, item_id=other.pk, done=True, actor=community_manager)
    return services.checklist_item_assign(
        crisis_id=crisis.pk,
        item_id=item.pk,
        actor=community_manager,
        assignee_id=other_community_manager.pk,
        due_at=timezone.now() + timedelta(hours=1),
    )


def _at(step, offset: timedelta):
    """`offset` after the step's due time (negative: before)."""
    return step.due_at + offset


def _rows(step, kind: str | None = None):
    rows = CrisisNotification.objects.filter(crisis_id=step.crisis_id)
    return rows.filter(kind=kind) if kind else rows


def test_the_assignee_is_reminded_before_and_at_the_due_time_once_each(
    step, other_community_manager, django_capture_on_commit_callbacks
):
    # Nothing an hour ahead
    assert services.checklist_chase(now=_at(step, -timedelta(hours=1))) == 0

    # Ten minutes before: Luis gets one e-mail and a notice on his console
    with GroupListener(f"user.{other_community_manager.pk}") as console:
        with django_capture_on_commit_callbacks(execute=True):
            assert services.checklist_chase(now=_at(step, -SOON + timedelta(seconds=30))) == 1
        notice = console.receive()["event"]
    assert notice["type"] == "checklist.reminder" and notice["stage"] == "soon" and notice["id"] == step.pk
    [sent] = mail.outbox
    assert sent.to == [other_community_manager.email]
    assert "Publicar el mensaje de espera" in sent.subject and f"/crises/{step.crisis_id}/" in sent.body

    # The same moment again sends nothing
    assert services.checklist_chase(now=_at(step, -SOON + timedelta(seconds=60))) == 0

    # At the due time: one more, and again nothing on the next beat
    assert services.checklist_chase(now=_at(step, DUE)) == 1
    assert services.checklist_chase(now=_at(step, timedelta(seconds=30))) == 0
    assert _rows(step, "reminder").count() == 2
    assert set(_rows(step).values_list("recipient_id", flat=True)) == {other_community_manager.pk}


def test_a_beat_that_missed_the_ten_minutes_sends_only_due_now(step):
    assert services.checklist_chase(now=_at(step, timedelta(minutes=1))) == 1
    assert _rows(step).count() == 1
    assert services.checklist_chase(now=_at(step, timedelta(minutes=2))) == 0


def test_an_overdue_step_is_escalated_to_the_lead_once_and_written_on_the_timeline(
    step, community_manager, other_community_manager
):
    # When the step is still open a grace period after its due time
    services.checklist_chase(now=_at(step, DUE))
    assert services.checklist_chase(now=_at(step, LATE - timedelta(seconds=1))) == 0
    assert services.checklist_chase(now=_at(step, LATE)) == 1

    # Then Ana, the lead, is told (once), and the timeline says so
    [escalation] = _rows(step, "overdue")
    assert escalation.recipient == community_manager
    assert "Publicar el mensaje de espera" in escalation.subject
    entry = CrisisEvent.objects.get(crisis_id=step.crisis_id, message_key="checklist.escalated")
    assert entry.params["step"] == "Publicar el mensaje de espera"
    assert services.checklist_chase(now=_at(step, LATE + timedelta(minutes=5))) == 0


def test_when_the_lead_is_the_assignee_the_owner_is_told_and_then_the_directors(step, community_manager, director):
    # Given the step is the lead's own, and Ana owns the crisis too
    services.checklist_item_assign(
        crisis_id=step.crisis_id, item_id=step.pk, actor=community_manager, assignee_id=community_manager.pk
    )

    services.checklist_chase(now=_at(step, LATE))

    # Then nobody but the directors can be told: Elena is
    assert list(_rows(step, "overdue").values_list("recipient_id", flat=True)) == [director.pk]


def test_a_done_step_is_not_chased_and_a_new_assignee_is_reminded_afresh(
    step, community_manager, other_community_manager, director
):
    services.checklist_chase(now=_at(step, DUE))
    # When the step goes to Elena, she is reminded too
    services.checklist_item_assign(
        crisis_id=step.crisis_id, item_id=step.pk, actor=community_manager, assignee_id=director.pk
    )
    assert services.checklist_chase(now=_at(step, timedelta(minutes=1))) == 1
    assert list(_rows(step, "reminder").values_list("recipient_id", flat=True).order_by("pk")) == [
        other_community_manager.pk,
        director.pk,
    ]
    # And once it is done, nothing more: no escalation
    services.checklist_item_set(crisis_id=step.crisis_id, item_id=step.pk, done=True, actor=director)
    assert services.checklist_chase(now=_at(step, LATE + timedelta(minutes=1))) == 0


@pytest.mark.django_db(transaction=True)
def test_two_beats_running_at_once_remind_exactly_once(community_manager, other_community_manager):
    outage_playbooks()
    crisis = outage_declared(community_manager)
    items = list(ChecklistItem.objects.filter(crisis=crisis))
    due = timezone.now() + timedelta(minutes=30)
    for item in items:
        services.checklist_item_assign(
            crisis_id=crisis.pk,
            item_id=item.pk,
            actor=community_manager,
            assignee_id=other_community_manager.pk,
            due_at=due,
        )
    start = threading.Barrier(4)
    told: list[int] = []

    def beat(now) -> None:
        try:
            start.wait(10)
            told.append(services.checklist_chase(now=now))
        finally:
            connection.close()

    # When four sweepers run at once, two at the due time and two past the grace
    workers = [
        threading.Thread(target=beat, args=(moment,))
        for moment in (due, due, due + services.ESCALATE_AFTER, due + services.ESCALATE_AFTER)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)

    # Then each step was reminded once and escalated once
    rows = CrisisNotification.objects.filter(crisis=crisis)
    assert rows.filter(kind="reminder").count() == len(items)
    assert rows.filter(kind="overdue").count() == len(items)
    assert sum(told) == 2 * len(items)


def test_the_beat_runs_the_chase_every_half_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["checklist-chase"]
    assert entry["task"] == "playbooks.checklist_chase" and entry["schedule"] == 30.0
    assert "playbooks.checklist_chase" in celery_app.tasks
