"""A row being worked on never holds up the inserts that point at it.

During a crisis a community manager answers the biggest cluster while every webhook batch adds mentions to
it; she replies to a mention while its escalation is raised. Each of those inserts checks its foreign key
at commit (FOR KEY SHARE on the row it points at): a plain FOR UPDATE on that row made the commit wait for
the other transaction, and ingestion stalled behind a cluster answer (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.utils import timezone

from inbox.cluster_actions import _cluster_for_update
from inbox.models import Channel, Mention, MentionCluster, Reply
from inbox.services.common import _mention_for_update
from tests.factories import MentionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def held_in_another_transaction(lock: Callable[[], object]) -> Iterator[None]:
    """`lock` runs in a transaction of another connection, which stays open until the block ends."""
    taken, release, errors = threading.Event(), threading.Event(), []

    def other() -> None:
        try:
            with transaction.atomic():
                lock()
                taken.set()
                release.wait(20)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            taken.set()
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    assert taken.wait(20)
    try:
        yield
    finally:
        release.set()
        thread.join(20)
    assert errors == []


def commit_without_waiting(write: Callable[[], object]) -> None:
    """Commits, or fails with a lock timeout after 2 s instead of waiting for the other transaction."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
        write()


def test_a_batch_adds_mentions_to_the_cluster_a_manager_is_answering():
    channel = Channel.objects.create(name="X Telco", kind="simulator", brand="Telco")
    cluster = MentionCluster.objects.create(
        brand="Telco", channel=channel, signature=[1, 2], bands=[3], representative_text="Sin fibra",
        mention_count=1, author_count=1, reach=10, negative=1,
        first_seen_at=timezone.now(), last_seen_at=timezone.now(),
    )
    with held_in_another_transaction(lambda: _cluster_for_update(cluster.pk)):
        commit_without_waiting(lambda: MentionFactory(channel=channel, cluster=cluster))
    assert Mention.objects.filter(cluster=cluster).count() == 1


def test_a_reply_is_queued_on_a_mention_another_action_holds():
    mention = MentionFactory()
    author = UserFactory(role="community_manager")
    with held_in_another_transaction(lambda: _mention_for_update(mention.pk)):
        commit_without_waiting(lambda: Reply.objects.create(mention=mention, author=author, body="Lo miramos"))
    assert Reply.objects.filter(mention=mention).count() == 1
