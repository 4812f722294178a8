"""The crisis timeline and the crisis refusals speak the reader's language, not the writer's."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from crisisdesk.text import user_display_name
from playbooks import services
from playbooks.models import CrisisEvent

pytestmark = pytest.mark.django_db


def _read_room(client, user, crisis, language: str) -> str:
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client.get(reverse("playbooks:crisis_room", args=[crisis.pk])).content.decode()


def test_an_entry_written_in_english_reads_in_spanish_for_a_spanish_reader_and_in_english_for_an_english_one(
    client, community_manager, director, technical_playbook
):
    # Given Ana, working in English, declares a crisis and contains it
    with translation.override("en"):
        crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
        services.crisis_contain(crisis_id=crisis.pk, actor=community_manager)
    name = user_display_name(community_manager)

    # When Elena reads the crisis room in Spanish
    spanish = _read_room(client, director, crisis, "es")

    # Then the timeline is in Spanish, the status in the reader's words
    assert f"Crisis declarada en nivel 2 por {name}" in spanish
    assert f"Estado cambiado de declarada a contenida por {name}" in spanish
    assert "Crisis declared at level" not in spanish

    # And when she switches to English, the same entries read in English
    english = _read_room(client, director, crisis, "en")
    assert f"Crisis declared at level 2 by {name}" in english
    assert f"Status changed from declared to contained by {name}" in english
    assert "Crisis declarada en nivel" not in english


def test_an_entry_is_stored_as_a_key_with_parameters_and_its_english_sentence(community_manager, technical_playbook):
    # When a crisis is declared while Spanish is active
    with translation.override("es"):
        crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")

    # Then the entry keeps the key, its parameters, and the sentence in the source language
    entry = CrisisEvent.objects.get(crisis=crisis, kind="declared")
    assert entry.message_key == "crisis.declared"
    assert entry.params == {"level": 2, "actor": user_display_name(community_manager)}
    assert entry.message.startswith("Crisis declared at level 2 by ")


def test_an_entry_written_before_keys_existed_reads_as_it_was_written(
    client, community_manager, director, technical_playbook
):
    # Given a free-text entry from before the timeline had message keys
    crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    CrisisEvent.objects.create(
        crisis=crisis, kind="note", message="Llamada con Jurídico a las 10:00", created_at=timezone.now()
    )

    # Then every reader sees its text unchanged
    assert "Llamada con Jurídico a las 10:00" in _read_room(client, director, crisis, "en")
    assert "Llamada con Jurídico a las 10:00" in _read_room(client, director, crisis, "es")


def test_the_api_timeline_is_in_the_readers_language(client, community_manager, director, technical_playbook):
    with translation.override("en"):
        crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    director.language = "es"
    director.save(update_fields=["language"])
    client.force_login(director)

    timeline = client.get(f"/api/crises/{crisis.pk}/").json()["timeline"]

    assert timeline[0]["message"].startswith("Crisis declarada en nivel 2 por ")


def test_a_crisis_refusal_shows_in_spanish_on_a_spanish_page(client, community_manager, technical_playbook):
    # Given a resolved crisis
    crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    services.crisis_resolve(crisis_id=crisis.pk, actor=community_manager)
    community_manager.language = "es"
    community_manager.save(update_fields=["language"])
    client.force_login(community_manager)

    # When Ana, reading in Spanish, tries to change its level
    response = client.post(reverse("playbooks:crisis_level", args=[crisis.pk]), {"level": 3})

    # Then the refusal says why, in Spanish
    assert response.status_code == 400
    page = response.content.decode()
    assert "Solo una crisis activa puede cambiar de nivel." in page
    assert "Only an active crisis" not in page


def test_a_refusal_raised_in_english_is_worded_when_read(community_manager, technical_playbook):
    crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    with translation.override("en"), pytest.raises(services.CrisisError) as refused:
        services.crisis_review_complete(crisis_id=crisis.pk, actor=community_manager)

    with translation.override("en"):
        assert str(refused.value) == "A declared crisis cannot become reviewed."
    with translation.override("es"):
        assert str(refused.value) == "Una crisis declarada no puede pasar a revisada."


def test_the_automatic_question_to_departments_is_in_the_brand_language_whoever_declares(
    community_manager, technical_playbook, settings
):
    from escalation.models import Department, EscalationRequest
    from playbooks.models import Playbook
    from tests.playbooks.conftest import technical_content

    # Given a Spanish brand, a playbook that asks Técnica, and a community manager whose console is in English
    settings.LANGUAGE_CODE = "es"
    Department.objects.get_or_create(slug="tecnica", defaults={"name": "Técnica"})
    playbook = Playbook.objects.create(crisis_type="commercial", level=2, name="Comercial")
    services.playbook_version_create(
        playbook_id=playbook.pk, content=technical_content(departments=["tecnica"]), actor=None
    )
    community_manager.language = "en"
    community_manager.save(update_fields=["language"])
    # When she declares with English active
    with translation.override("en"):
        crisis = services.crisis_declare(
            actor=community_manager, crisis_type="commercial", level=2, title="Precios"
        )
    # Then Técnica is asked in Spanish, the brand's language
    question = EscalationRequest.objects.get(crisis=crisis).question
    assert question.startswith("Crisis declarada: Precios")
