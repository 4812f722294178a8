"""Saved views: one click (or link) to the open complaints, my mentions, or the running crisis."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox.models import MentionStatus
from inbox.saved_views import saved_view_current, saved_views
from playbooks.models import Crisis
from tests.factories import MentionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, community_manager):
    client.force_login(community_manager)
    return client


def view_url(key: str) -> str:
    view = next(view for view in saved_views() if view.key == key)
    return reverse("inbox:list") + (f"?{view.query}" if view.query else "")


def shown(response) -> set[int]:
    return {mention.pk for mention in response.context["mentions"]}


def test_unanswered_complaints_are_the_open_complaints(manager_client):
    complaint = MentionFactory(category="complaint")
    MentionFactory(category="question")
    MentionFactory(category="complaint", status=MentionStatus.REPLIED)
    MentionFactory(category="complaint", status=MentionStatus.CLOSED)

    response = manager_client.get(view_url("complaints"))

    assert shown(response) == {complaint.pk}
    assert response.context["current_view"].key == "complaints"


def test_mine_shows_only_what_is_assigned_to_me(manager_client, community_manager, other_community_manager):
    mine = MentionFactory(assignee=community_manager, status=MentionStatus.ASSIGNED)
    MentionFactory(assignee=other_community_manager, status=MentionStatus.ASSIGNED)
    MentionFactory()

    assert shown(manager_client.get(view_url("mine"))) == {mine.pk}


def test_each_active_crisis_has_its_view_and_a_resolved_one_does_not(manager_client):
    crisis = Crisis.objects.create(
        title="Caída de red",
        brand="Telco",
        crisis_type="technical",
        status="declared",
        declared_at=timezone.now(),
    )
    Crisis.objects.create(title="Antigua", brand="Telco", crisis_type="technical", status="resolved")
    linked = MentionFactory()
    MentionFactory()
    crisis.mentions.add(linked)

    keys = [view.key for view in saved_views()]
    assert keys == ["open", "complaints", "mine", "unassigned", "breaching", f"crisis-{crisis.pk}"]
    response = manager_client.get(view_url(f"crisis-{crisis.pk}"))
    assert shown(response) == {linked.pk}
    tab = response.content.decode().split(f'data-view="crisis-{crisis.pk}"')[1].split("</a>")[0]
    assert tab.endswith(f"Crisis #{crisis.pk}")


def test_the_current_view_ignores_the_search_box_and_empty_fields():
    views = saved_views()
    assert saved_view_current(views, {"assignee": "mine", "q": "fibra", "status": ""}).key == "mine"
    assert saved_view_current(views, {}).key == "open"
    assert saved_view_current(views, {"assignee": "mine", "category": "complaint"}) is None


def test_the_inbox_page_marks_the_current_view_for_assistive_technology(manager_client):
    page = manager_client.get(view_url("mine")).content.decode()
    assert 'data-view="mine" aria-current="page"' in page
    assert 'data-view="open" aria-current="page"' not in page
