"""A thousand consoles polling the inbox: one of them reads the page, the others are served it, and a change
announced on the inbox stream is never hidden by a kept page."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from inbox import services
from tests.factories import MentionFactory

pytestmark = pytest.mark.django_db

MENTIONS = "/api/mentions/"


@pytest.fixture(autouse=True)
def _pages_shared(settings):
    settings.SHARED_PAGE_SECONDS = 30


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def mention_reads(queries: CaptureQueriesContext) -> int:
    return sum('"inbox_mention"' in query["sql"] for query in queries.captured_queries)


def test_a_colleague_is_served_the_page_another_console_just_read(community_manager, other_community_manager, director):
    MentionFactory.create_batch(3)
    first = signed_in(community_manager).get(MENTIONS, {"sort": "priority"})

    with CaptureQueriesContext(connection) as queries:
        second = signed_in(other_community_manager).get(MENTIONS, {"sort": "priority"})
        third = signed_in(director).get(MENTIONS, {"sort": "priority"})

    assert first.status_code == second.status_code == third.status_code == 200
    assert mention_reads(queries) == 0
    assert second.json() == third.json() == first.json()
    assert second.headers["Content-Type"] == first.headers["Content-Type"] == "application/json"
    # Each viewer has a tag of their own, and each gets a 304 for it.
    assert len({first.headers["ETag"], second.headers["ETag"], third.headers["ETag"]}) == 3
    again = signed_in(other_community_manager).get(
        MENTIONS, {"sort": "priority"}, HTTP_IF_NONE_MATCH=second.headers["ETag"]
    )
    assert again.status_code == 304 and again.content == b""


def test_a_kept_page_gives_the_same_etag_as_a_fresh_read(community_manager, other_community_manager, settings):
    MentionFactory.create_batch(2)
    signed_in(community_manager).get(MENTIONS)
    served = signed_in(other_community_manager).get(MENTIONS)
    settings.SHARED_PAGE_SECONDS = 0
    fresh = signed_in(other_community_manager).get(MENTIONS)
    assert served.headers["ETag"] == fresh.headers["ETag"]


def test_a_change_announced_on_the_inbox_stream_is_seen_by_the_next_poll(
    community_manager, other_community_manager, django_capture_on_commit_callbacks
):
    mention = MentionFactory()
    before = signed_in(other_community_manager).get(MENTIONS)
    assert before.json()["results"][0]["status"] == "new"

    with django_capture_on_commit_callbacks(execute=True):
        services.mention_close(mention_id=mention.pk, actor=community_manager)

    after = signed_in(other_community_manager).get(MENTIONS, {"status": "all"})
    assert after.json()["results"][0]["status"] == "closed"
    assert signed_in(other_community_manager).get(MENTIONS).json()["results"] == []


def test_a_write_nobody_announced_is_seen_once_the_page_expires(community_manager, settings):
    settings.SHARED_PAGE_SECONDS = 1
    api = signed_in(community_manager)
    MentionFactory(text="Primera")
    assert [row["text"] for row in api.get(MENTIONS).json()["results"]] == ["Primera"]

    MentionFactory(text="Segunda")
    assert [row["text"] for row in api.get(MENTIONS).json()["results"]] == ["Primera"]
    time.sleep(1.3)
    assert [row["text"] for row in api.get(MENTIONS).json()["results"]] == ["Segunda", "Primera"]


def test_mine_is_never_served_to_a_colleague(community_manager, other_community_manager):
    MentionFactory(assignee=community_manager, status="assigned", text="De Ana")
    MentionFactory(assignee=other_community_manager, status="assigned", text="De Luis")

    ana = signed_in(community_manager).get(MENTIONS, {"mine": "true"}).json()["results"]
    luis = signed_in(other_community_manager).get(MENTIONS, {"mine": "true"}).json()["results"]

    assert [row["text"] for row in ana] == ["De Ana"]
    assert [row["text"] for row in luis] == ["De Luis"]


def test_a_kept_page_still_asks_who_is_asking(community_manager, department_head):
    MentionFactory()
    assert signed_in(community_manager).get(MENTIONS).status_code == 200

    for stranger in (signed_in(department_head), APIClient()):
        refused = stranger.get(MENTIONS)
        assert refused.status_code == 403 and "results" not in refused.json()


def test_a_cache_that_does_not_answer_costs_a_read_not_an_error(community_manager):
    MentionFactory(text="Sin servicio")
    with mock.patch("crisisdesk.shared_pages.cache.get_many", side_effect=ConnectionError("Redis is gone")):
        answer = signed_in(community_manager).get(MENTIONS)
    assert answer.status_code == 200
    assert [row["text"] for row in answer.json()["results"]] == ["Sin servicio"]
