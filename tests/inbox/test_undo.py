"""The 10-second undo window: a reply waits, its author may take it back, and a cancelled reply never
reaches the platform; after the window, or once sending started, undo is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisdesk.models import AuditEvent
from inbox import services, tasks
from inbox.credentials import credentials_encrypt
from inbox.models import MentionStatus, Reply, ReplyState
from tests.factories import ChannelFactory, MentionFactory
from tests.inbox.fake_platform import Reply as PlatformReply
from tests.inbox.fake_platform import fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def undo_window(settings):
    settings.REPLY_UNDO_SECONDS = 10


@pytest.fixture
def facebook_mention(fake_platform):
    channel = ChannelFactory(
        kind="facebook", base_url=fake_platform.url, credentials_encrypted=credentials_encrypt({"access_token": "t"})
    )
    fake_platform.script("POST", "/c_1/comments", PlatformReply(json={"id": "c_99"}))
    return MentionFactory(channel=channel, external_id="c_1")


def window_passes(reply: Reply) -> None:
    """As if ten seconds went by: the reply's time is now behind us."""
    Reply.objects.filter(pk=reply.pk).update(send_after=timezone.now() - timedelta(seconds=1))


def test_a_reply_waits_for_its_window_even_when_the_task_runs_at_once(
    facebook_mention, fake_platform, community_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_queue(mention_id=facebook_mention.pk, author=community_manager, body="Hola")

    reply.refresh_from_db()
    assert reply.state == ReplyState.QUEUED
    assert timedelta(seconds=9) < reply.send_after - reply.created_at <= timedelta(seconds=11)
    assert fake_platform.received("POST", "/c_1/comments") == []

    window_passes(reply)
    tasks.reply_send.delay(reply.pk)
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    assert len(fake_platform.received("POST", "/c_1/comments")) == 1


def test_undo_within_the_window_cancels_and_nothing_reaches_the_platform(
    facebook_mention, fake_platform, community_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_queue(mention_id=facebook_mention.pk, author=community_manager, body="Hola")

    cancelled = services.reply_cancel(reply_id=reply.pk, actor=community_manager)

    assert cancelled.state == ReplyState.CANCELLED
    assert cancelled.cancelled_at is not None
    event = AuditEvent.objects.get(verb="reply.cancel")
    assert event.actor == community_manager and event.target_id == str(reply.pk)
    facebook_mention.refresh_from_db()
    assert facebook_mention.first_response_at is None  # the response clock runs again
    assert facebook_mention.status == MentionStatus.ASSIGNED
    # The delayed message arrives, and then the sweep: still nothing is sent.
    window_passes(reply)
    tasks.reply_send.delay(reply.pk)
    services.replies_send_due(grace=timedelta(0))
    reply.refresh_from_db()
    assert reply.state == ReplyState.CANCELLED
    assert fake_platform.received("POST", "/c_1/comments") == []
    assert services.reply_cancel(reply_id=reply.pk, actor=community_manager).state == ReplyState.CANCELLED


def test_undo_after_the_window_is_refused(facebook_mention, community_manager):
    reply = services.reply_queue(mention_id=facebook_mention.pk, author=community_manager, body="Hola")
    window_passes(reply)

    with pytest.raises(services.InboxError, match="undo window has closed"):
        services.reply_cancel(reply_id=reply.pk, actor=community_manager)
    reply.refresh_from_db()
    assert reply.state == ReplyState.QUEUED


def test_undo_once_sending_started_is_refused(facebook_mention, community_manager):
    reply = services.reply_queue(mention_id=facebook_mention.pk, author=community_manager, body="Hola")
    Reply.objects.filter(pk=reply.pk).update(state=ReplyState.SENDING, attempts=1)

    with pytest.raises(services.InboxError, match="already being sent"):
        services.reply_cancel(reply_id=reply.pk, actor=community_manager)


def test_only_the_author_may_undo(facebook_mention, community_manager, other_community_manager):
    reply = services.reply_queue(mention_id=facebook_mention.pk, author=community_manager, body="Hola")
    with pytest.raises(services.InboxError, match="Only whoever wrote"):
        services.reply_cancel(reply_id=reply.pk, actor=other_community_manager)


def test_the_task_never_sends_a_cancelled_reply(facebook_mention, fake_platform, community_manager):
    reply = services.reply_queue(mention_id=facebook_mention.pk, author=community_manager, body="Hola")
    services.reply_cancel(reply_id=reply.pk, actor=community_manager)
    window_passes(reply)

    for _ in range(3):
        tasks.reply_send.delay(reply.pk)
        assert services.reply_send(reply_id=reply.pk).state == ReplyState.CANCELLED

    assert fake_platform.received("POST", "/c_1/comments") == []


def test_the_sweep_sends_a_reply_whose_delayed_message_was_lost(
    facebook_mention, fake_platform, community_manager, django_capture_on_commit_callbacks
):
    reply = services.reply_queue(mention_id=facebook_mention.pk, author=community_manager, body="Hola")
    assert services.replies_send_due() == 0  # not due yet
    Reply.objects.filter(pk=reply.pk).update(send_after=timezone.now() - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.replies_send_due() == 1
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    assert len(fake_platform.received("POST", "/c_1/comments")) == 1


def test_the_page_offers_undo_with_the_time_left_and_undoes_by_json(client, facebook_mention, community_manager):
    client.force_login(community_manager)
    response = client.post(reverse("inbox:reply", args=[facebook_mention.pk]), {"body": "Hola"}, follow=True)
    page = response.content.decode()
    assert "Reply queued: it goes out in 10 seconds" in page
    assert 'data-testid="reply-undo"' in page
    reply = facebook_mention.replies.get()

    answer = client.post(
        reverse("inbox:reply_cancel", args=[facebook_mention.pk, reply.pk]), HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 200
    assert answer.json()["state"] == ReplyState.CANCELLED
    page = client.get(reverse("inbox:detail", args=[facebook_mention.pk])).content.decode()
    assert 'data-testid="reply-undo"' not in page
    assert "Cancelled" in page


def test_the_page_refuses_undo_after_the_window(client, facebook_mention, community_manager):
    client.force_login(community_manager)
    reply = services.reply_queue(mention_id=facebook_mention.pk, author=community_manager, body="Hola")
    window_passes(reply)
    answer = client.post(
        reverse("inbox:reply_cancel", args=[facebook_mention.pk, reply.pk]), HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 400
    assert "Too late to undo" in answer.json()["error"]


def test_the_api_undoes_a_reply(api, facebook_mention, community_manager):
    reply = services.reply_queue(mention_id=facebook_mention.pk, author=community_manager, body="Hola")
    response = api.post(reverse("api-reply-cancel", args=[reply.pk]))
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
