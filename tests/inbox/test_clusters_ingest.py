"""Crisis clusters are formed live at ingest, in a bounded number of queries per batch."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from crisisdesk.locks import transaction_lock_try
from inbox import services, tasks
from inbox.clusters import FOLD_LOCK, clusters_fold
from inbox.models import Mention, MentionCluster, MentionClusterAuthor, MentionClusterTally
from tests.factories import ChannelFactory
from tests.inbox.builders import ingest_committed, normalized
from tests.inbox.clusters_data import crisis_batch

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def test_150_near_identical_complaints_form_one_cluster_in_a_bounded_number_of_queries():
    channel = ChannelFactory()
    batch = crisis_batch(complaints=150, others=50)

    with CaptureQueriesContext(connection) as queries:
        report = ingest_committed(channel=channel, mentions=batch)

    assert report.created == 200
    biggest = MentionCluster.objects.filter(channel=channel).order_by("-mention_count").first()
    members = Mention.objects.filter(cluster=biggest)
    assert biggest.mention_count == members.count() >= 150
    assert set(members.filter(external_id__startswith="m-c").values_list("external_id", flat=True)) == {
        f"m-c{index}" for index in range(150)
    }
    assert not members.filter(external_id__startswith="m-o").exists()
    assert biggest.author_count == 150
    assert biggest.reach == sum(100 + index for index in range(150))
    assert biggest.negative + biggest.neutral + biggest.positive == biggest.mention_count
    assert biggest.sample_mention.cluster_id == biggest.pk
    assert Mention.objects.filter(channel=channel, cluster__isnull=True).count() == 0
    # Planning, opening, tallying; after the commit, folding (tallies taken, authors, counters, none left).
    cluster_queries = [query for query in queries.captured_queries if "inbox_mentioncluster" in query["sql"]]
    assert len(cluster_queries) <= 8, [query["sql"][:80] for query in cluster_queries]
    # The clustering is part of the same insert: no UPDATE of the mentions afterwards.
    assert not [query for query in queries.captured_queries if query["sql"].startswith('UPDATE "inbox_mention" ')]


def test_a_later_batch_joins_the_open_cluster_and_counts_each_author_once():
    channel = ChannelFactory()
    ingest_committed(channel=channel, mentions=crisis_batch(complaints=40, others=0, prefix="a"))
    cluster = MentionCluster.objects.get(channel=channel)

    with CaptureQueriesContext(connection) as queries:
        ingest_committed(channel=channel, mentions=crisis_batch(complaints=40, others=10, prefix="b"))

    cluster.refresh_from_db()
    assert cluster.mention_count == 80
    assert cluster.author_count == 40  # the same 40 people wrote again
    assert cluster.reach == sum(100 + index for index in range(40))
    assert len([query for query in queries.captured_queries if "inbox_mentioncluster" in query["sql"]]) <= 8


def test_duplicates_open_no_cluster_and_another_channel_clusters_apart():
    channel, other = ChannelFactory(), ChannelFactory()
    batch = crisis_batch(complaints=10, others=0)
    ingest_committed(channel=channel, mentions=batch)
    ingest_committed(channel=channel, mentions=batch)
    ingest_committed(channel=other, mentions=batch[:3])

    assert list(MentionCluster.objects.filter(channel=channel).values_list("mention_count", flat=True)) == [10]
    assert list(MentionCluster.objects.filter(channel=other).values_list("mention_count", flat=True)) == [3]


def test_a_closed_cluster_takes_no_new_mentions(settings):
    channel = ChannelFactory()
    ingest_committed(channel=channel, mentions=[normalized("m-1", "sin fibra en Madrid desde ayer")])
    MentionCluster.objects.update(status="closed")
    ingest_committed(channel=channel, mentions=[normalized("m-2", "sin fibra en madrid desde ayer!!")])
    assert sorted(MentionCluster.objects.values_list("status", "mention_count")) == [("closed", 1), ("open", 1)]


def test_clustering_can_be_turned_off(settings):
    settings.INBOX_CLUSTERING = False
    channel = ChannelFactory()
    ingest_committed(channel=channel, mentions=crisis_batch(complaints=5, others=0))
    assert not MentionCluster.objects.exists()
    assert Mention.objects.filter(channel=channel, cluster__isnull=True).count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_workers_joining_one_cluster_at_once_count_each_author_once():
    """Two batches of the same 40 people, committed at the same instant by two workers, into a cluster
    both join: no deadlock, every mention counted, each author and their reach counted once."""
    channel = ChannelFactory()
    ingest_committed(channel=channel, mentions=crisis_batch(complaints=40, others=0, prefix="a"))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(prefix: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.mentions_ingest(channel=channel, mentions=crisis_batch(complaints=40, others=0, prefix=prefix))
        except BaseException as error:  # surfaced below: a thread's failure must fail the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(prefix,)) for prefix in ("b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    tasks.clusters_fold()  # the beat: a worker that found the fold lock taken left its tallies to it
    clusters = MentionCluster.objects.filter(channel=channel)
    assert sum(cluster.mention_count for cluster in clusters) == Mention.objects.filter(channel=channel).count() == 120
    biggest = clusters.order_by("-mention_count").first()
    assert biggest.author_count == 40
    assert biggest.reach == sum(100 + index for index in range(40))
    assert MentionClusterAuthor.objects.filter(cluster=biggest).count() == 40


def test_tallies_of_several_batches_fold_into_one_update_counting_each_author_once():
    channel = ChannelFactory()
    with transaction.atomic():  # three batches before any commit: three tallies for one cluster
        for prefix in ("a", "b", "c"):
            services.mentions_ingest(channel=channel, mentions=crisis_batch(complaints=20, others=0, prefix=prefix))
        cluster = MentionCluster.objects.get(channel=channel)
        assert cluster.mention_count == 0
        assert MentionClusterTally.objects.filter(cluster=cluster).count() == 3

        assert clusters_fold() == 60

    cluster.refresh_from_db()
    assert (cluster.mention_count, cluster.author_count) == (60, 20)
    assert cluster.reach == sum(100 + index for index in range(20))
    first = Mention.objects.filter(cluster=cluster).order_by("pk").first()
    assert cluster.sample_mention_id == first.pk
    assert cluster.last_seen_at == Mention.objects.filter(cluster=cluster).latest("received_at").received_at
    assert not MentionClusterTally.objects.exists()
    assert clusters_fold() == 0


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_finds_the_fold_lock_taken_goes_on_and_the_beat_folds_its_tallies():
    channel = ChannelFactory()
    holding, release = threading.Event(), threading.Event()

    def other_worker_folding() -> None:
        try:
            with transaction.atomic():
                assert transaction_lock_try(FOLD_LOCK)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker_folding)
    thread.start()
    assert holding.wait(timeout=10)
    try:
        report = services.mentions_ingest(channel=channel, mentions=crisis_batch(complaints=12, others=0))
        assert report.created == 12
        assert MentionCluster.objects.get(channel=channel).mention_count == 0  # committed, not folded yet
        assert MentionClusterTally.objects.count() == 1
    finally:
        release.set()
        thread.join(timeout=30)

    assert tasks.clusters_fold() == 12
    assert MentionCluster.objects.get(channel=channel).mention_count == 12
