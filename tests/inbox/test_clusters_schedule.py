"""A cluster answer's replies wait in PostgreSQL for their slot; the beat's claim sends the due ones, once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import TestCase

from inbox import cluster_actions, cluster_selectors, services
from inbox.cluster_models import ClusterAction, ClusterReply, ClusterReplyState, MentionCluster
from inbox.models import Channel, Reply, ReplyState
from tests.inbox.builders import ingest_committed
from tests.inbox.clusters_data import crisis_batch

pytestmark = [pytest.mark.services]

SIMULATOR_INTERVAL = timedelta(seconds=0.1)  # REPLY_RATE_LIMITS["simulator"]: 600 a minute


def answered_cluster(community_manager, *, authors: int) -> ClusterAction:
    """A simulator cluster of `authors` people, answered: the first slot is sent at once, the rest wait."""
    channel = Channel.objects.create(name="Sim", kind="simulator", brand="Telco")
    ingest_committed(channel=channel, mentions=crisis_batch(complaints=authors, others=0))
    cluster = MentionCluster.objects.get(channel=channel)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return cluster_actions.cluster_answer(cluster_id=cluster.pk, actor=community_manager, body="Hola {nombre}")


def slots(action: ClusterAction) -> list:
    rows = ClusterReply.objects.filter(action=action).order_by("scheduled_at")
    return list(rows.values_list("scheduled_at", flat=True))


def states(action: ClusterAction) -> Counter:
    """Each author's reply as the answer's results show it: scheduled, then the reply's own state."""
    return Counter(result["state"] for result in cluster_selectors.cluster_action_results(action_id=action.pk))


@pytest.mark.django_db
def test_the_claim_sends_the_due_replies_and_leaves_the_others_for_their_slot(community_manager):
    action = answered_cluster(community_manager, authors=10)
    schedule = slots(action)
    assert {later - earlier for earlier, later in zip(schedule, schedule[1:], strict=False)} == {SIMULATOR_INTERVAL}
    assert states(action)[ClusterReplyState.SCHEDULED] == 9  # the first went out on the answer's wake-up

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert cluster_actions.cluster_replies_send_due(now=schedule[4]) == 4
    assert states(action) == {ClusterReplyState.SENT: 5, ClusterReplyState.SCHEDULED: 5}
    waiting = ClusterReply.objects.filter(action=action, state=ClusterReplyState.SCHEDULED)
    assert sorted(waiting.values_list("scheduled_at", flat=True)) == schedule[5:]  # the ones not yet due

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert cluster_actions.cluster_replies_send_due(now=schedule[-1], chunk=2) == 5  # in chunks of two
    assert states(action) == {ClusterReplyState.SENT: 10}
    assert cluster_selectors.cluster_action_progress(action_id=action.pk)["finished"]
    assert Reply.objects.filter(mention__cluster=action.cluster, state=ReplyState.SENT).count() == 10


@pytest.mark.django_db
def test_one_run_of_the_claim_is_bounded_and_the_next_beat_takes_the_rest(community_manager):
    action = answered_cluster(community_manager, authors=12)
    last = slots(action)[-1]
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert cluster_actions.cluster_replies_send_due(now=last, chunk=3, limit=7) == 7
        assert cluster_actions.cluster_replies_send_due(now=last, chunk=3, limit=7) == 4
    assert states(action) == {ClusterReplyState.SENT: 12}


@pytest.mark.django_db
def test_a_reply_that_breaks_unexpectedly_fails_alone_and_does_not_hold_back_the_others(community_manager, monkeypatch):
    action = answered_cluster(community_manager, authors=6)
    broken = ClusterReply.objects.filter(action=action, state="scheduled").order_by("scheduled_at").first()
    queue = services.reply_queue

    def reply_queue(*, mention_id, **options):
        if mention_id == broken.mention_id:
            raise RuntimeError("a connector's bug")
        return queue(mention_id=mention_id, **options)

    monkeypatch.setattr(services, "reply_queue", reply_queue)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert cluster_actions.cluster_replies_send_due(now=slots(action)[-1]) == 5
    broken.refresh_from_db()
    assert (broken.state, broken.error) == (ClusterReplyState.FAILED, "The reply could not be sent.")
    progress = cluster_selectors.cluster_action_progress(action_id=action.pk)
    assert (progress["sent"], progress["failed"], progress["finished"]) == (5, 1, True)


@pytest.mark.django_db(transaction=True)
def test_two_claims_at_once_never_send_a_reply_twice(community_manager, monkeypatch):
    action = answered_cluster(community_manager, authors=9)
    due = slots(action)[-1]
    both_hold_rows = threading.Barrier(2)
    delivered: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    deliver = cluster_actions.cluster_reply_deliver

    def delivering(*, cluster_reply_id: int):
        mine = delivered.setdefault(threading.current_thread().name, [])
        if not mine:
            both_hold_rows.wait(timeout=10)  # each claim holds its first chunk's locks while the other claims
        mine.append(cluster_reply_id)
        return deliver(cluster_reply_id=cluster_reply_id)

    monkeypatch.setattr(cluster_actions, "cluster_reply_deliver", delivering)

    def claim() -> None:
        try:
            cluster_actions.cluster_replies_send_due(now=due, chunk=2)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, name=f"claim-{number}") for number in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(delivered) == 2 and all(delivered.values())  # both claims sent some
    sent_ids = [row_id for rows in delivered.values() for row_id in rows]
    assert len(sent_ids) == len(set(sent_ids)) == 8
    assert states(action) == {ClusterReplyState.SENT: 9}
    per_mention = Counter(Reply.objects.filter(mention__cluster=action.cluster).values_list("mention_id", flat=True))
    assert set(per_mention.values()) == {1}


def test_the_beat_claims_the_due_cluster_replies_every_five_seconds_on_the_notify_queue():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["notify.cluster_replies_send_due"] == 5.0
    from crisisdesk.celery import app

    assert app.amqp.router.route({}, "notify.cluster_replies_send_due")["queue"].name == "notify"
    assert "notify.cluster_reply_send" not in app.tasks
