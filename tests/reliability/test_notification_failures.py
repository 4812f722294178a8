"""A notification that cannot be sent is recorded as failed, in sight, and retried until it goes out.

Issue #15, point 7: the declaration e-mail of a crisis failed once and was never retried (and the
executive summaries were sent with `fail_silently=True`). These tests break the mail transport,
then let it recover.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone

from escalation import services as escalation_services
from escalation.models import EscalationNotification, EscalationPolicy, EscalationStep, NotificationState, StepKind
from playbooks import notifications, services
from playbooks.models import CrisisNotification, CrisisNotificationState, Playbook
from tests import factories
from tests.playbooks.conftest import technical_content

pytestmark = pytest.mark.django_db


class BrokenTransport:
    """Make the mail server refuse every message until `recover()`; count what it was asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.broken = True
        self.calls = 0
        original = EmailBackend.send_messages

        def send_messages(backend, messages):
            self.calls += 1
            if self.broken:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            return original(backend, messages)

        monkeypatch.setattr(EmailBackend, "send_messages", send_messages)

    def recover(self) -> None:
        self.broken = False


@pytest.fixture
def broken_mail(monkeypatch):
    return BrokenTransport(monkeypatch)


@pytest.fixture
def technical_playbook(db):
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Caída de red")
    services.playbook_version_create(playbook_id=playbook.pk, content=technical_content(), actor=None)
    return playbook


def test_a_declaration_email_that_fails_is_recorded_visible_and_retried_until_it_goes_out(
    client, community_manager, other_community_manager, director, admin_user, technical_playbook, broken_mail
):
    # Given a mail server that refuses everything, when Ana declares a crisis
    crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    assert services.crisis_notify(crisis_id=crisis.pk) == 0

    # Then both e-mails are recorded as failed, with the error and a time for the next try
    rows = list(CrisisNotification.objects.filter(crisis=crisis).order_by("address"))
    assert [row.address for row in rows] == ["elena@telco.example", "luis@telco.example"]
    assert {row.state for row in rows} == {CrisisNotificationState.FAILED}
    assert all("SMTPServerDisconnected" in row.error for row in rows)
    assert all(row.tries == 1 and row.next_try_at > timezone.now() for row in rows)
    assert mail.outbox == []

    # and they are in sight: a "failed deliveries" count in the crisis room, and the admin list
    client.force_login(community_manager)
    room = client.get(reverse("playbooks:crisis_room", args=[crisis.pk])).content.decode()
    assert 'data-testid="failed-deliveries"' in room and "2 failed deliveries" in room
    client.force_login(admin_user)
    listing = client.get("/admin/playbooks/crisisnotification/?state=failed").content.decode()
    assert "elena@telco.example" in listing and "SMTPServerDisconnected" in listing

    # Before the backoff has passed nothing is tried again
    assert notifications.crisis_notifications_retry_due() == 0
    assert broken_mail.calls == 2

    # When the server recovers and the backoff has passed, the beat sends them, once each
    broken_mail.recover()
    later = timezone.now() + timedelta(minutes=2)
    assert notifications.crisis_notifications_retry_due(now=later) == 2
    assert notifications.crisis_notifications_retry_due(now=later + timedelta(hours=2)) == 0
    assert sorted(message.to[0] for message in mail.outbox) == ["elena@telco.example", "luis@telco.example"]
    assert set(CrisisNotification.objects.values_list("state", flat=True)) == {CrisisNotificationState.SENT}
    client.force_login(community_manager)
    room = client.get(reverse("playbooks:crisis_room", args=[crisis.pk])).content.decode()
    assert 'data-testid="failed-deliveries"' not in room


def test_retries_back_off_and_stop_after_a_bounded_number_of_tries(
    community_manager, director, technical_playbook, broken_mail
):
    crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    services.crisis_notify(crisis_id=crisis.pk)
    row = CrisisNotification.objects.get(crisis=crisis, address="elena@telco.example")

    waits = []
    now = timezone.now()
    while row.next_try_at is not None:
        waits.append(row.next_try_at - now)
        now = row.next_try_at
        notifications.crisis_notifications_retry_due(now=now)
        row.refresh_from_db()

    # Each wait is longer than the one before, and after MAX_TRIES it stays failed, for people to see
    assert row.tries == notifications.MAX_TRIES
    assert waits == sorted(waits) and len(set(waits)) == len(waits)
    assert row.state == CrisisNotificationState.FAILED and row.error


def test_an_executive_summary_that_fails_is_recorded_not_silently_dropped(
    community_manager, director, technical_playbook, broken_mail, django_capture_on_commit_callbacks
):
    start = timezone.now()
    services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída", now=start)
    with django_capture_on_commit_callbacks(execute=True):
        services.crisis_summaries_send(now=start + timedelta(hours=5))

    summary = CrisisNotification.objects.get(kind="summary")
    assert summary.state == CrisisNotificationState.FAILED and summary.address == director.email

    broken_mail.recover()
    notifications.crisis_notifications_retry_due(now=summary.next_try_at)
    assert [message.to for message in mail.outbox] == [[director.email]]


def test_an_escalation_email_that_fails_is_retried_by_the_sweeper_and_shown_on_the_desk(
    client, department, department_head, community_manager, broken_mail, django_capture_on_commit_callbacks
):
    # Given Técnica's policy that emails its heads, and a mail server that refuses everything
    policy = EscalationPolicy.objects.create(name="Técnica", department=department, is_default=True)
    EscalationStep.objects.create(policy=policy, order=0, kind=StepKind.NOTIFY_HEADS, wait_seconds=600)
    mention = factories.MentionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        request = escalation_services.escalation_request_create(
            raised_by=community_manager, department=department, question="¿Avería?", mention_ids=[mention.pk]
        )

    # Then the message is recorded as failed, with its error and a next try
    notification = EscalationNotification.objects.get(request=request)
    assert notification.state == NotificationState.FAILED
    assert "Connection unexpectedly closed" in notification.error
    assert notification.tries == 1 and notification.retry_at is not None
    # and Marta's desk shows a failed delivery
    client.force_login(department_head)
    desk = client.get(reverse("escalation:desk")).content.decode()
    assert 'data-testid="failed-deliveries"' in desk

    # When the server recovers and the sweeper runs after the backoff, it goes out once
    broken_mail.recover()
    with django_capture_on_commit_callbacks(execute=True):
        report = escalation_services.escalations_sweep(now=notification.retry_at + timedelta(seconds=1))
    assert report.resent == 1
    notification.refresh_from_db()
    assert notification.state == NotificationState.SENT and notification.tries == 2
    assert [message.to for message in mail.outbox] == [[department_head.email]]
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation_services.escalations_sweep(now=notification.retry_at or timezone.now()).resent == 0
    assert len(mail.outbox) == 1
