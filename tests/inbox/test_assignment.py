"""Who answers what: assigning by hand, round-robin among the people on duty, and returning to the queue."""

from __future__ import annotations

import queue
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from crisisdesk.models import AuditEvent
from inbox import services, tasks
from inbox.models import Mention, MentionStatus
from tests.factories import MentionFactory, UserFactory
from tests.realtime import GroupListener

pytestmark = pytest.mark.django_db


def audit_verbs(mention: Mention) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="inbox.mention", target_id=str(mention.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_a_community_manager_assigns_a_mention_to_herself(community_manager):
    mention = MentionFactory()

    services.mention_assign(mention_id=mention.pk, assignee=community_manager, actor=community_manager)

    mention.refresh_from_db()
    assert mention.assignee == community_manager
    assert mention.status == MentionStatus.ASSIGNED
    assert mention.assigned_at is not None
    assert audit_verbs(mention) == ["mention.assign"]


def test_she_assigns_a_mention_to_a_colleague_and_can_unassign_it(community_manager, other_community_manager):
    mention = MentionFactory()

    services.mention_assign(mention_id=mention.pk, assignee=other_community_manager, actor=community_manager)
    mention.refresh_from_db()
    assert mention.assignee == other_community_manager

    services.mention_assign(mention_id=mention.pk, assignee=None, actor=community_manager)
    mention.refresh_from_db()
    assert mention.assignee is None
    assert mention.status == MentionStatus.NEW


def test_mentions_cannot_be_assigned_to_a_department_head(community_manager, department_head):
    mention = MentionFactory()
    with pytest.raises(services.InboxError):
        services.mention_assign(mention_id=mention.pk, assignee=department_head, actor=community_manager)
    mention.refresh_from_db()
    assert mention.assignee is None
    assert audit_verbs(mention) == []


def test_auto_assign_spreads_the_most_urgent_mentions_round_robin(community_manager, other_community_manager):
    UserFactory(username="off", role="community_manager", is_on_duty=False)
    urgent = [MentionFactory(priority=90 - index) for index in range(4)]
    low = MentionFactory(priority=5)

    assigned = services.mentions_auto_assign(limit=4)

    assert assigned == 4
    for mention in urgent:
        mention.refresh_from_db()
        assert mention.status == MentionStatus.ASSIGNED
    low.refresh_from_db()
    assert low.assignee is None
    loads = Counter(
        Mention.objects.filter(assignee__isnull=False).values_list("assignee__username", flat=True)
    )
    assert loads == {"ana": 2, "luis": 2}
    assert AuditEvent.objects.filter(verb="mention.assign", actor=None, data__auto=True).count() == 4


def test_an_auto_assign_run_reaches_the_consoles_as_one_event_naming_each_mention(
    community_manager, other_community_manager, django_capture_on_commit_callbacks
):
    urgent = [MentionFactory(priority=90 - index) for index in range(3)]
    with GroupListener("inbox") as consoles:
        with django_capture_on_commit_callbacks(execute=True):
            assert services.mentions_auto_assign(limit=3) == 3
        payload = consoles.receive()["event"]
        with pytest.raises(queue.Empty):  # and nothing more: not one event per mention
            consoles.receive(timeout=0.5)

    assert (payload["type"], payload["change"]) == ("mentions.changed", "assigned")
    assignees = {state["id"]: state["assignee_id"] for state in payload["mentions"]}
    assert assignees == {mention.pk: Mention.objects.get(pk=mention.pk).assignee_id for mention in urgent}
    assert set(assignees.values()) == {community_manager.pk, other_community_manager.pk}
    assert {state["status"] for state in payload["mentions"]} == {MentionStatus.ASSIGNED}


def test_auto_assign_respects_the_cap_and_serves_the_least_loaded_first(
    settings, community_manager, other_community_manager
):
    settings.INBOX_ASSIGN_CAP = 3
    for _ in range(2):
        MentionFactory(assignee=community_manager, status=MentionStatus.ASSIGNED, assigned_at=timezone.now())
    waiting = [MentionFactory(priority=60) for _ in range(6)]

    assigned = services.mentions_auto_assign(limit=10)

    assert assigned == 4
    assert Mention.objects.filter(assignee=community_manager).count() == 3
    assert Mention.objects.filter(assignee=other_community_manager).count() == 3
    assert Mention.objects.filter(pk__in=[m.pk for m in waiting], assignee__isnull=True).count() == 2


def test_auto_assign_skips_hidden_closed_and_already_assigned(community_manager):
    MentionFactory(is_hidden=True)
    MentionFactory(status=MentionStatus.CLOSED)
    MentionFactory(status=MentionStatus.REPLIED)
    assert services.mentions_auto_assign(limit=10) == 0


def test_auto_assign_with_nobody_on_duty_leaves_the_queue_alone(community_manager):
    community_manager.is_on_duty = False
    community_manager.save()
    mention = MentionFactory()
    assert tasks.mentions_auto_assign.delay(limit=10).get() == 0
    mention.refresh_from_db()
    assert mention.assignee is None


def test_an_unanswered_assignment_returns_to_the_queue_and_the_lead_is_told(
    settings, community_manager, django_capture_on_commit_callbacks
):
    settings.INBOX_RETURN_MINUTES = 15
    stale = MentionFactory(
        assignee=community_manager,
        status=MentionStatus.ASSIGNED,
        assigned_at=timezone.now() - timedelta(minutes=16),
    )
    fresh = MentionFactory(
        assignee=community_manager,
        status=MentionStatus.ASSIGNED,
        assigned_at=timezone.now() - timedelta(minutes=5),
    )
    answered = MentionFactory(
        assignee=community_manager,
        status=MentionStatus.REPLIED,
        assigned_at=timezone.now() - timedelta(hours=1),
    )
    with GroupListener("role.director") as lead_inbox:
        with django_capture_on_commit_callbacks(execute=True):
            returned = services.mentions_return_unanswered()
        message = lead_inbox.receive()

    assert returned == 1
    stale.refresh_from_db()
    assert (stale.status, stale.assignee, stale.assigned_at) == (MentionStatus.NEW, None, None)
    fresh.refresh_from_db()
    answered.refresh_from_db()
    assert fresh.assignee == community_manager and answered.assignee == community_manager
    assert audit_verbs(stale) == ["mention.returned"]
    assert AuditEvent.objects.get(verb="mention.returned").data["from"] == community_manager.pk
    assert message["event"]["type"] == "mention.returned"
    assert message["event"]["id"] == stale.pk
    assert message["event"]["previous_assignee_id"] == community_manager.pk


def test_the_return_sweeper_is_safe_to_run_twice(community_manager):
    MentionFactory(
        assignee=community_manager,
        status=MentionStatus.ASSIGNED,
        assigned_at=timezone.now() - timedelta(hours=1),
    )
    assert tasks.mentions_return_unanswered.delay().get() == 1
    assert tasks.mentions_return_unanswered.delay().get() == 0
    assert AuditEvent.objects.filter(verb="mention.returned").count() == 1


def test_the_beat_schedule_runs_assignment_and_the_sweeper():
    from django.conf import settings

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"inbox.mentions_auto_assign", "inbox.mentions_return_unanswered"} <= scheduled
    assert tasks.mentions_auto_assign.name == "inbox.mentions_auto_assign"
