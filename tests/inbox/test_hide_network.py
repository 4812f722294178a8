"""Hiding: out of the queue and off the clock at once, hidden on the network after commit (exactly once),
its state recorded and shown; never deleted; a troll gets no reply box unless someone chooses to answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from crisisdesk.models import AuditEvent
from inbox import selectors, services, tasks
from inbox.credentials import credentials_encrypt
from inbox.models import Mention, NetworkHiddenState
from tests.factories import ChannelFactory, MentionFactory
from tests.inbox.fake_platform import Reply as PlatformReply
from tests.inbox.fake_platform import fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def facebook_mention(fake_platform):
    channel = ChannelFactory(
        kind="facebook", base_url=fake_platform.url, credentials_encrypted=credentials_encrypt({"access_token": "t"})
    )
    fake_platform.script("POST", "/c_7", PlatformReply(json={"success": True}))
    return MentionFactory(channel=channel, external_id="c_7")


def hide(mention, actor, capture, *, as_troll=False):
    with capture(execute=True):
        services.mention_hide(mention_id=mention.pk, actor=actor, reason="Insultos", as_troll=as_troll)
    return Mention.objects.get(pk=mention.pk)


def test_hiding_calls_the_platform_once_and_records_done(
    facebook_mention, fake_platform, community_manager, django_capture_on_commit_callbacks
):
    mention = hide(facebook_mention, community_manager, django_capture_on_commit_callbacks)

    calls = fake_platform.received("POST", "/c_7")
    assert len(calls) == 1
    assert calls[0].form()["is_hidden"] == ["true"]
    assert mention.is_hidden and mention.network_hidden_state == NetworkHiddenState.DONE
    assert mention.network_hidden_error == ""
    assert Mention.objects.filter(pk=mention.pk).exists()  # never deleted
    assert mention.pk not in {row.pk for row in selectors.inbox_list()}  # out of the queue
    tasks.mention_network_hide.delay(mention.pk)  # a redelivered task changes nothing
    assert len(fake_platform.received("POST", "/c_7")) == 1
    assert AuditEvent.objects.filter(verb="mention.network_hide_done", target_id=str(mention.pk)).count() == 1


def test_showing_again_is_symmetric(
    facebook_mention, fake_platform, community_manager, django_capture_on_commit_callbacks
):
    hide(facebook_mention, community_manager, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.mention_unhide(mention_id=facebook_mention.pk, actor=community_manager)

    mention = Mention.objects.get(pk=facebook_mention.pk)
    calls = fake_platform.received("POST", "/c_7")
    assert [call.form()["is_hidden"] for call in calls] == [["true"], ["false"]]
    assert not mention.is_hidden and mention.network_hidden_state == NetworkHiddenState.DONE


def test_a_platform_refusal_is_recorded_failed_with_its_reason(
    facebook_mention, fake_platform, community_manager, django_capture_on_commit_callbacks, client
):
    fake_platform.script("POST", "/c_7", PlatformReply(status=400, json={"error": "permission missing"}))
    mention = hide(facebook_mention, community_manager, django_capture_on_commit_callbacks)

    assert mention.is_hidden  # hidden in Crisis Desk all the same
    assert mention.network_hidden_state == NetworkHiddenState.FAILED
    assert "HTTP 400" in mention.network_hidden_error
    client.force_login(community_manager)
    page = client.get(reverse("inbox:detail", args=[mention.pk])).content.decode()
    assert "Facebook did not hide it: hidden in Crisis Desk only." in page
    assert "permission missing" in page


def test_a_network_that_cannot_hide_is_recorded_unsupported_and_the_page_says_so(
    community_manager, django_capture_on_commit_callbacks, client
):
    x_mention = MentionFactory(channel=ChannelFactory(kind="x"))
    mention = hide(x_mention, community_manager, django_capture_on_commit_callbacks)

    assert mention.is_hidden
    assert mention.network_hidden_state == NetworkHiddenState.UNSUPPORTED
    client.force_login(community_manager)
    page = client.get(reverse("inbox:detail", args=[mention.pk])).content.decode()
    assert "This network cannot hide comments: hidden in Crisis Desk only." in page


def test_the_page_explains_hiding_confirms_it_and_stops_the_clock(
    client, facebook_mention, community_manager, django_capture_on_commit_callbacks
):
    client.force_login(community_manager)
    before = client.get(reverse("inbox:detail", args=[facebook_mention.pk])).content.decode()
    assert "Hiding hides the comment on Facebook itself" in before
    assert "Nothing is ever deleted." in before

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("inbox:hide", args=[facebook_mention.pk]), {"reason": "Spam"}, follow=True
        )

    page = response.content.decode()
    assert "Hidden: out of the queue and off the response clock. Hidden, never deleted." in page
    assert "Hidden on Facebook" in page
    assert 'data-hidden="1"' in page  # the response clock stops


def test_a_troll_has_no_reply_box_until_someone_chooses_to_answer_anyway(
    client, community_manager, django_capture_on_commit_callbacks
):
    mention = hide(MentionFactory(), community_manager, django_capture_on_commit_callbacks, as_troll=True)
    client.force_login(community_manager)
    page = client.get(reverse("inbox:detail", args=[mention.pk])).content.decode()
    assert 'data-testid="reply-form"' not in page
    assert 'data-testid="troll-no-reply"' in page
    with pytest.raises(services.InboxError, match="hidden as a troll"):
        services.reply_queue(mention_id=mention.pk, author=community_manager, body="Hola")

    client.post(reverse("inbox:reply_anyway", args=[mention.pk]))

    page = client.get(reverse("inbox:detail", args=[mention.pk])).content.decode()
    assert 'data-testid="reply-form"' in page
    assert AuditEvent.objects.filter(verb="mention.reply_anyway", target_id=str(mention.pk)).count() == 1
    assert services.reply_queue(mention_id=mention.pk, author=community_manager, body="Hola").pk


def test_a_mention_hidden_without_the_troll_flag_keeps_its_reply_box(
    client, community_manager, django_capture_on_commit_callbacks
):
    mention = hide(MentionFactory(), community_manager, django_capture_on_commit_callbacks)
    client.force_login(community_manager)
    page = client.get(reverse("inbox:detail", args=[mention.pk])).content.decode()
    assert 'data-testid="reply-form"' in page


@pytest.mark.parametrize("role", ["department_head", "director"])
def test_neither_a_department_head_nor_a_director_may_reply_hide_or_undo(client, role, community_manager):
    from tests.factories import UserFactory

    mention = MentionFactory()
    reply = services.reply_queue(mention_id=mention.pk, author=community_manager, body="Hola")
    client.force_login(UserFactory(role=role, username=f"someone-{role}"))

    assert client.post(reverse("inbox:reply", args=[mention.pk]), {"body": "Hola"}).status_code == 403
    assert client.post(reverse("inbox:hide", args=[mention.pk]), {"reason": "x"}).status_code == 403
    assert client.post(reverse("inbox:reply_cancel", args=[mention.pk, reply.pk])).status_code == 403
    assert client.post(reverse("inbox:reply_anyway", args=[mention.pk])).status_code == 403
    mention.refresh_from_db()
    assert not mention.is_hidden and mention.replies.count() == 1


def test_a_hide_whose_task_was_lost_is_done_by_the_sweeper_once(facebook_mention, fake_platform, community_manager):
    """The broker was down at commit: no task ran. The beat's sweeper hides it on the network, once."""
    services.mention_hide(mention_id=facebook_mention.pk, actor=community_manager, reason="Insultos")
    assert Mention.objects.get(pk=facebook_mention.pk).network_hidden_state == NetworkHiddenState.PENDING

    assert services.mentions_network_hide_sweep() == 0  # too recent: its task may still be on its way
    later = timezone.now() + services.moderation.NETWORK_HIDE_STALE + timedelta(seconds=1)
    assert services.mentions_network_hide_sweep(now=later) == 1
    assert services.mentions_network_hide_sweep(now=later) == 0

    assert [call.form()["is_hidden"] for call in fake_platform.received("POST", "/c_7")] == [["true"]]
    assert Mention.objects.get(pk=facebook_mention.pk).network_hidden_state == NetworkHiddenState.DONE
    assert AuditEvent.objects.filter(verb="mention.network_hide_retried").count() == 1


def test_a_worker_that_died_mid_call_leaves_syncing_and_the_sweeper_asks_the_network_again(
    facebook_mention, fake_platform, community_manager
):
    services.mention_hide(mention_id=facebook_mention.pk, actor=community_manager, reason="Insultos")
    Mention.objects.filter(pk=facebook_mention.pk).update(network_hidden_state=NetworkHiddenState.SYNCING)

    recent = timezone.now() + timedelta(seconds=30)
    assert services.mentions_network_hide_sweep(now=recent) == 0  # a live worker may still be calling
    later = timezone.now() + services.moderation.NETWORK_HIDE_STALE + timedelta(seconds=1)
    assert services.mentions_network_hide_sweep(now=later) == 1

    mention = Mention.objects.get(pk=facebook_mention.pk)
    assert mention.network_hidden_state == NetworkHiddenState.DONE and mention.is_hidden
    assert len(fake_platform.received("POST", "/c_7")) == 1


def test_the_sweeper_is_on_the_beat_schedule():
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks.mentions_network_hide_sweep.name in scheduled
