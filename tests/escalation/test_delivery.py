"""The messages a step sends are written for their reader: a person in their language, a department in the brand's."""

from __future__ import annotations

import httpx
import pytest
from django.core import mail
from django.utils import translation

from escalation import notifications, services
from escalation.models import EscalationNotification, EscalationPolicy, EscalationStep, NotificationState, StepKind
from tests.escalation.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand_speaks_spanish(settings):
    settings.LANGUAGE_CODE = "es"


@pytest.fixture
def whole_department_policy(department):
    policy = EscalationPolicy.objects.create(name="Todo Técnica", department=department, is_default=True)
    EscalationStep.objects.create(policy=policy, order=0, kind=StepKind.NOTIFY_WHOLE_DEPARTMENT, wait_seconds=60)
    return policy


def _subjects_to(address: str) -> list[str]:
    return [message.subject for message in mail.outbox if address in message.to]


def test_a_department_hears_in_the_brand_language_and_each_person_in_their_own(
    brand_speaks_spanish,
    people,
    department,
    whole_department_policy,
    mention,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    # Given a Spanish brand whose department has a shared address and a chat channel,
    department.email = "tecnica@telco.example"
    department.chat_webhook_url = "https://chat.example/hooks/tecnica"
    department.save(update_fields=["email", "chat_webhook_url"])
    posts: list[httpx.Request] = []
    monkeypatch.setattr(
        notifications,
        "http_client",
        lambda: httpx.Client(transport=httpx.MockTransport(lambda sent: posts.append(sent) or httpx.Response(200))),
    )
    # a head who reads English, and an engineer on duty who has chosen no language
    people["head"].language = "en"
    people["head"].save(update_fields=["language"])

    # When a community manager whose console is in English raises a question to the whole department
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.escalation_request_create(
            raised_by=people["cm"], department=department, question="¿Avería?", mention_ids=[mention.pk], now=at(0)
        )

    # Then the shared address and the chat channel are written to in Spanish
    [department_subject] = _subjects_to("tecnica@telco.example")
    assert "pregunta n.º" in department_subject
    assert len(posts) == 1 and "pregunta n.º" in posts[0].content.decode()
    # And the engineer, with no language of their own, in the brand's; the head in English
    [engineer_subject] = _subjects_to(people["owner"].email)
    assert "pregunta n.º" in engineer_subject
    [head_subject] = _subjects_to(people["head"].email)
    assert "question #" in head_subject
    engineer_body = next(message.body for message in mail.outbox if people["owner"].email in message.to)
    assert "Paso 1 de la cadena de escalado." in engineer_body


def test_a_message_with_nowhere_left_to_go_records_why_in_the_brand_language(
    brand_speaks_spanish, people, department, chain_policy, mention
):
    # Given the owner's email claimed by a worker that died, and the owner since deactivated
    request = services.escalation_request_create(
        raised_by=people["cm"], department=department, question="¿Avería?", mention_ids=[mention.pk], now=at(0)
    )
    claim = EscalationNotification.objects.create(
        request=request, step_index=0, attempt=0, recipient=f"user:{people['owner'].pk}", medium="email"
    )
    people["owner"].is_active = False
    people["owner"].save(update_fields=["is_active"])

    # When it is resent from an English-speaking worker
    with translation.override("en"):
        assert services.escalation_notification_resend(notification_id=claim.pk) == 0

    # Then it stays failed, and says why in Spanish
    claim.refresh_from_db()
    assert claim.state == NotificationState.FAILED
    assert claim.error == "El destinatario ya no tiene dirección."
