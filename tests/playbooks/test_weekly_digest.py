"""On Monday morning each director gets the week's digest, once, in their language, with the resolved
crises' reports attached."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation

from escalation.models import EscalationRequest, RequestStatus
from inbox.models import MentionMinuteStat, MentionStatus
from playbooks import services, tasks
from playbooks.digest import iso_week_before
from playbooks.models import Crisis, WeeklyDigest, WeeklyDigestDelivery
from tests.factories import ChannelFactory, MentionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _monday_morning() -> datetime:
    """07:05 on the Monday of a fixed week, in the desk's time zone (2026-W48 has just ended)."""
    return timezone.make_aware(datetime(2026, 11, 30, 7, 5))


def _week_with_a_resolved_crisis(actor, department):
    week = iso_week_before(_monday_morning())
    wednesday = week.starts_at + timedelta(days=2, hours=10)
    with translation.override("en"):
        crisis = services.crisis_declare(actor=actor, crisis_type="technical", level=2, title="Caída de fibra")
    Crisis.objects.filter(pk=crisis.pk).update(
        detected_at=wednesday, declared_at=wednesday, resolved_at=wednesday + timedelta(hours=3), status="resolved"
    )
    channel = ChannelFactory(brand=crisis.brand)
    MentionMinuteStat.objects.create(minute=wednesday, brand=crisis.brand, channel=channel, volume=40, negative=30)
    answered = MentionFactory(
        channel=channel, received_at=wednesday, first_response_at=wednesday + timedelta(minutes=6),
        status=MentionStatus.REPLIED,
    )
    crisis.mentions.add(answered, *[MentionFactory(channel=channel, received_at=wednesday) for _ in range(3)])
    EscalationRequest.objects.create(
        department=department, question="¿Alcance?", crisis=crisis, created_at=wednesday,
        due_at=wednesday + timedelta(minutes=30), status=RequestStatus.OPEN,
    )
    return crisis


def test_each_director_gets_one_digest_a_week_even_when_the_beat_runs_twice(
    community_manager, director, department, department_head, technical_playbook
):
    # Given two directors, a community manager and a department head, and a week with a resolved crisis
    second_director = UserFactory(username="sofia", role="director", language="en")
    crisis = _week_with_a_resolved_crisis(community_manager, department)
    mail.outbox.clear()

    # When the beat runs on Monday morning, and a second beat runs it again
    sent_first = services.weekly_digest_send(now=_monday_morning())
    sent_again = services.weekly_digest_send(now=_monday_morning() + timedelta(hours=1))

    # Then each director got exactly one e-mail, and nobody else got one
    assert (sent_first, sent_again) == (2, 0)
    assert sorted(message.to[0] for message in mail.outbox) == sorted([director.email, second_director.email])
    assert WeeklyDigest.objects.count() == 1
    assert WeeklyDigest.objects.get().week == "2026-W48"
    assert set(WeeklyDigestDelivery.objects.values_list("state", flat=True)) == {"sent"}

    # And the English director's e-mail tells the week: the crisis, its level, duration, volume,
    # the unanswered mentions, the overdue escalation, the link to the report and its PDF attached
    english = next(message for message in mail.outbox if message.to == [second_director.email])
    assert english.subject == "Weekly crisis digest: week 2026-W48"
    assert "Caída de fibra · Crisis · Resolved · duration 3 h 00 min" in english.body
    assert f"{settings.PUBLIC_BASE_URL}/crises/{crisis.pk}/report/" in english.body
    assert "Volume: 40 · negative 75 %" in english.body
    assert "1 of 4 mentions answered, 3 never answered" in english.body
    assert "Median over all mentions: not reached" in english.body
    assert "Escalations overdue without an answer: 1" in english.body
    html, mimetype = english.alternatives[0]
    assert mimetype == "text/html" and f"/crises/{crisis.pk}/report/" in html
    ((name, content, attached_type),) = english.attachments
    assert name == f"crisis-{crisis.pk}-report.pdf" and attached_type == "application/pdf"
    assert content.startswith(b"%PDF")


def test_a_failed_send_is_retried_by_the_next_run_of_the_same_week(monkeypatch, director, technical_playbook):
    # Given the mail server refuses the first attempt
    calls = {"count": 0}
    real_send = mail.EmailMultiAlternatives.send

    def flaky(self, *args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 1:
            raise ConnectionRefusedError("mail server down")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", flaky)

    # When the beat runs twice on Monday morning
    assert services.weekly_digest_send(now=_monday_morning()) == 0
    delivery = WeeklyDigestDelivery.objects.get(recipient=director)
    assert delivery.state == "failed" and "mail server down" in delivery.error

    # Then the second run sends it, once
    assert services.weekly_digest_send(now=_monday_morning() + timedelta(hours=1)) == 1
    assert len(mail.outbox) == 1
    assert services.weekly_digest_send(now=_monday_morning() + timedelta(hours=2)) == 0


def test_the_digest_speaks_the_directors_language(director, technical_playbook):
    director.language = "es"
    director.save(update_fields=["language"])
    services.weekly_digest_send(now=_monday_morning())
    (message,) = mail.outbox
    # ("Crisis" and "Volume" are already in the catalogue; the digest's own texts follow once compiled)
    assert "Volumen" in message.body


def test_the_next_week_is_a_new_digest(director, technical_playbook):
    services.weekly_digest_send(now=_monday_morning())
    services.weekly_digest_send(now=_monday_morning() + timedelta(days=7))
    assert list(WeeklyDigest.objects.order_by("starts_at").values_list("week", flat=True)) == ["2026-W48", "2026-W49"]
    assert len(mail.outbox) == 2


def test_the_beat_schedules_the_digest_and_the_task_is_safe_twice(director, technical_playbook, monkeypatch):
    entry = settings.CELERY_BEAT_SCHEDULE["directors-weekly-digest"]
    assert entry["task"] == tasks.weekly_digest_send.name == "playbooks.weekly_digest_send"
    assert entry["schedule"].day_of_week == {1}
    tasks.weekly_digest_send.run()
    tasks.weekly_digest_send.run()
    assert len(mail.outbox) == 1
