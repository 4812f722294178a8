"""Polling the inbox and the clusters: an unchanged list is a 304, any visible change is a new ETag."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from crisisdesk.models import Role
from inbox import services
from inbox.cluster_models import ClusterStatus, MentionCluster
from inbox.models import Author, Channel
from inbox.triage.services import mention_label_correct
from tests.factories import MentionFactory, UserFactory

pytestmark = pytest.mark.django_db

MENTIONS = "/api/mentions/"
CLUSTERS = "/api/clusters/"


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def poll(client: APIClient, url: str, etag: str, **params):
    return client.get(url, params, HTTP_IF_NONE_MATCH=etag)


def test_an_unchanged_inbox_is_a_304_without_a_body(api):
    MentionFactory.create_batch(3)
    first = api.get(MENTIONS)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('W/"')
    assert set(first.headers["Cache-Control"].split(", ")) == {"private", "no-cache"}
    assert {"Cookie", "Authorization", "Accept-Language"} <= {v.strip() for v in first.headers["Vary"].split(",")}

    again = poll(api, MENTIONS, etag)

    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    assert "no-cache" in again.headers["Cache-Control"] and "Authorization" in again.headers["Vary"]


def test_a_304_reads_no_more_than_the_page_and_a_stale_tag_gets_the_list(api):
    MentionFactory.create_batch(3)
    etag = api.get(MENTIONS).headers["ETag"]
    with CaptureQueriesContext(connection) as full:
        api.get(MENTIONS)
    with CaptureQueriesContext(connection) as revalidated:
        assert poll(api, MENTIONS, etag).status_code == 304
    assert len(revalidated) <= len(full)
    stale = poll(api, MENTIONS, 'W/"0123456789abcdef"')
    assert stale.status_code == 200 and len(stale.json()["results"]) == 3


def _new_mention(mention, actor):
    MentionFactory(channel=mention.channel, text="Otra caída en Vigo")


def _closed(mention, actor):
    services.mention_close(mention_id=mention.pk, actor=actor)


def _assigned(mention, actor):
    services.mention_assign(mention_id=mention.pk, assignee=actor, actor=actor)


def _hidden(mention, actor):
    services.mention_hide(mention_id=mention.pk, actor=actor, reason="Spam")


def _triage_corrected(mention, actor):
    mention_label_correct(mention_id=mention.pk, field="category", value="question", actor=actor)


def _author_renamed(mention, actor):
    Author.objects.filter(pk=mention.author_id).update(handle="nuevo_nombre")


def _channel_renamed(mention, actor):
    Channel.objects.filter(pk=mention.channel_id).update(name="X Telco España")


@pytest.mark.parametrize(
    "change",
    [_new_mention, _closed, _assigned, _hidden, _triage_corrected, _author_renamed, _channel_renamed],
    ids=lambda change: change.__name__.strip("_"),
)
def test_each_kind_of_change_is_a_200_with_a_new_etag(api, community_manager, change):
    mention = MentionFactory()
    MentionFactory(channel=mention.channel)
    before = api.get(MENTIONS, {"status": "all"}).headers["ETag"]

    change(mention, community_manager)

    after = poll(api, MENTIONS, before, status="all")
    assert after.status_code == 200
    assert after.headers["ETag"] != before


def test_a_renamed_assignee_is_a_new_etag(api, community_manager):
    mention = MentionFactory()
    services.mention_assign(mention_id=mention.pk, assignee=community_manager, actor=community_manager)
    before = api.get(MENTIONS).headers["ETag"]
    type(community_manager).objects.filter(pk=community_manager.pk).update(username="ana.garcia")
    assert poll(api, MENTIONS, before).status_code == 200


def test_the_next_page_and_a_new_filter_are_their_own_representations(api):
    MentionFactory.create_batch(3)
    first = api.get(MENTIONS, {"page_size": 2})
    etag = first.headers["ETag"]
    next_page = api.get(first.json()["next"], HTTP_IF_NONE_MATCH=etag)
    assert next_page.status_code == 200 and next_page.headers["ETag"] != etag
    assert poll(api, MENTIONS, etag, page_size=2, category="praise").status_code == 200
    assert poll(api, MENTIONS, etag, page_size=2, sort="priority").status_code == 200


def test_a_new_mention_beyond_the_page_still_changes_the_next_link(api):
    """The page's rows are unchanged, but there is now a next page to follow."""
    MentionFactory(received_at=timezone.now())
    before = api.get(MENTIONS, {"page_size": 1})
    assert before.json()["next"] is None
    MentionFactory(received_at=timezone.now() - timedelta(hours=1))
    after = poll(api, MENTIONS, before.headers["ETag"], page_size=1)
    assert after.status_code == 200 and after.json()["next"]


