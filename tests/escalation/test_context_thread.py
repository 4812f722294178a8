"""An escalation about a comment on a viral post carries the start of its conversation without reading all of it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from escalation.services.context import CONTEXT_THREAD_LIMIT, thread_first_mentions
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's")
def test_the_start_of_a_long_conversation_is_read_in_the_index_order_without_a_sort():
    """A tiny test table would be scanned whole; with scans and sorts priced out, the plan shows that the
    `mention_thread` index alone gives the conversation in its order."""
    channel = ChannelFactory()
    start = timezone.now()
    comments = [
        MentionFactory(channel=channel, conversation_id="post-1", posted_at=start - timezone.timedelta(seconds=n))
        for n in range(CONTEXT_THREAD_LIMIT + 5)
    ]
    MentionFactory(channel=channel, conversation_id="post-2")
    thread = thread_first_mentions(comments[0])

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off")
        try:
            plan = thread.explain()
        finally:
            cursor.execute("RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_sort")

    assert "Index Scan using mention_thread" in plan, plan
    assert "Sort Key" not in plan, plan
    oldest_first = sorted(comments, key=lambda mention: (mention.posted_at, mention.pk))[:CONTEXT_THREAD_LIMIT]
    assert [mention.pk for mention in thread] == [mention.pk for mention in oldest_first]
