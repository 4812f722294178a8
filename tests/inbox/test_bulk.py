"""Bulk actions from the inbox: assign, close or hide as troll many mentions at once, all or none."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crisisdesk.models import AuditEvent
from inbox.models import Author, Mention, MentionStatus
from tests.factories import MentionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, community_manager):
    client.force_login(community_manager)
    return client


def test_closing_several_mentions_closes_and_audits_each_and_pushes_after_commit(
    manager_client, community_manager, django_capture_on_commit_callbacks
):
    first, second, untouched = MentionFactory(), MentionFactory(), MentionFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        response = manager_client.post(
            reverse("inbox:bulk"),
            {"action": "close", "ids": [first.pk, second.pk], "next": "/inbox/?assignee=mine"},
        )

    assert response.status_code == 302 and response["Location"] == "/inbox/?assignee=mine"
    assert set(Mention.objects.filter(status=MentionStatus.CLOSED).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert Mention.objects.get(pk=untouched.pk).status == MentionStatus.NEW
    closes = AuditEvent.objects.filter(verb="mention.close", actor=community_manager)
    assert sorted(int(event.target_id) for event in closes) == sorted([first.pk, second.pk])
    assert len(callbacks) == 2  # one mention.changed per mention, only once committed


def test_assigning_to_me_answers_json_to_the_page_script(manager_client, community_manager):
    mention = MentionFactory()
    response = manager_client.post(
        reverse("inbox:bulk"), {"action": "assign", "ids": [mention.pk]}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response.json()["ids"] == [mention.pk]
    mention.refresh_from_db()
    assert mention.assignee == community_manager and mention.status == MentionStatus.ASSIGNED


def test_hiding_as_troll_needs_a_reason_and_feeds_the_authors_history(manager_client):
    mention = MentionFactory()
    refused = manager_client.post(
        reverse("inbox:bulk"), {"action": "hide", "ids": [mention.pk]}, HTTP_ACCEPT="application/json"
    )
    assert refused.status_code == 400 and refused.json()["error"]
    assert not Mention.objects.get(pk=mention.pk).is_hidden

    manager_client.post(reverse("inbox:bulk"), {"action": "hide", "ids": [mention.pk], "reason": "Insultos"})
    mention.refresh_from_db()
    assert mention.is_hidden and mention.hidden_reason == "Insultos"
    assert Author.objects.get(pk=mention.author_id).hidden_as_troll_count == 1


def test_one_missing_mention_means_nothing_is_written(manager_client):
    mention = MentionFactory()
    response = manager_client.post(
        reverse("inbox:bulk"),
        {"action": "close", "ids": [mention.pk, 999999]},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 404
    assert Mention.objects.get(pk=mention.pk).status == MentionStatus.NEW
    assert not AuditEvent.objects.filter(verb="mention.close").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "close"},
        {"action": "close", "ids": ["abc"]},
        {"action": "delete", "ids": ["1"]},
        {"action": "close", "ids": [str(number) for number in range(1, 103)]},
    ],
)
def test_bad_bulk_requests_are_refused_with_a_400(manager_client, data):
    MentionFactory()
    response = manager_client.post(reverse("inbox:bulk"), data, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["error"]


def test_an_open_redirect_is_not_followed(manager_client):
    mention = MentionFactory()
    response = manager_client.post(
        reverse("inbox:bulk"), {"action": "close", "ids": [mention.pk], "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("inbox:list")


def test_directors_and_department_heads_may_not_act_in_bulk(client, director, department_head):
    mention = MentionFactory()
    for person in (director, department_head):
        client.force_login(person)
        assert client.post(reverse("inbox:bulk"), {"action": "close", "ids": [mention.pk]}).status_code == 403
    assert Mention.objects.get(pk=mention.pk).status == MentionStatus.NEW
