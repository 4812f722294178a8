"""Public replies: signed, sent once, retried on platform errors, and only by whoever has the mention."""

from __future__ import annotations

import queue

import pytest

from crisisdesk.models import AuditEvent
from crisisdesk.realtime import group_for_mention
from inbox import services
from inbox.connectors.base import ConnectorError
from inbox.models import MentionStatus, ReplyState
from tests.factories import ChannelFactory, MentionFactory
from tests.realtime import GroupListener

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_retries():
    """Eager tasks re-run their retries at once, as a worker would after the backoff, instead of raising."""
    from crisisdesk.celery import app

    previous = app.conf.task_eager_propagates
    app.conf.update(CELERY_TASK_EAGER_PROPAGATES=False)  # the namespaced key is the one Celery reads
    yield
    app.conf.update(CELERY_TASK_EAGER_PROPAGATES=previous)


class FlakyPlatform:
    """Fails the first `failures` publishes, then accepts; counts what it really published."""

    def __init__(self, failures: int):
        self.failures = failures
        self.published: list[str] = []

    def __call__(self, channel):
        return self

    def reply_context(self, *, raw: dict, author_handle: str) -> dict:
        return {}

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict | None = None) -> str:
        if self.failures:
            self.failures -= 1
            raise ConnectorError("HTTP 502 from https://platform.example/replies")
        self.published.append(text)
        return f"reply-{len(self.published)}"


def test_a_reply_is_signed_with_the_channel_signature_and_sent(
    community_manager, django_capture_on_commit_callbacks
):
    mention = MentionFactory(channel=ChannelFactory(signature_template="— {name}"))

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_queue(
            mention_id=mention.pk, author=community_manager, body="Lo revisamos ahora mismo."
        )

    reply.refresh_from_db()
    mention.refresh_from_db()
    assert reply.signature == "— Ana"
    assert reply.signed_body == "Lo revisamos ahora mismo.\n— Ana"
    assert reply.state == ReplyState.SENT
    assert reply.external_id.startswith("sim-reply-")
    assert mention.status == MentionStatus.REPLIED
    assert mention.assignee == community_manager
    assert mention.first_response_at is not None


def test_a_signature_template_with_stray_braces_does_not_break_the_reply(community_manager):
    mention = MentionFactory(channel=ChannelFactory(signature_template="{equipo} ^{name}"))
    reply = services.reply_queue(mention_id=mention.pk, author=community_manager, body="Hola")
    assert reply.signature == "{equipo} ^Ana"


def test_a_colleague_may_not_reply_to_a_mention_that_is_not_hers(community_manager, other_community_manager):
    mention = MentionFactory(assignee=community_manager, status=MentionStatus.ASSIGNED)

    with pytest.raises(services.InboxError, match="take it over"):
        services.reply_queue(mention_id=mention.pk, author=other_community_manager, body="Hola")

    assert mention.replies.count() == 0


def test_taking_the_mention_over_lets_a_colleague_reply_and_is_audited(
    community_manager, other_community_manager, django_capture_on_commit_callbacks
):
    mention = MentionFactory(assignee=community_manager, status=MentionStatus.ASSIGNED)

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_queue(
            mention_id=mention.pk, author=other_community_manager, body="Hola", take_over=True
        )

    mention.refresh_from_db()
    assert mention.assignee == other_community_manager
    assert reply.signature == "— Luis"
    take_over = AuditEvent.objects.get(verb="mention.take_over", target_id=str(mention.pk))
    assert take_over.actor == other_community_manager
    assert take_over.data == {"from": community_manager.pk}


