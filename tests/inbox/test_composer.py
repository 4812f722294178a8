"""The reply composer: templates with their variables filled, and the warnings shown before sending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation.models import Answer, EscalationRequest
from inbox.composer import reply_checks, reply_templates
from playbooks.models import Crisis
from tests.factories import AuthorFactory, MentionFactory

pytestmark = pytest.mark.django_db


def codes(text: str, *, in_crisis: bool = False, language: str = "") -> list[str]:
    return [warning.code for warning in reply_checks(text=text, in_crisis=in_crisis, language=language)]


def declared_crisis(**extra) -> Crisis:
    content = {
        "templates": [
            {
                "name": "Incidencia",
                "body": "Hola {nombre}, sentimos las molestias. Hay una incidencia en {zona}. "
                "Próxima actualización a las {hora_siguiente_actualizacion}. {firma}",
            }
        ]
    }
    return Crisis.objects.create(
        title="Caída de red",
        brand="Telco",
        crisis_type="technical",
        level=2,
        status="declared",
        declared_at=timezone.now(),
        playbook_content=content,
        **extra,
    )


# --- pre-send checks -------------------------------------------------------------------------


def test_a_careful_spanish_reply_has_no_warnings_even_in_a_crisis():
    text = "Hola Ana, sentimos mucho las molestias. ¿Nos escribes por privado tu número de cliente?"
    assert reply_checks(text=text, in_crisis=True, language="es") == []


def test_common_misspellings_and_repeated_words_are_flagged():
    warnings = reply_checks(text="Hola, porfavor escríbenos y lo lo miramos", in_crisis=False, language="es")
    assert [(warning.code, warning.excerpt) for warning in warnings] == [
        ("spelling", "porfavor"),
        ("repeated_word", "lo lo"),
    ]
    assert "por favor" in warnings[0].message


def test_spanish_questions_and_exclamations_need_their_opening_marks():
    assert codes("Hola. Qué número de cliente tienes?", language="es") == ["opening_mark"]
    assert codes("Gracias por avisar!", language="es") == ["opening_mark"]
    assert codes("¡Gracias por avisar! ¿Qué número tienes?", language="es") == []
    # English has no opening marks
    assert codes("Thanks for telling us! What is your customer number?", language="en") == []


def test_the_language_is_guessed_from_the_draft_when_the_mention_has_none():
    assert codes("Hola, qué número de cliente tienes?") == ["opening_mark"]
    assert codes("Hello, what is your customer number?") == []


def test_shouting_in_capitals_is_flagged_but_an_acronym_is_not():
    assert "all_caps" in codes("LO ESTAMOS ARREGLANDO YA", language="es")
    assert codes("Revisamos tu ADSL y la ONT hoy mismo.", language="es") == []


@pytest.mark.parametrize(
    "text",
    [
        "Tranquilo, ya lo miramos",
        "No es para tanto, en un rato vuelve",
        "jajaja qué mala suerte",
        "Calm down, it is back soon",
        "lol, that happens",
        "Es culpa tuya por no reiniciar el router",
        "Claro, porque nosotros controlamos la lluvia /s",
    ],
)
def test_a_careless_tone_is_flagged(text):
    assert "tone" in codes(text)


def test_cheerful_words_emojis_and_hashtags_are_flagged_only_during_a_crisis():
    text = "¡Genial! Ya está arreglado 🎉 #FelizViernes"
    assert codes(text, in_crisis=True, language="es") == ["cheerful", "emoji", "hashtag"]
    assert codes(text, in_crisis=False, language="es") == []


def test_an_unfilled_template_variable_is_flagged():
    warnings = reply_checks(text="Hola Ana, hay una incidencia en {zona}.", in_crisis=False, language="es")
    assert [(warning.code, warning.excerpt) for warning in warnings] == [("placeholder", "{zona}")]


def test_an_empty_draft_has_no_warnings():
    assert reply_checks(text="   ", in_crisis=True) == []


# --- templates -------------------------------------------------------------------------------


def test_templates_come_from_the_crisis_playbook_and_approved_answers_with_variables_filled(
    community_manager, department
):
    # Given a declared crisis with a playbook template, and an approved answer from Técnica
    declared_crisis()
    request = EscalationRequest.objects.create(
        department=department, question="¿Cuándo vuelve?", due_at=timezone.now() + timedelta(hours=1)
    )
    Answer.objects.create(
        request=request, text="Hola {nombre}, el servicio vuelve a las 14:00.", is_approved_wording=True
    )
    Answer.objects.create(request=request, text="Borrador interno", is_approved_wording=False)
    mention = MentionFactory(author=AuthorFactory(display_name="Lucía Pérez", handle="lucia"))

    # When Ana opens the composer
    templates = reply_templates(mention=mention, author=community_manager)

    # Then the playbook's template comes first, filled with the author's name and the next update
    assert [(template.source, template.name) for template in templates] == [
        ("playbook", "Incidencia"),
        ("department", "Técnica answered this 1 min ago"),
    ]
    playbook = templates[0].body
    assert playbook.startswith("Hola Lucía Pérez, sentimos las molestias.")
    assert "{hora_siguiente_actualizacion}" not in playbook
    assert "{zona}" in playbook  # left for the community manager to fill
    assert "{firma}" not in playbook and not playbook.endswith(" ")  # the signature is added on sending
    assert templates[1].body == "Hola Lucía Pérez, el servicio vuelve a las 14:00."


def test_without_a_crisis_only_approved_answers_are_offered(community_manager):
    mention = MentionFactory()
    assert reply_templates(mention=mention, author=community_manager) == []


# --- the endpoint ----------------------------------------------------------------------------


def test_the_checks_endpoint_knows_about_the_crisis_and_the_mention_language(client, community_manager):
    client.force_login(community_manager)
    mention = MentionFactory(language="es")
    url = reverse("inbox:reply_checks")

    calm = client.post(url, {"text": "¡Genial! Ya funciona", "mention": mention.pk})
    assert calm.status_code == 200
    assert calm.json() == {"in_crisis": False, "warnings": []}

    declared_crisis()
    during = client.post(url, {"text": "¡Genial! Ya funciona", "mention": mention.pk}).json()
    assert during["in_crisis"] is True
    assert [warning["code"] for warning in during["warnings"]] == ["cheerful"]


def test_the_checks_endpoint_refuses_bad_input_with_a_400_or_404(client, community_manager):
    client.force_login(community_manager)
    url = reverse("inbox:reply_checks")
    assert client.post(url, {"text": "hola", "mention": "abc"}).status_code == 400
    assert client.post(url, {"text": "x" * 5001}).status_code == 400
    assert client.post(url, {"text": "hola", "mention": 999999}).status_code == 404
    assert client.get(url).status_code == 405


def test_department_heads_may_not_use_the_composer(client, department_head):
    client.force_login(department_head)
    assert client.post(reverse("inbox:reply_checks"), {"text": "hola"}).status_code == 403


def test_the_mention_page_offers_the_templates_the_clock_and_the_author_history(client, community_manager):
    # Given a crisis and an author who has written before
    declared_crisis()
    author = AuthorFactory(handle="lucia", display_name="Lucía", complaint_count=3, hidden_as_troll_count=2)
    earlier = MentionFactory(author=author, text="Ayer tampoco iba")
    mention = MentionFactory(author=author, text="Otra vez sin fibra")
    client.force_login(community_manager)

    # When Ana opens the mention
    response = client.get(reverse("inbox:detail", args=[mention.pk]))

    # Then she sees the crisis template, the clock, the crisis note and the author's other mentions
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="reply-templates"' in page and "Hola Lucía, sentimos las molestias." in page
    assert f'data-received-at="{mention.received_at.isoformat()}"' in page
    assert 'data-testid="composer-crisis"' in page
    assert reverse("inbox:detail", args=[earlier.pk]) in page
    assert [item.pk for item in response.context["author_history"]] == [earlier.pk]
