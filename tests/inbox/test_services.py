"""What community managers do to a mention leaves a trail, is pushed live, and never deletes anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisisdesk.models import AuditEvent
from inbox import services
from inbox.models import Mention, MentionStatus
from tests.factories import MentionFactory

pytestmark = pytest.mark.django_db


def trail(mention: Mention) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="inbox.mention", target_id=str(mention.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_every_change_of_state_is_in_the_audit_trail(community_manager, other_community_manager, settings):
    settings.INBOX_RETURN_MINUTES = 15
    mention = MentionFactory()

    services.mention_assign(mention_id=mention.pk, assignee=community_manager, actor=community_manager)
    Mention.objects.filter(pk=mention.pk).update(assigned_at=timezone.now() - timedelta(minutes=20))
    services.mentions_return_unanswered()
    services.mention_assign(mention_id=mention.pk, assignee=community_manager, actor=community_manager)
    services.mention_take_over(mention_id=mention.pk, actor=other_community_manager)
    services.reply_queue(mention_id=mention.pk, author=other_community_manager, body="Gracias por avisar")
    services.mention_hide(mention_id=mention.pk, actor=other_community_manager, reason="Datos personales")
    services.mention_unhide(mention_id=mention.pk, actor=other_community_manager)
    services.mention_close(mention_id=mention.pk, actor=other_community_manager)
    services.mention_reopen(mention_id=mention.pk, actor=other_community_manager)

    assert trail(mention) == [
        "mention.assign",
        "mention.returned",
        "mention.assign",
        "mention.take_over",
        "mention.reply",
        "mention.hide",
        "mention.unhide",
        "mention.close",
        "mention.reopen",
    ]
    hide = AuditEvent.objects.get(verb="mention.hide")
    assert hide.actor == other_community_manager
    assert hide.data["reason"] == "Datos personales"


def test_hiding_keeps_the_mention_and_a_troll_feeds_the_author_history(community_manager):
    mention = MentionFactory()

    services.mention_hide(mention_id=mention.pk, actor=community_manager, reason="Insultos", as_troll=True)
    services.mention_hide(mention_id=mention.pk, actor=community_manager, reason="Insultos", as_troll=True)

    mention.refresh_from_db()
    assert Mention.objects.filter(pk=mention.pk).exists()
    assert mention.is_hidden and mention.hidden_by == community_manager
    assert mention.author.hidden_as_troll_count == 1
    assert trail(mention) == ["mention.hide"]


def test_hiding_without_a_reason_is_refused(community_manager):
    mention = MentionFactory()
    with pytest.raises(services.InboxError):
        services.mention_hide(mention_id=mention.pk, actor=community_manager, reason="  ")
    mention.refresh_from_db()
    assert not mention.is_hidden


def test_closing_and_reopening_return_the_mention_to_its_assignee(community_manager):
    mention = MentionFactory(assignee=community_manager, status=MentionStatus.ASSIGNED)

    services.mention_close(mention_id=mention.pk, actor=community_manager)
    services.mention_close(mention_id=mention.pk, actor=community_manager)
    services.mention_reopen(mention_id=mention.pk, actor=community_manager)

    mention.refresh_from_db()
    assert mention.status == MentionStatus.ASSIGNED
    assert trail(mention) == ["mention.close", "mention.reopen"]


def test_a_department_head_cannot_act_on_mentions_through_the_services(department_head):
    mention = MentionFactory()
    with pytest.raises(services.InboxError):
        services.mention_close(mention_id=mention.pk, actor=department_head)
    assert trail(mention) == []


def test_acting_on_a_missing_mention_says_so(community_manager):
    with pytest.raises(services.InboxError, match="does not exist"):
        services.mention_close(mention_id=999_999, actor=community_manager)


def test_changes_are_pushed_as_mention_changed_after_commit(
    community_manager, django_capture_on_commit_callbacks
):
    from unittest import mock

    mention = MentionFactory()
    with mock.patch("crisisdesk.realtime.publish_now") as publish:
        with django_capture_on_commit_callbacks(execute=True):
            services.mention_assign(mention_id=mention.pk, assignee=None, actor=community_manager)
        assert publish.call_count == 1
        groups, payload = publish.call_args.args
        assert groups == ["inbox"]
        assert payload["type"] == "mention.changed"
        assert payload["id"] == mention.pk
        assert payload["assignee"] == ""
        assert payload["version"] == 1


def test_nothing_is_pushed_when_the_change_rolls_back(community_manager, django_capture_on_commit_callbacks):
    mention = MentionFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(services.InboxError):
            services.reply_queue(mention_id=mention.pk, author=community_manager, body="")
    assert callbacks == []
