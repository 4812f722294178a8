"""Escalation fixtures: a department with a person on duty, a director general, a four-step policy."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from escalation import services
from escalation.models import EscalationPolicy, EscalationStep, StepKind
from tests import factories
from tests.escalation.mail_helpers import REPLY_ADDRESS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

CHAIN = [
    (StepKind.NOTIFY_DEPARTMENT_OWNER, 60),
    (StepKind.NOTIFY_HEADS, 60),
    (StepKind.NOTIFY_ROLE_DIRECTORS, 120),
    (StepKind.NOTIFY_DIRECTOR_GENERAL, 120),
]


def at(seconds: float) -> datetime:
    """The controllable clock: T0 plus so many seconds."""
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def on_duty_engineer(department, department_head):
    engineer = factories.UserFactory(role="department_head", username="oscar", first_name="Óscar")
    department.members.add(engineer)
    department.on_duty = engineer
    department.save(update_fields=["on_duty"])
    return engineer


@pytest.fixture
def director_general(db):
    general = factories.UserFactory(role="director", username="dg", first_name="Dolores")
    direction = factories.DepartmentFactory(slug="direccion-general", name="Dirección General")
    direction.heads.add(general)
    return general


@pytest.fixture
def chain_policy(department):
    """Técnica's policy: on duty 60 s → heads 60 s → directors 120 s → director general."""
    policy = EscalationPolicy.objects.create(
        name="Técnica test", department=department, is_default=True, answer_within_seconds=3600
    )
    EscalationStep.objects.bulk_create(
        [
            EscalationStep(policy=policy, order=order, kind=kind, wait_seconds=wait)
            for order, (kind, wait) in enumerate(CHAIN)
        ]
    )
    return policy


@pytest.fixture
def people(on_duty_engineer, department_head, director, director_general, community_manager):
    return {
        "owner": on_duty_engineer,
        "head": department_head,
        "director": director,
        "general": director_general,
        "cm": community_manager,
    }


@pytest.fixture
def mention(db):
    return factories.MentionFactory(text="¿Cuándo vuelve la fibra? <script>alert(1)</script>")


@pytest.fixture
def mail_settings(settings):
    """A deployment that reads replies: the reply address and the providers' keys, made up per test."""
    settings.ESCALATION_REPLY_ADDRESS = REPLY_ADDRESS
    settings.MAILGUN_WEBHOOK_SIGNING_KEY = secrets.token_hex(16)
    settings.POSTMARK_INBOUND_PASSWORD = secrets.token_hex(12)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture
def notified_request(mail_settings, people, department, chain_policy, mention, django_capture_on_commit_callbacks):
    """A question to Técnica whose first e-mail (to the engineer on duty) has gone out."""
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = services.escalation_request_create(
            raised_by=people["cm"],
            department=department,
            question="¿Cuándo vuelve la fibra en Vallecas?",
            mention_ids=[mention.pk],
            now=at(0),
        )
    assert len(mail.outbox) == 1
    return request
