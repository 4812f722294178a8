"""Suspending all scheduled publishing (#FelizNoche): a crisis or one button holds every post, the calendar
says why and shows what is held, and posts are released one at a time — ending the suspension releases none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisdesk.models import AuditEvent
from crisisdesk.realtime import group_for_role
from inbox.models import ScheduledPost, ScheduledPostStatus
from playbooks import services
from playbooks.models import CrisisEvent, PublishingSuspension
from tests.playbooks.conftest import post_approved
from tests.realtime import GroupListener

pytestmark = pytest.mark.django_db

CHEERFUL = "¡Feliz Nochebuena! 🎄 Celebra con nuestra fibra #FelizNoche"


def _declare(actor):
    return services.crisis_declare(actor=actor, crisis_type="technical", level=2, title="Accidente en Santiago")


def _week(community_manager, director, channel):
    return [
        post_approved(channel=channel, author=community_manager, approver=director, body=body, hours=hours)
        for hours, body in ((2, CHEERFUL), (5, "Nueva tarifa"), (30, "Mantenimiento el martes"))
    ]


def _statuses(posts) -> list[str]:
    return [ScheduledPost.objects.get(pk=post.pk).status for post in posts]


def test_declaring_a_crisis_holds_every_post_with_the_crisis_title_as_reason(
    community_manager, director, technical_playbook, channel, client
):
    # Given a week of approved posts, the first a cheerful one
    posts = _week(community_manager, director, channel)

    # When a crisis is declared
    crisis = _declare(community_manager)

    # Then publishing is suspended with the crisis title as its reason, and every post is held
    suspension = PublishingSuspension.objects.get(ended_at__isnull=True)
    assert (suspension.reason, suspension.crisis) == ("Accidente en Santiago", crisis)
    assert _statuses(posts) == [ScheduledPostStatus.FROZEN] * 3
    # nothing goes out when its time comes
    assert services.scheduled_posts_publish_due(now=timezone.now() + timedelta(days=2)) == []
    # and the crisis timeline says so, in words
    entry = CrisisEvent.objects.get(crisis=crisis, message_key="publishing.suspended")
    assert entry.text == "Scheduled publishing suspended by Ana: Accidente en Santiago. Posts held: 3"
    # and on the calendar the held cheerful post carries the composer's crisis warnings
    client.force_login(director)
    page = client.get(reverse("playbooks:publishing")).content.decode()
    assert "Accidente en Santiago" in page and "No emojis during a crisis." in page


def test_held_posts_are_released_one_at_a_time(community_manager, director, channel):
    # Given Elena suspended publishing by hand, holding three posts
    posts = _week(community_manager, director, channel)
    services.publishing_suspend(actor=director, reason="Duelo por el accidente")

    # When she releases only the maintenance notice
    released = services.scheduled_post_release(post_id=posts[2].pk, actor=director)

    # Then that one goes out at its time, and the other two stay held
    assert _statuses(posts) == [ScheduledPostStatus.FROZEN, ScheduledPostStatus.FROZEN, ScheduledPostStatus.SCHEDULED]
    assert services.scheduled_posts_publish_due(now=timezone.now() + timedelta(days=2)) == [released.pk]
    assert AuditEvent.objects.filter(verb="post.release", target_id=str(released.pk), actor=director).exists()


def test_a_post_approved_while_publishing_is_suspended_is_held_at_once(community_manager, director, channel):
    services.publishing_suspend(actor=director, reason="Duelo")

    post = post_approved(channel=channel, author=community_manager, approver=director)

    assert post.status == ScheduledPostStatus.FROZEN


def test_ending_the_suspension_releases_nothing_by_itself(community_manager, director, technical_playbook, channel):
    posts = _week(community_manager, director, channel)
    crisis = _declare(community_manager)

    services.publishing_resume(actor=director)

    assert PublishingSuspension.objects.filter(ended_at__isnull=True).count() == 0
    assert _statuses(posts) == [ScheduledPostStatus.FROZEN] * 3
    assert services.scheduled_posts_publish_due(now=timezone.now() + timedelta(days=2)) == []
    entry = CrisisEvent.objects.get(crisis=crisis, message_key="publishing.resumed")
    assert entry.text == "Scheduled publishing resumed by Elena. Posts still held, to release one by one: 3"
    # a second resume is refused with a reason
    with pytest.raises(services.OutboxError, match="not suspended"):
        services.publishing_resume(actor=director)


def test_a_held_post_whose_time_passed_is_published_now_or_rescheduled(
    community_manager, director, channel, django_capture_on_commit_callbacks
):
    # Given two held posts whose times went by during the suspension
    overdue = _week(community_manager, director, channel)[:2]
    services.publishing_suspend(actor=director, reason="Duelo")
    overdue_ids = [post.pk for post in overdue]
    ScheduledPost.objects.filter(pk__in=overdue_ids).update(scheduled_at=timezone.now() - timedelta(hours=1))

    # A plain release asks what to do instead of publishing a stale post silently
    with pytest.raises(services.PostTimePassed, match="publish it now or choose a new time"):
        services.scheduled_post_release(post_id=overdue[0].pk, actor=director)
    # "Publish now" sends it at once, through the publishing task
    with django_capture_on_commit_callbacks(execute=True):
        services.scheduled_post_release(post_id=overdue[0].pk, actor=director, publish_now=True)
    assert ScheduledPost.objects.get(pk=overdue[0].pk).external_id.startswith("sim-post-")
    # "Reschedule" needs a time still ahead
    with pytest.raises(services.OutboxError, match="future"):
        services.scheduled_post_release(
            post_id=overdue[1].pk, actor=director, scheduled_at=timezone.now() - timedelta(minutes=5)
        )
    tomorrow = timezone.now() + timedelta(days=1)
    post = services.scheduled_post_release(post_id=overdue[1].pk, actor=director, scheduled_at=tomorrow)
    assert (post.status, post.scheduled_at) == (ScheduledPostStatus.SCHEDULED, tomorrow)


def test_the_button_needs_a_reason_and_a_crisis_team_role(director, department_head, client):
    client.force_login(director)
    refused = client.post(reverse("playbooks:publishing_suspend"), {"reason": "   "})
    assert refused.status_code == 400
    assert "Say why publishing is suspended" in refused.content.decode()
    assert not PublishingSuspension.objects.exists()

    client.force_login(department_head)
    assert client.post(reverse("playbooks:publishing_suspend"), {"reason": "Duelo"}).status_code == 403
    assert not PublishingSuspension.objects.exists()


def test_the_calendar_shows_the_reason_and_every_held_post_and_tells_open_calendars(
    community_manager, director, channel, client, django_capture_on_commit_callbacks
):
    _week(community_manager, director, channel)
    client.force_login(director)

    with GroupListener(group_for_role("community_manager")) as calendars:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("playbooks:publishing_suspend"), {"reason": "Duelo por el accidente"})
        event = calendars.receive()["event"]
    assert response.status_code == 302
    assert (event["type"], event["suspended"]) == ("publishing.changed", True)

    page = client.get(reverse("playbooks:publishing")).content.decode()
    assert 'data-testid="suspension-banner"' in page and "Duelo por el accidente" in page
    assert page.count('data-testid="held-post"') == 3
    assert page.count("Release: goes out at") == 3


def test_the_api_suspends_lists_the_held_posts_and_releases_one(community_manager, director, channel):
    from rest_framework.test import APIClient

    posts = _week(community_manager, director, channel)
    api = APIClient()
    api.force_authenticate(director)
    assert api.post("/api/publishing/suspension/", {"reason": ""}, format="json").status_code == 400

    assert api.post("/api/publishing/suspension/", {"reason": "Duelo"}, format="json").status_code == 201
    state = api.get("/api/publishing/suspension/").json()
    assert state["suspension"]["reason"] == "Duelo"
    assert sorted(post["id"] for post in state["held"]) == sorted(post.pk for post in posts)

    ScheduledPost.objects.filter(pk=posts[0].pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    assert api.post(f"/api/scheduled-posts/{posts[0].pk}/release/", {}, format="json").status_code == 409
    released = api.post(f"/api/scheduled-posts/{posts[1].pk}/release/", {}, format="json")
    assert (released.status_code, released.json()["status"]) == (200, "scheduled")
    assert _statuses(posts) == [ScheduledPostStatus.FROZEN, ScheduledPostStatus.SCHEDULED, ScheduledPostStatus.FROZEN]
