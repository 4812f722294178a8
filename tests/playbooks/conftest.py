"""Playbook fixtures: a small technical playbook (level 2) and a channel with a scheduled post."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import ScheduledPost
from playbooks.models import Playbook
from playbooks.services import (
    playbook_version_create,
    scheduled_post_approve,
    scheduled_post_create,
    scheduled_post_submit,
)
from tests.factories import ChannelFactory
from tests.playbooks.alerting import chat  # noqa: F401  (the chat webhooks' side, for the alert tests)


def technical_content(**overrides) -> dict:
    content = {
        "title": "Caída de red",
        "summary": "Averías masivas",
        "steps": [
            {"minutes": 0, "role": "community_manager", "text": "Confirmar el alcance con Técnica"},
            {"minutes": 10, "role": "community_manager", "text": "Publicar el mensaje de espera"},
            {"minutes": 30, "role": "director", "text": "Decidir la compensación"},
        ],
        "decision_makers": ["role:director"],
        "notify": ["elena", "luis"],
        "departments": [],
        "approvers": ["role:director"],
        "approval": "any",
        "templates": [
            {
                "name": "Avería",
                "body": "Hola {nombre}, próxima actualización a las {hora_siguiente_actualizacion}",
            }
        ],
        "holding_statement": (
            "Sabemos lo que pasa, estamos trabajando; "
            "próxima actualización a las {hora_siguiente_actualizacion}."
        ),
        "principles": ["No borrar comentarios"],
    }
    content.update(overrides)
    return content


@pytest.fixture
def technical_playbook(db):
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Caída de red")
    playbook_version_create(playbook_id=playbook.pk, content=technical_content(), actor=None, note="v1")
    return playbook


@pytest.fixture
def channel(db):
    return ChannelFactory(brand="Telco")


@pytest.fixture
def scheduled_post(channel, community_manager):
    return ScheduledPost.objects.create(
        channel=channel,
        body="¡Feliz viernes! 🎉 Disfruta del finde con nuestra fibra",
        scheduled_at=timezone.now() + timedelta(minutes=5),
        created_by=community_manager,
    )


def post_approved(*, channel, author, approver, body: str = "Nueva tarifa de fibra desde el lunes", hours: float = 2):
    """A post written by `author` and approved by `approver`, going out in `hours`: the calendar's path."""
    post = scheduled_post_create(
        channel_id=channel.pk, body=body, scheduled_at=timezone.now() + timedelta(hours=hours), actor=author
    )
    scheduled_post_submit(post_id=post.pk, actor=author)
    return scheduled_post_approve(post_id=post.pk, actor=approver)
