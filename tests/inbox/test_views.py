"""The inbox pages: filters and search, live rows, actions with clear refusals, and no way to delete."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crisisdesk.models import AuditEvent
from inbox import services
from inbox.credentials import credentials_decrypt
from inbox.models import Channel, Mention, MentionStatus
from playbooks.models import Crisis
from tests.factories import ChannelFactory, MentionFactory
from tests.inbox.builders import normalized

pytestmark = pytest.mark.django_db


def row_ids(response) -> set[int]:
    return {mention.pk for mention in response.context["mentions"]}


@pytest.fixture
def manager_client(client, community_manager):
    client.force_login(community_manager)
    return client


def test_the_inbox_lists_open_mentions_in_a_fixed_number_of_queries(
    manager_client, django_assert_max_num_queries
):
    for _ in range(20):
        MentionFactory()
    MentionFactory(status=MentionStatus.CLOSED)
    with django_assert_max_num_queries(8):
        response = manager_client.get(reverse("inbox:list"))
    assert response.status_code == 200
    assert len(response.context["mentions"]) == 20


def test_filters_by_status_category_sentiment_language_and_channel(manager_client):
    mastodon = ChannelFactory(kind="mastodon")
    wanted = MentionFactory(channel=mastodon, category="question", sentiment="neutral", language="en")
    MentionFactory(channel=mastodon, category="question", sentiment="neutral", language="es")
    MentionFactory(category="question", sentiment="neutral", language="en")
    closed = MentionFactory(status=MentionStatus.CLOSED)

    response = manager_client.get(
        reverse("inbox:list"),
        {"channel": "mastodon", "category": "question", "sentiment": "neutral", "language": "en"},
    )
    assert row_ids(response) == {wanted.pk}
    assert row_ids(manager_client.get(reverse("inbox:list"), {"status": "closed"})) == {closed.pk}


def test_filters_mine_unassigned_and_by_crisis(manager_client, community_manager, other_community_manager):
    mine = MentionFactory(assignee=community_manager, status=MentionStatus.ASSIGNED)
    theirs = MentionFactory(assignee=other_community_manager, status=MentionStatus.ASSIGNED)
    free = MentionFactory()
    crisis = Crisis.objects.create(title="Caída de red", brand="Telco", crisis_type="technical")
    crisis.mentions.add(theirs)

    assert row_ids(manager_client.get(reverse("inbox:list"), {"assignee": "mine"})) == {mine.pk}
    assert row_ids(manager_client.get(reverse("inbox:list"), {"assignee": "unassigned"})) == {free.pk}
    assert row_ids(manager_client.get(reverse("inbox:list"), {"crisis": crisis.pk})) == {theirs.pk}


def test_full_text_search_finds_words_and_treats_input_as_data(manager_client):
    channel = ChannelFactory()
    services.mentions_ingest(
        channel=channel,
        mentions=[
            normalized("m-1", "Otra vez caída la fibra en Sevilla"),
            normalized("m-2", "Gracias por la oferta"),
        ],
    )
    fibre = Mention.objects.get(external_id="m-1")
    written_elsewhere = MentionFactory(text="La fibra de casa no va")  # not through ingestion

    assert row_ids(manager_client.get(reverse("inbox:list"), {"q": "fibra"})) == {fibre.pk, written_elsewhere.pk}
    assert row_ids(manager_client.get(reverse("inbox:list"), {"q": "fibra sevilla"})) == {fibre.pk}
    hostile = manager_client.get(reverse("inbox:list"), {"q": "'); DROP TABLE inbox_mention; --"})
    assert hostile.status_code == 200
    assert row_ids(hostile) == set()
    assert Mention.objects.count() == 3


def test_invalid_filters_are_explained_not_crashed_on(manager_client):
    response = manager_client.get(reverse("inbox:list"), {"language": "<b>", "crisis": "abc"})
    assert response.status_code == 200
    assert b'data-testid="filter-errors"' in response.content
    assert b"<b>" not in response.content.split(b'data-testid="filter-errors"')[1][:400]


def test_live_rows_give_one_changed_row_or_nothing_when_it_no_longer_matches(
    manager_client, community_manager
):
    mention = MentionFactory(text="<img src=x onerror=alert(1)>")
    url = reverse("inbox:rows")

    row = manager_client.get(url, {"id": mention.pk})
    assert f'data-mention-id="{mention.pk}"'.encode() in row.content
    assert b"<img src=x" not in row.content
    assert b"&lt;img src=x" in row.content

    services.mention_close(mention_id=mention.pk, actor=community_manager)
    assert b"data-mention-id" not in manager_client.get(url, {"id": mention.pk}).content
    assert manager_client.get(url, {"id": "1 OR 1=1"}).status_code == 400
    assert manager_client.get(url, {"after": "x"}).status_code == 400


def test_newer_rows_are_served_after_an_id(manager_client):
    older = MentionFactory()
    newer = MentionFactory()
    response = manager_client.get(reverse("inbox:rows"), {"after": older.pk})
    assert row_ids(response) == {newer.pk}


def test_assign_to_me_and_to_a_colleague_from_the_page(
    manager_client, community_manager, other_community_manager
):
    mention = MentionFactory()

    response = manager_client.post(reverse("inbox:assign", args=[mention.pk]), {"assignee": "me"})
    assert response.status_code == 302
    mention.refresh_from_db()
    assert mention.assignee == community_manager

    manager_client.post(reverse("inbox:assign", args=[mention.pk]), {"assignee": other_community_manager.pk})
    mention.refresh_from_db()
    assert mention.assignee == other_community_manager

    refused = manager_client.post(reverse("inbox:assign", args=[mention.pk]), {"assignee": "nobody"})
    assert refused.status_code == 400
    assert "Choose a community manager." in refused.content.decode()


def test_replying_to_a_colleagues_mention_is_refused_with_a_reason_until_taken_over(
    manager_client, other_community_manager, community_manager
):
    mention = MentionFactory(assignee=other_community_manager, status=MentionStatus.ASSIGNED)
    url = reverse("inbox:reply", args=[mention.pk])

    refused = manager_client.post(url, {"body": "Hola"})
    assert refused.status_code == 400
    assert "take it over" in refused.content.decode()
    assert mention.replies.count() == 0

    assert manager_client.post(reverse("inbox:take_over", args=[mention.pk])).status_code == 302
    assert manager_client.post(url, {"body": "Hola"}).status_code == 302
    mention.refresh_from_db()
    assert mention.assignee == community_manager
    assert mention.replies.get().signature == "— Ana"
    assert AuditEvent.objects.filter(verb="mention.take_over", actor=community_manager).exists()


def test_hide_and_show_again_from_the_page(manager_client):
    mention = MentionFactory()
    assert manager_client.post(reverse("inbox:hide", args=[mention.pk]), {"reason": ""}).status_code == 400
    manager_client.post(reverse("inbox:hide", args=[mention.pk]), {"reason": "Spam"})
    mention.refresh_from_db()
    assert mention.is_hidden
    manager_client.post(reverse("inbox:unhide", args=[mention.pk]))
    mention.refresh_from_db()
    assert not mention.is_hidden


def test_acting_on_a_missing_mention_is_a_404(manager_client):
    assert manager_client.post(reverse("inbox:close", args=[999_999])).status_code == 404


def test_a_director_reads_but_cannot_act(client, director):
    mention = MentionFactory()
    client.force_login(director)
    assert client.get(reverse("inbox:detail", args=[mention.pk])).status_code == 200
    assert client.post(reverse("inbox:close", args=[mention.pk])).status_code == 403


def test_the_detail_page_loads_presence_and_escapes_the_strangers_text(manager_client):
    mention = MentionFactory(text="<script>alert('x')</script> sin servicio")
    response = manager_client.get(reverse("inbox:detail", args=[mention.pk]))
    content = response.content.decode()
    assert "js/presence.js" in content
    assert 'id="presence"' in content
    assert "<script>alert" not in content
    assert "— Ana" in content


def test_there_is_no_route_that_deletes_a_mention():
    from django.urls import get_resolver

    names = [str(pattern.pattern) for pattern in get_resolver("inbox.urls").url_patterns]
    assert names and not any("delete" in name for name in names)


def test_the_admin_cannot_delete_inbox_records_and_shows_dead_letters(client, admin_user):
    from django.contrib import admin

    from inbox.models import Author, DeadLetter, Reply

    client.force_login(admin_user)
    request = client.get("/").wsgi_request
    for model in (Mention, Reply, Author, Channel, DeadLetter):
        assert not admin.site._registry[model].has_delete_permission(request)
    letter = DeadLetter.objects.create(source="poll:x", reason="invalid_id: too long", payload='{"id": "x"}')
    page = client.get(reverse("admin:inbox_deadletter_change", args=[letter.pk]))
    assert page.status_code == 200
    assert "invalid_id: too long" in page.content.decode()
    mention = MentionFactory()
    assert (
        client.post(reverse("admin:inbox_mention_delete", args=[mention.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Mention.objects.filter(pk=mention.pk).exists()


def test_the_channel_admin_encrypts_credentials_and_never_shows_them(client, admin_user):
    client.force_login(admin_user)
    channel = ChannelFactory(name="X principal", kind="x")
    url = reverse("admin:inbox_channel_change", args=[channel.pk])
    form = {
        "name": "X principal",
        "kind": "x",
        "brand": "Telco",
        "base_url": "",
        "config": "{}",
        "signature_template": "— {name}",
        "is_enabled": "on",
        "poll_interval_seconds": "60",
        "consecutive_failures": "0",
        "credentials": '{"bearer_token": "very-secret-token"}',
    }

    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    channel.refresh_from_db()
    assert "very-secret-token" not in channel.credentials_encrypted
    assert credentials_decrypt(channel.credentials_encrypted) == {"bearer_token": "very-secret-token"}

    page = client.get(url).content.decode()
    assert "very-secret-token" not in page
    assert channel.credentials_encrypted not in page

    client.post(url, {**form, "credentials": ""})
    channel.refresh_from_db()
    assert credentials_decrypt(channel.credentials_encrypted) == {"bearer_token": "very-secret-token"}
    bad = client.post(url, {**form, "credentials": "not json"})
    assert bad.status_code == 200
    assert "JSON object" in bad.content.decode()
