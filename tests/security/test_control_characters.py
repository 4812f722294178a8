"""One-line fields that end up in e-mail subjects refuse control characters; stored ones are folded.

Issue #15, point 7: a crisis title with CR/LF made the declaration e-mail fail (BadHeaderError).
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from escalation.models import Department
from playbooks import services
from playbooks.models import Crisis, Playbook
from tests.playbooks.conftest import technical_content

pytestmark = pytest.mark.django_db

INJECTED = "Caída\r\nBcc: everyone@telco.example"


@pytest.fixture
def technical_playbook(db):
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Caída de red")
    services.playbook_version_create(playbook_id=playbook.pk, content=technical_content(), actor=None)
    return playbook


def test_the_declare_page_refuses_a_title_with_a_line_break(client, community_manager, technical_playbook):
    client.force_login(community_manager)

    response = client.post("/crises/declare/", {"title": INJECTED, "crisis_type": "technical", "level": 2})

    assert response.status_code == 400
    assert "without line breaks or control characters" in response.content.decode()
    assert not Crisis.objects.exists()


def test_the_refusal_is_translated(client, community_manager, technical_playbook):
    community_manager.language = "es"
    community_manager.save(update_fields=["language"])
    client.force_login(community_manager)

    response = client.post(
        "/crises/declare/",
        {"title": "Caída\x00", "crisis_type": "technical", "level": 2},
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert response.status_code == 400
    assert "sin saltos de línea ni caracteres de control" in response.content.decode()


def test_the_api_refuses_a_title_with_a_line_break_with_a_400(client, community_manager, technical_playbook):
    client.force_login(community_manager)

    response = client.post(
        "/api/crises/declare/",
        {"title": INJECTED, "crisis_type": "technical", "level": 2},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "title" in response.json()
    assert not Crisis.objects.exists()


def test_the_service_refuses_it_too(community_manager, technical_playbook):
    with pytest.raises(services.CrisisError, match="control characters"):
        services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="A\u2028B")


def test_a_department_name_with_a_line_break_is_refused_in_the_admin_form():
    department = Department(name="Técnica\nBcc: x", slug="tecnica-x")
    with pytest.raises(ValidationError) as refused:
        department.full_clean()
    assert "name" in refused.value.message_dict


def test_a_title_already_stored_with_a_line_break_never_makes_the_declaration_email_fail(
    community_manager, other_community_manager, director, technical_playbook
):
    # Given a crisis whose title got CR/LF into the database before titles were checked
    crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    Crisis.objects.filter(pk=crisis.pk).update(title=INJECTED, notified_at=None)
    mail.outbox.clear()

    # When the declaration e-mail goes out
    sent = services.crisis_notify(crisis_id=crisis.pk)

    # Then it is sent, with the title folded onto one line in the subject
    assert sent == 2
    subjects = {message.subject for message in mail.outbox}
    assert subjects == {"Crisis declared: Caída Bcc: everyone@telco.example"}
    assert all(message.bcc == [] for message in mail.outbox)
