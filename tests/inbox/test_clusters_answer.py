"""Answering a crisis cluster: one personalised, signed reply per author, within the platform's rate limit."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from celery.app.task import Task
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crisisdesk.models import AuditEvent
from inbox import cluster_actions, cluster_selectors, services
from inbox.cluster_models import ClusterReply, ClusterStatus, MentionCluster
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, Mention, ReplyState
from tests.inbox.builders import ingest_committed, normalized
from tests.inbox.clusters_data import crisis_batch
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.services]

ANSWER = "Hola {nombre}, ya estamos restableciendo la fibra en {zona}. Disculpa las molestias."


def x_channel(url: str) -> Channel:
    return Channel.objects.create(
        name="X Telco",
        kind="x",
        brand="Telco",
        base_url=url,
        config={"user_id": "42"},
        signature_template="— {name}",
        credentials_encrypted=credentials_encrypt({"bearer_token": "bearer-secret"}),
    )


def crisis_on(channel: Channel, *, authors: int = 100) -> MentionCluster:
    """150 near-identical complaints by `authors` people (some wrote more than once), one with a place."""
    batch = crisis_batch(complaints=150, others=20, authors=authors)
    batch = [
        replace(item, raw={"place": {"full_name": "Chamberí, Madrid"}}) if item.external_id == "m-c7" else item
        for item in batch
    ]
    ingest_committed(channel=channel, mentions=batch)
    return MentionCluster.objects.filter(channel=channel).order_by("-mention_count").first()


def beat_later(*, minutes: float = 60) -> int:
    """The claim the beat runs every 5 s, as it runs `minutes` from now: every slot until then is due."""
    return cluster_actions.cluster_replies_send_due(now=timezone.now() + timedelta(minutes=minutes))


@pytest.fixture
def task_log(monkeypatch):
    """Every task queued, with its eta or countdown (eager tasks run at once, but are queued the same way)."""
    calls: list[tuple[str, object]] = []
    original = Task.apply_async

    def recording(task, args=None, kwargs=None, **options):
        calls.append((task.name, options.get("eta") or options.get("countdown")))
        return original(task, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", recording)
    return calls


def test_answering_a_cluster_replies_once_to_each_author_personalised_signed_and_paced(
    fake_platform, community_manager, django_capture_on_commit_callbacks, task_log
):
    fake_platform.script("POST", "/2/tweets", Reply(status=201, json={"data": {"id": "9001", "text": "ok"}}))
    channel = x_channel(fake_platform.url)
    cluster = crisis_on(channel, authors=100)
    assert cluster.mention_count >= 150 and cluster.author_count == 100

    with django_capture_on_commit_callbacks(execute=True):
        action = cluster_actions.cluster_answer(cluster_id=cluster.pk, actor=community_manager, body=ANSWER)
    # The first reply goes out at once; the others wait in the database for their slot, not as ETA messages.
    assert len(fake_platform.received("POST", "/2/tweets")) == 1
    assert [eta for _, eta in task_log] == [None] * len(task_log)
    assert ("notify.cluster_replies_send_due", None) in task_log
    assert ClusterReply.objects.filter(action=action, state="scheduled").count() == 99

    with django_capture_on_commit_callbacks(execute=True):
        assert beat_later(minutes=30) == 99
    posts = [request.json() for request in fake_platform.received("POST", "/2/tweets")]
    assert action.total == 100
    assert len(posts) == 100
    latest = {}
    for mention in Mention.objects.filter(cluster=cluster).select_related("author").order_by("posted_at", "pk"):
        latest[mention.author.handle] = mention
    replied_to = [post["reply"]["in_reply_to_tweet_id"] for post in posts]
    assert sorted(replied_to) == sorted(mention.external_id for mention in latest.values())  # one each, latest
    by_mention = {post["reply"]["in_reply_to_tweet_id"]: post["text"] for post in posts}
    for mention in latest.values():
        text = by_mention[mention.external_id]
        assert text.startswith(f"Hola {mention.author.display_name}, ya estamos")
        assert text.endswith("\n— Ana")
        zone = "Chamberí, Madrid" if mention.external_id == "m-c7" else "your area"
        assert f"en {zone}." in text
    # Paced within X's limit (50 per 15 minutes): one slot every 18 seconds, and no task waits for one.
    slots = sorted(ClusterReply.objects.filter(action=action).values_list("scheduled_at", flat=True))
    assert {later - earlier for earlier, later in zip(slots, slots[1:], strict=False)} == {timedelta(seconds=18)}
    assert [eta for _, eta in task_log] == [None] * len(task_log)
    progress = cluster_selectors.cluster_action_progress(action_id=action.pk)
    assert (progress["sent"], progress["failed"], progress["finished"]) == (100, 0, True)
    cluster.refresh_from_db()
    assert cluster.status == ClusterStatus.ANSWERED
    assert AuditEvent.objects.filter(verb="cluster.answer").count() == 1
    assert AuditEvent.objects.filter(verb="mention.reply").count() == 100


def test_answering_twice_replies_to_nobody_twice_and_a_later_author_gets_one(
    fake_platform, community_manager, django_capture_on_commit_callbacks
):
    fake_platform.script("POST", "/2/tweets", Reply(status=201, json={"data": {"id": "9001"}}))
    channel = x_channel(fake_platform.url)
    cluster = crisis_on(channel, authors=30)
    with django_capture_on_commit_callbacks(execute=True):
        cluster_actions.cluster_answer(cluster_id=cluster.pk, actor=community_manager, body=ANSWER)
        again = cluster_actions.cluster_answer(cluster_id=cluster.pk, actor=community_manager, body=ANSWER)
        beat_later()
    assert again.total == 0
    assert len(fake_platform.received("POST", "/2/tweets")) == 30

    late = normalized("late-1", "llevo dos días sin servicio de fibra en Madrid y nadie me dice nada", author="nueva")
    ingest_committed(channel=channel, mentions=[late])
    assert Mention.objects.get(external_id="late-1").cluster_id == cluster.pk
    with django_capture_on_commit_callbacks(execute=True):
        third = cluster_actions.cluster_answer(cluster_id=cluster.pk, actor=community_manager, body=ANSWER)
        beat_later()
    assert third.total == 1
    assert len(fake_platform.received("POST", "/2/tweets")) == 31
    # The next slot follows the channel's last scheduled reply, whichever answer it came from.
    last_two = list(ClusterReply.objects.order_by("-scheduled_at").values_list("scheduled_at", flat=True)[:2])
    assert last_two[0] - last_two[1] >= timedelta(seconds=18)


def test_a_second_claim_or_delivery_is_a_no_op_and_a_refusal_is_a_result(
    community_manager, other_community_manager, django_capture_on_commit_callbacks
):
    channel = Channel.objects.create(name="Sim", kind="simulator", brand="Telco")
    ingest_committed(channel=channel, mentions=crisis_batch(complaints=6, others=0))
    cluster = MentionCluster.objects.get(channel=channel)
    taken = Mention.objects.filter(cluster=cluster).order_by("pk").first()
    services.mention_assign(mention_id=taken.pk, assignee=other_community_manager, actor=other_community_manager)

    with django_capture_on_commit_callbacks(execute=True):
        action = cluster_actions.cluster_answer(cluster_id=cluster.pk, actor=community_manager, body="Hola {nombre}")
        beat_later()
    assert beat_later() == 0  # a second claim finds nothing left to send
    for row in ClusterReply.objects.filter(action=action):
        assert cluster_actions.cluster_reply_deliver(cluster_reply_id=row.pk) is None

    results = {result["mention_id"]: result for result in cluster_selectors.cluster_action_results(action_id=action.pk)}
    assert results[taken.pk]["state"] == "failed"
    assert "colleague" in results[taken.pk]["error"]
    assert [result["state"] for key, result in results.items() if key != taken.pk] == [ReplyState.SENT] * 5
    progress = cluster_selectors.cluster_action_progress(action_id=action.pk)
    assert (progress["sent"], progress["failed"]) == (5, 1)


def test_a_department_head_or_director_cannot_answer_a_cluster(department_head, director, client):
    channel = Channel.objects.create(name="Sim", kind="simulator", brand="Telco")
    ingest_committed(channel=channel, mentions=crisis_batch(complaints=4, others=0))
    cluster = MentionCluster.objects.get(channel=channel)

    for person in (department_head, director):
        with pytest.raises(services.InboxError):
            cluster_actions.cluster_answer(cluster_id=cluster.pk, actor=person, body="Hola")
        client.force_login(person)
        answer = client.post(reverse("inbox:cluster_answer", args=[cluster.pk]), {"body": "Hola"})
        assert answer.status_code == 403
        api = APIClient()
        api.force_authenticate(person)
        assert api.post(f"/api/clusters/{cluster.pk}/answer/", {"body": "Hola"}, format="json").status_code == 403
    client.force_login(department_head)
    assert client.get(reverse("inbox:clusters")).status_code == 403
    assert not ClusterReply.objects.exists()


def test_pages_list_clusters_by_size_and_show_a_cluster_with_its_mentions_and_progress(
    client, community_manager, django_capture_on_commit_callbacks
):
    channel = Channel.objects.create(name="Sim", kind="simulator", brand="Telco")
    ingest_committed(channel=channel, mentions=crisis_batch(complaints=12, others=3))
    cluster = MentionCluster.objects.filter(channel=channel).order_by("-mention_count").first()
    client.force_login(community_manager)

    listing = client.get(reverse("inbox:clusters"))
    assert listing.status_code == 200
    assert f'data-cluster-id="{cluster.pk}"' in listing.content.decode()
    detail = client.get(reverse("inbox:cluster", args=[cluster.pk]))
    assert detail.status_code == 200
    assert detail.content.decode().count('href="/inbox/mentions/') >= 12

    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(reverse("inbox:cluster_answer", args=[cluster.pk]), {"body": "Hola {nombre}"})
        beat_later()
    assert answered.status_code == 302
    action = cluster.actions.get()
    progress = client.get(reverse("inbox:cluster_action_progress", args=[action.pk]))
    assert progress.status_code == 200
    assert 'value="100"' in progress.content.decode()

    hidden = client.post(reverse("inbox:cluster_hide", args=[cluster.pk]), {"reason": "Duplicado"})
    assert hidden.status_code == 302
    assert not Mention.objects.filter(cluster=cluster, is_hidden=False).exists()


def test_the_api_lists_a_cluster_with_its_trend_and_answers_it(api, django_capture_on_commit_callbacks):
    channel = Channel.objects.create(name="Sim", kind="simulator", brand="Telco")
    ingest_committed(channel=channel, mentions=crisis_batch(complaints=8, others=0))
    cluster = MentionCluster.objects.get(channel=channel)

    listed = api.get("/api/clusters/").json()
    assert [item["id"] for item in listed] == [cluster.pk]
    assert listed[0]["mention_count"] == 8 and listed[0]["author_count"] == 8
    detail = api.get(f"/api/clusters/{cluster.pk}/").json()
    assert len(detail["trend"]) == 30 and detail["trend"][-1] == 8
    assert len(detail["mentions"]) == 8
    with django_capture_on_commit_callbacks(execute=True):
        answered = api.post(f"/api/clusters/{cluster.pk}/answer/", {"body": "Hola {nombre}"}, format="json")
        beat_later()
    assert answered.status_code == 202
    progress = api.get(f"/api/cluster-actions/{answered.json()['id']}/").json()
    assert (progress["total"], progress["sent"], progress["finished"]) == (8, 8, True)
    assigned = api.post(f"/api/clusters/{cluster.pk}/assign/", {}, format="json")
    assert assigned.status_code == 200 and assigned.json()["total"] == 0  # all replied: none open to assign