def test_a_colleague_never_gets_a_304_for_my_tag(community_manager, other_community_manager):
    MentionFactory(assignee=community_manager, status="assigned")
    MentionFactory(assignee=other_community_manager, status="assigned")
    ana, luis = signed_in(community_manager), signed_in(other_community_manager)
    for params in ({"mine": "true"}, {}):
        etag = ana.get(MENTIONS, params).headers["ETag"]
        answer = poll(luis, MENTIONS, etag, **params)
        assert answer.status_code == 200 and answer.headers["ETag"] != etag


def test_another_language_is_another_representation(api):
    MentionFactory()
    english = api.get(MENTIONS, HTTP_ACCEPT_LANGUAGE="en").headers["ETag"]
    spanish = api.get(MENTIONS, HTTP_ACCEPT_LANGUAGE="es", HTTP_IF_NONE_MATCH=english)
    assert spanish.status_code == 200 and spanish.headers["ETag"] != english


@pytest.mark.parametrize("url", [MENTIONS, CLUSTERS])
def test_a_tag_never_lets_in_whoever_would_be_refused(api, department_head, url):
    MentionFactory()
    etag = api.get(url).headers["ETag"]
    assert APIClient().get(url, HTTP_IF_NONE_MATCH=etag).status_code in (401, 403)
    head = signed_in(department_head).get(url, HTTP_IF_NONE_MATCH=etag)
    assert head.status_code == 403


@pytest.fixture
def cluster(db) -> MentionCluster:
    now = timezone.now()
    return MentionCluster.objects.create(
        brand="Telco",
        channel=Channel.objects.create(name="X Telco", kind="simulator", brand="Telco"),
        signature=[1, 2],
        bands=[3],
        representative_text="Sin fibra en Madrid",
        mention_count=12,
        author_count=10,
        reach=5000,
        negative=12,
        first_seen_at=now,
        last_seen_at=now,
    )


def _grown(cluster):
    MentionCluster.objects.filter(pk=cluster.pk).update(mention_count=F("mention_count") + 1, reach=F("reach") + 300)


def _answered(cluster):
    MentionCluster.objects.filter(pk=cluster.pk).update(status=ClusterStatus.ANSWERED)


def _another_cluster(cluster):
    MentionCluster.objects.create(
        brand="Telco",
        channel=cluster.channel,
        signature=[4],
        bands=[5],
        representative_text="Cobro doble",
        mention_count=3,
        first_seen_at=cluster.first_seen_at,
        last_seen_at=cluster.last_seen_at,
    )


def _its_channel_renamed(cluster):
    Channel.objects.filter(pk=cluster.channel_id).update(name="Facebook Telco")


@pytest.mark.parametrize(
    "change", [_grown, _answered, _another_cluster, _its_channel_renamed], ids=lambda change: change.__name__.strip("_")
)
def test_the_clusters_are_a_304_until_one_changes(api, cluster, change):
    first = api.get(CLUSTERS)
    etag = first.headers["ETag"]
    assert [item["id"] for item in first.json()] == [cluster.pk]
    assert poll(api, CLUSTERS, etag).status_code == 304

    change(cluster)

    after = poll(api, CLUSTERS, etag)
    assert after.status_code == 200 and after.headers["ETag"] != etag


def test_a_director_and_a_community_manager_keep_their_own_cluster_tags(api, cluster, director):
    etag = api.get(CLUSTERS).headers["ETag"]
    assert poll(signed_in(director), CLUSTERS, etag).status_code == 200
    assert poll(signed_in(UserFactory(role=Role.ADMIN, username="root2")), CLUSTERS, etag).status_code == 200


def test_without_plain_rows_the_inbox_is_tagged_by_its_body(api, community_manager, monkeypatch):
    """A serializer field that needs a model instance turns the list back into mentions: the body is the tag."""
    monkeypatch.setattr("inbox.api.views.mention_list_lookups", lambda: None)
    mention = MentionFactory()
    etag = api.get(MENTIONS).headers["ETag"]
    assert poll(api, MENTIONS, etag).status_code == 304

    services.mention_close(mention_id=mention.pk, actor=community_manager)

    assert poll(api, MENTIONS, etag, status="all").status_code == 200
    assert poll(api, MENTIONS, etag).status_code == 200
