"""The inbox as a work queue: priority then waiting time, keyset pages over the whole queue, its views."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from inbox.models import OPEN_STATUSES, Mention, MentionStatus
from inbox.queue import QueueCursorInvalid, inbox_queue_page, queue_cursor_encode, queue_order, queue_page
from inbox.saved_views import saved_views
from inbox.selectors import inbox_list
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, community_manager):
    client.force_login(community_manager)
    return client


def _queue(count: int, *, seed: int = 7) -> list[Mention]:
    """`count` open mentions with few distinct priorities and some equal arrival times (ties)."""
    chooser = random.Random(seed)
    channel = ChannelFactory()
    now = timezone.now()
    return [
        MentionFactory(
            channel=channel,
            priority=chooser.choice([10, 40, 40, 70, 90]),
            received_at=now - timedelta(minutes=chooser.randrange(0, 30)),
        )
        for _ in range(count)
    ]


def _expected(mentions: list[Mention], sort: str) -> list[int]:
    keys = {
        "priority": lambda m: (-m.priority, m.received_at, m.pk),
        "newest": lambda m: (-m.received_at.timestamp(), -m.pk),
        "oldest": lambda m: (m.received_at, m.pk),
    }
    return [mention.pk for mention in sorted(mentions, key=keys[sort])]


@pytest.mark.parametrize("sort", ["priority", "newest", "oldest"])
def test_keyset_pages_walk_the_whole_queue_in_order_without_gaps_or_repeats(sort):
    mentions = _queue(37)
    seen, cursor = [], ""
    while True:
        page = queue_page(inbox_list(), sort=sort, cursor=cursor, limit=5)
        seen += [mention.pk for mention in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == _expected(mentions, sort)


def test_a_page_after_its_cursor_ignores_arrivals_above_it():
    mentions = _queue(12)
    first = queue_page(inbox_list(), sort="priority", limit=6)
    MentionFactory(priority=100)  # lands at the top, above the cursor
    second = queue_page(inbox_list(), sort="priority", cursor=first.next_cursor, limit=6)
    assert [m.pk for m in first.rows + second.rows] == _expected(mentions, "priority")


def test_a_cursor_from_another_order_or_damaged_is_refused():
    mention = MentionFactory()
    cursor = queue_cursor_encode(mention, sort="newest")
    with pytest.raises(QueueCursorInvalid):
        queue_page(inbox_list(), sort="priority", cursor=cursor, limit=5)
    with pytest.raises(QueueCursorInvalid):
        queue_page(inbox_list(), sort="priority", cursor="not-a-cursor!", limit=5)


def test_the_page_defaults_to_priority_then_waiting_longest(manager_client):
    now = timezone.now()
    waiting_long = MentionFactory(priority=40, received_at=now - timedelta(minutes=20))
    urgent = MentionFactory(priority=90, received_at=now)
    waiting_less = MentionFactory(priority=40, received_at=now - timedelta(minutes=5))

    response = manager_client.get(reverse("inbox:list"))

    assert [m.pk for m in response.context["mentions"]] == [urgent.pk, waiting_long.pk, waiting_less.pk]
    newest = manager_client.get(reverse("inbox:list"), {"sort": "newest"})
    assert [m.pk for m in newest.context["mentions"]] == [urgent.pk, waiting_less.pk, waiting_long.pk]


def test_load_more_rows_follow_the_cursor_to_the_end(manager_client, monkeypatch):
    monkeypatch.setattr("inbox.views.PAGE_SIZE", 4)
    mentions = _queue(10)
    page = manager_client.get(reverse("inbox:list"))
    shown = [m.pk for m in page.context["mentions"]]
    cursor = page.context["next_cursor"]
    assert f'data-cursor="{cursor}"' in page.content.decode()
    while cursor:
        rows = manager_client.get(reverse("inbox:rows"), {"cursor": cursor})
        assert rows.status_code == 200
        shown += [m.pk for m in rows.context["mentions"]]
        cursor = rows["X-Next-Cursor"]
    assert shown == _expected(mentions, "priority")
    assert manager_client.get(reverse("inbox:rows"), {"cursor": "%%%"}).status_code == 400


def test_unassigned_and_about_to_breach_views(manager_client, community_manager):
    now = timezone.now()
    with override_settings(INBOX_RESPONSE_TARGET_MINUTES=30, INBOX_BREACH_WARNING_MINUTES=10):
        fresh = MentionFactory(received_at=now - timedelta(minutes=5))
        close_to_target = MentionFactory(received_at=now - timedelta(minutes=22))
        late = MentionFactory(
            received_at=now - timedelta(minutes=45), assignee=community_manager, status=MentionStatus.ASSIGNED
        )
        MentionFactory(received_at=now - timedelta(minutes=45), status=MentionStatus.REPLIED)
        views = {view.key: view for view in saved_views()}

        def shown(key):
            response = manager_client.get(f"{reverse('inbox:list')}?{views[key].query}")
            assert response.context["current_view"].key == key
            return {m.pk for m in response.context["mentions"]}

        assert shown("unassigned") == {fresh.pk, close_to_target.pk}
        assert shown("breaching") == {close_to_target.pk, late.pk}
        assert shown("mine") == {late.pk}


def test_the_api_pages_the_queue_by_keyset(api):
    mentions = _queue(9)
    seen, url = [], reverse("api-mention-list") + "?sort=priority&page_size=4"
    while url:
        answer = api.get(url)
        assert answer.status_code == 200, answer.content
        seen += [row["id"] for row in answer.json()["results"]]
        url = answer.json()["next"]
    assert seen == _expected(mentions, "priority")
    assert api.get(reverse("api-mention-list") + "?sort=sideways").status_code == 400
    assert api.get(reverse("api-mention-list") + "?sort=priority&cursor=zz").status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's")
def test_the_default_order_and_its_next_page_read_the_work_queue_index():
    """A tiny test table would be scanned whole; with scans and sorts priced out, the plan shows
    that the index alone gives the default view in its order, for the first page and the next ones."""
    _queue(30)
    queryset = queue_order(inbox_list().filter(status__in=OPEN_STATUSES), sort="priority")
    page = queue_page(queryset, sort="priority", limit=5)
    last = page.rows[-1]
    terms = [
        queryset,
        queryset.filter(priority=last.priority, received_at__gt=last.received_at),
        queryset.filter(priority__lt=last.priority),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off")
        try:
            plans = [term[:51].explain() for term in terms]
        finally:
            cursor.execute("RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_sort")
    for plan in plans:
        assert "Index Scan using mention_work_queue" in plan, plan
        assert "Sort Key" not in plan, plan


def test_a_search_through_answered_history_defaults_to_newest_first(manager_client):
    now = timezone.now()
    old_urgent = MentionFactory(
        priority=90, status=MentionStatus.CLOSED, received_at=now - timedelta(days=3), text="fibra caída"
    )
    recent = MentionFactory(priority=10, status=MentionStatus.CLOSED, received_at=now, text="fibra caída")

    response = manager_client.get(reverse("inbox:list"), {"q": "fibra", "status": "all"})

    assert response.context["sort"] == "newest"
    assert [m.pk for m in response.context["mentions"]] == [recent.pk, old_urgent.pk]


def test_every_status_by_priority_pages_in_order_merged_from_each_status():
    # given open mentions and answered history with the same priorities and arrival times
    mentions = _queue(23)
    statuses = [MentionStatus.REPLIED, MentionStatus.CLOSED, MentionStatus.NEW, MentionStatus.ASSIGNED]
    for index, mention in enumerate(mentions):
        mention.status = statuses[index % len(statuses)]
        mention.save(update_fields=["status"])

    # when the whole inbox is paged by priority, four at a time
    seen, cursor = [], ""
    while True:
        page = inbox_queue_page(inbox_list(), sort="priority", cursor=cursor, limit=4, status="all")
        seen += [mention.pk for mention in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor

    # then every mention comes once, in the order of one query over all of them
    assert seen == _expected(mentions, "priority")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's")
def test_one_status_of_history_by_priority_reads_the_queue_index_in_order():
    _queue(30)
    queryset = queue_order(inbox_list().filter(status=MentionStatus.REPLIED), sort="priority")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off")
        try:
            plan = queryset[:51].explain()
        finally:
            cursor.execute("RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_sort")
    assert "Index Scan using mention_queue" in plan, plan
    assert "Sort Key" not in plan, plan