def test_a_platform_error_is_retried_with_backoff_until_it_goes_through(
    monkeypatch, worker_retries, community_manager, django_capture_on_commit_callbacks
):
    platform = FlakyPlatform(failures=2)
    monkeypatch.setattr(services.replies, "connector_for", platform)
    mention = MentionFactory()

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_queue(
            mention_id=mention.pk, author=community_manager, body="Ya está resuelto."
        )

    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    assert reply.attempts == 3
    assert reply.error == ""
    assert platform.published == ["Ya está resuelto.\n— Ana"]
    assert list(
        AuditEvent.objects.filter(target_type="inbox.reply", target_id=str(reply.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    ) == ["reply.failed", "reply.failed", "reply.sent"]


def test_retries_are_bounded_and_the_reply_ends_failed_with_the_reason(
    monkeypatch, worker_retries, community_manager, django_capture_on_commit_callbacks
):
    platform = FlakyPlatform(failures=100)
    monkeypatch.setattr(services.replies, "connector_for", platform)
    mention = MentionFactory()

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_queue(mention_id=mention.pk, author=community_manager, body="Hola")

    reply.refresh_from_db()
    assert reply.state == ReplyState.FAILED
    assert reply.attempts == services.REPLY_MAX_ATTEMPTS
    assert "502" in reply.error
    assert platform.published == []


def test_a_reply_is_never_sent_twice(monkeypatch, community_manager):
    platform = FlakyPlatform(failures=0)
    monkeypatch.setattr(services.replies, "connector_for", platform)
    reply = services.reply_queue(mention_id=MentionFactory().pk, author=community_manager, body="Hola")

    services.reply_send(reply_id=reply.pk)
    services.reply_send(reply_id=reply.pk)

    assert len(platform.published) == 1


def test_a_reply_caught_mid_send_is_not_sent_again(monkeypatch, community_manager):
    platform = FlakyPlatform(failures=0)
    monkeypatch.setattr(services.replies, "connector_for", platform)
    reply = services.reply_queue(mention_id=MentionFactory().pk, author=community_manager, body="Hola")
    reply.state = ReplyState.SENDING
    reply.save(update_fields=["state"])

    services.reply_send(reply_id=reply.pk)

    assert platform.published == []


def test_only_the_assignee_may_retry_a_failed_reply(
    monkeypatch,
    worker_retries,
    community_manager,
    other_community_manager,
    django_capture_on_commit_callbacks,
):
    platform = FlakyPlatform(failures=100)
    monkeypatch.setattr(services.replies, "connector_for", platform)
    mention = MentionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_queue(mention_id=mention.pk, author=community_manager, body="Hola")

    with pytest.raises(services.InboxError):
        services.reply_retry(reply_id=reply.pk, actor=other_community_manager)

    platform.failures = 0
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_retry(reply_id=reply.pk, actor=community_manager)
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT
    assert len(platform.published) == 1
    assert AuditEvent.objects.filter(verb="reply.retry", actor=community_manager).count() == 1


def test_the_send_task_retries_only_the_named_delivery_failure():
    from inbox.tasks import reply_send

    assert reply_send.name == "notify.reply_send"
    assert services.ReplyDeliveryFailed in reply_send.autoretry_for
    assert Exception not in reply_send.autoretry_for
    assert reply_send.max_retries >= services.REPLY_MAX_ATTEMPTS - 1
    assert reply_send.retry_backoff


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_empty_or_oversized_replies_are_refused_without_writing(community_manager, body):
    mention = MentionFactory()
    with pytest.raises(services.InboxError):
        services.reply_queue(mention_id=mention.pk, author=community_manager, body=body)
    assert mention.replies.count() == 0
    assert not AuditEvent.objects.exists()


def test_a_replys_delivery_state_reaches_the_consoles_with_the_mention_open_not_the_whole_inbox(
    community_manager, django_capture_on_commit_callbacks
):
    mention = MentionFactory()
    with GroupListener(group_for_mention(mention.pk)) as open_page, GroupListener("inbox") as inbox:
        with django_capture_on_commit_callbacks(execute=True):
            reply = services.reply_queue(mention_id=mention.pk, author=community_manager, body="Lo miramos ya.")
        states = []
        while True:
            try:
                states.append(open_page.receive(timeout=1)["event"])
            except queue.Empty:
                break
        inbox_events = []
        while True:
            try:
                inbox_events.append(inbox.receive(timeout=0.2)["event"]["type"])
            except queue.Empty:
                break

    assert states and {event["type"] for event in states} == {"reply.changed"}
    assert {(event["id"], event["mention_id"]) for event in states} == {(reply.pk, mention.pk)}
    assert "reply.changed" not in inbox_events
    assert "mention.changed" in inbox_events  # the inbox's row still learns the mention was answered
