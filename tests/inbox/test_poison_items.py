"""One bad item never poisons its batch: it becomes a dead letter with its reason, the rest is stored.

A lone surrogate in a text (broken UTF-16 from the sender) or a NUL in an id is refused by
PostgreSQL; before the shared validation step it failed the whole batch: the webhook answered 500
and stored nothing, the ingest task stored none of the good items, and a polled channel never
moved its cursor past the bad post again.
"""

from __future__ import annotations

import copy
import json

import pytest
from django.test import Client

from inbox import services
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, DeadLetter, Mention
from inbox.services import channel_poll
from inbox.tasks import mentions_ingest_batch
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def item(external_id: str, text: str = "Sin fibra en Vigo desde ayer") -> dict:
    return {
        "id": external_id,
        "text": text,
        "created_at": "2026-03-01T10:00:00Z",
        "author": {"id": f"a-{external_id}", "handle": "rosa", "name": "Rosa"},
    }


BAD_ITEMS = {
    "lone surrogate in the text": (item("p-2", "Factura \ud800 duplicada"), "lone surrogate"),
    "NUL in the id": (item("p-\x002"), "control characters"),
}


@pytest.fixture
def webhook_channel() -> Channel:
    return Channel.objects.create(
        name="Quejas", kind="webhook", credentials_encrypted=credentials_encrypt({"token": "tok-123"})
    )


@pytest.mark.parametrize("bad, reason", BAD_ITEMS.values(), ids=BAD_ITEMS.keys())
def test_a_webhook_batch_with_one_bad_item_stores_the_two_good_ones(
    webhook_channel, bad, reason, django_capture_on_commit_callbacks
):
    # Given a batch of three, the middle one broken; json.dumps escapes it as the sender's JSON would
    body = json.dumps([item("p-1"), bad, item("p-3")])

    # When it is pushed to the channel's webhook
    with django_capture_on_commit_callbacks(execute=True):
        response = Client(raise_request_exception=False).post(
            f"/hooks/webhook/{webhook_channel.pk}/",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION="Bearer tok-123",
        )

    # Then the sender is answered 2xx, the good two are stored and the bad one is a dead letter
    assert 200 <= response.status_code < 300, response.content[:300]
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["p-1", "p-3"]
    dead_letter = DeadLetter.objects.get()
    assert reason in dead_letter.reason
    assert dead_letter.source == "webhook:generic"
    # and what was received is kept, escaped where PostgreSQL would refuse it
    assert "\\ud800" in dead_letter.payload or "\\u0000" in dead_letter.payload


@pytest.mark.parametrize("bad, reason", BAD_ITEMS.values(), ids=BAD_ITEMS.keys())
def test_the_ingest_task_stores_the_good_items_and_dead_letters_the_bad_one(webhook_channel, bad, reason):
    created = mentions_ingest_batch.delay(webhook_channel.pk, [item("p-1"), bad, item("p-3")]).get()

    assert created == 2
    assert Mention.objects.count() == 2
    assert reason in DeadLetter.objects.get().reason


def test_a_dead_letter_keeps_a_payload_postgresql_would_refuse(webhook_channel):
    # Given an item whose every field is broken, including the raw payload's keys
    bad = {"id": "\x00", "text": "\ud800", "\udfff": "\x00", "author": "\ud83d"}

    mentions_ingest_batch.delay(webhook_channel.pk, [bad]).get()

    # Then the dead letter is stored, with a faithful escaped copy
    payload = DeadLetter.objects.get().payload
    assert "\\u0000" in payload and "\\udfff" in payload


PATH = "/api/v1/notifications"


def status(notification_id: str, status_id: str, content: str) -> dict:
    return {
        "id": notification_id,
        "type": "mention",
        "created_at": "2026-03-01T10:00:00.000Z",
        "account": {"id": "9", "acct": "rosa"},
        "status": {
            "id": status_id,
            "created_at": "2026-03-01T10:00:00.000Z",
            "content": f"<p>{content}</p>",
            "account": {"id": "9", "acct": "rosa", "display_name": "Rosa"},
        },
    }


def test_a_polled_page_with_a_bad_post_stores_the_rest_and_moves_the_cursor(fake_platform):
    # Given a Mastodon channel whose newest page holds a post with a NUL in its id
    page = [
        status("31", "131", "Sin cobertura en Bilbao"),
        copy.deepcopy(status("32", "13\x002", "Roto")),
        status("33", "133", "Otra vez sin fibra"),
    ]
    fake_platform.script("GET", PATH, Reply(json=page), Reply(json=[]))
    channel = Channel.objects.create(
        name="Masto",
        kind="mastodon",
        base_url=fake_platform.url,
        credentials_encrypted=credentials_encrypt({"access_token": "masto-token"}),
        cursor={"min_id": "30"},
    )

    # When the channel is polled
    report = channel_poll(channel_id=channel.pk)

    # Then the good posts are stored, the bad one is a dead letter, and the cursor moved past the page
    assert report is not None and report.created == 2
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["131", "133"]
    assert "control characters" in DeadLetter.objects.get().reason
    channel.refresh_from_db()
    assert channel.cursor == {"min_id": "33"}
    assert channel.consecutive_failures == 0


@pytest.mark.django_db(transaction=True)
def test_an_author_the_database_refuses_is_dead_lettered_and_the_batchs_other_authors_stored(webhook_channel):
    """The new authors are inserted before the batch's transaction, unvalidated: one PostgreSQL refuses
    (a NUL in its id) costs that head start only; the batch validates, stores the rest, keeps the bad one."""
    bad = item("p-2")
    bad["author"] = {"id": "a-\x00", "handle": "ro\x00sa", "name": "Rosa"}

    report = services.mentions_ingest_batch(channel_id=webhook_channel.pk, items=[item("p-1"), bad, item("p-3")])

    assert report is not None and report.created == 2
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["p-1", "p-3"]
    assert "control characters" in DeadLetter.objects.get().reason
