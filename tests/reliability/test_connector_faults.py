"""Connector faults the connector tests leave out: a mention deleted upstream, and one failing channel
among healthy ones. A local fake of the X API v2 stands in for the platform."""

from __future__ import annotations

import pytest
from django.utils import timezone

from inbox import tasks
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, Mention, ReplyState
from inbox.models import Reply as ReplyModel
from inbox.services import channel_poll, reply_send
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401
from tests.inbox.test_connector_x import page, tweet, x_channel

pytestmark = pytest.mark.django_db


def test_a_mention_deleted_upstream_is_kept_once_and_a_reply_to_it_fails_cleanly(fake_platform, community_manager):
    # Given a mention we stored from X
    fake_platform.script("GET", "/2/users/42/mentions", Reply(json=page([tweet("2001", "Sin fibra en Vigo")])))
    channel = x_channel(fake_platform.url)
    channel_poll(channel_id=channel.pk)
    stored = Mention.objects.get(channel=channel, external_id="2001")

    # When its author deletes it: the platform no longer lists it and answers 404 for it
    fake_platform.script("GET", "/2/users/42/mentions", Reply(json={"meta": {"result_count": 0}}))
    fake_platform.script(
        "POST",
        "/2/tweets",
        Reply(status=404, json={"title": "Not Found Error", "detail": "Tweet 2001 was deleted"}),
    )
    channel_poll(channel_id=channel.pk)

    # Then our copy is kept as it was (the record of what was said), once, and the channel stays healthy
    assert Mention.objects.filter(channel=channel, external_id="2001").count() == 1
    stored.refresh_from_db()
    assert stored.text == "Sin fibra en Vigo" and not stored.is_hidden
    channel.refresh_from_db()
    assert channel.consecutive_failures == 0

    # And a reply to it fails with the platform's reason instead of retrying for ever or crashing
    reply = ReplyModel.objects.create(mention=stored, author=community_manager, body="Lo miramos", signature="— Ana")
    for _ in range(6):
        try:
            reply_send(reply_id=reply.pk)
        except Exception as error:  # the task retries this named failure; the state below is what counts
            assert type(error).__name__ == "ReplyDeliveryFailed"
        reply.refresh_from_db()
        if reply.state == ReplyState.FAILED:
            break
    assert reply.state == ReplyState.FAILED
    assert "404" in reply.error


def test_one_channel_failing_for_ever_does_not_hold_back_the_others(fake_platform, settings):
    # Given two X channels: one whose API keeps failing, one healthy
    fake_platform.script("GET", "/2/users/1/mentions", Reply(status=503, json={"title": "Service Unavailable"}))
    fake_platform.script(
        "GET",
        "/2/users/2/mentions",
        Reply(json=page([tweet("3002", "Otra vez sin línea"), tweet("3001", "Sin línea")])),
    )
    token = credentials_encrypt({"bearer_token": "bearer-secret"})
    failing = Channel.objects.create(
        name="X failing",
        kind="x",
        base_url=fake_platform.url,
        config={"user_id": "1"},
        poll_interval_seconds=60,
        credentials_encrypted=token,
    )
    healthy = Channel.objects.create(
        name="X healthy",
        kind="x",
        base_url=fake_platform.url,
        config={"user_id": "2"},
        poll_interval_seconds=60,
        credentials_encrypted=token,
    )

    # When beat's poll runs (eagerly here: it enqueues one poll per due channel)
    tasks.channels_poll_due.delay()

    # Then the healthy channel ingested its mentions
    assert set(Mention.objects.filter(channel=healthy).values_list("external_id", flat=True)) == {
        "3001",
        "3002",
    }
    healthy.refresh_from_db()
    assert healthy.consecutive_failures == 0
    # and the failing one recorded why, kept its cursor, and backs off beyond its interval
    failing.refresh_from_db()
    assert failing.consecutive_failures == 1
    assert "503" in failing.last_error
    assert failing.cursor == {}
    assert failing.next_poll_at > timezone.now() + timezone.timedelta(seconds=60)

    # When beat runs again at once, the failing channel is not hammered; the healthy one is not due yet
    before = len(fake_platform.received("GET", "/2/users/1/mentions"))
    assert tasks.channels_poll_due.delay().get() == 0
    assert len(fake_platform.received("GET", "/2/users/1/mentions")) == before
    assert Mention.objects.filter(channel=failing).count() == 0
