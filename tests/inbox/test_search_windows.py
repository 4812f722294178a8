"""Searching a big inbox: recent windows first, widening only when a page is short, never a wrong page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox import selectors
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def matches():
    """Nine mentions about a refund spread over a hundred days, newest first, among unrelated ones."""
    channel = ChannelFactory()
    now = timezone.now()
    ages = [timedelta(hours=1), timedelta(hours=5), timedelta(days=2), timedelta(days=3), timedelta(days=6),
            timedelta(days=20), timedelta(days=40), timedelta(days=100), timedelta(days=101)]
    found = [
        MentionFactory(channel=channel, text=f"Quiero el reembolso del billete {index}", received_at=now - age)
        for index, age in enumerate(ages)
    ]
    for hours in range(5):
        MentionFactory(channel=channel, text="Todo bien, gracias", received_at=now - timedelta(hours=hours))
    return [mention.pk for mention in found]


def _pages(api, params):
    url, seen = "/api/mentions/", []
    while url:
        response = api.get(url, params if url == "/api/mentions/" else None)
        assert response.status_code == 200
        body = response.json()
        seen.append([item["id"] for item in body["results"]])
        url = body["next"]
    return seen


def test_paging_through_a_search_gives_every_match_once_in_newest_first_order(api, matches):
    pages = _pages(api, {"q": "reembolso", "status": "all", "page_size": 2})

    assert [mention for page in pages for mention in page] == matches
    assert all(len(page) == 2 for page in pages[:-1])


def test_going_back_a_page_returns_the_same_page(api, matches):
    first = api.get("/api/mentions/", {"q": "reembolso", "status": "all", "page_size": 3}).json()
    second = api.get(first["next"]).json()
    back = api.get(second["previous"]).json()

    assert [item["id"] for item in back["results"]] == [item["id"] for item in first["results"]]


def test_when_the_last_day_fills_the_page_no_older_mention_is_read(api, matches):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/mentions/", {"q": "reembolso", "status": "all", "page_size": 1})

    assert [item["id"] for item in response.json()["results"]] == matches[:1]
    searches = [query["sql"] for query in queries if 'FROM "inbox_mention"' in query["sql"]]
    assert searches and all('"inbox_mention"."received_at" >=' in sql for sql in searches)


def test_the_inbox_page_finds_old_matches_when_recent_ones_are_few(matches):
    queryset = selectors.inbox_filter(selectors.inbox_list(), status="all", search="reembolso")

    assert [mention.pk for mention in selectors.newest_first(queryset, limit=50)] == matches
    assert [mention.pk for mention in selectors.newest_first(queryset, limit=4)] == matches[:4]


def test_a_search_among_open_mentions_reads_their_own_index_without_windows(api, matches):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/mentions/", {"q": "reembolso"})

    assert [item["id"] for item in response.json()["results"]] == matches
    searches = [query["sql"] for query in queries if 'FROM "inbox_mention"' in query["sql"]]
    assert len(searches) == 1 and '"inbox_mention"."received_at" >=' not in searches[0]
