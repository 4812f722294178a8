"""The conversation panel of a mention page: the thread, who the author is and their history, their other
cases, and their escalations (served by escalation, which the inbox cannot import)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalation import services as escalation_services
from tests.factories import AuthorFactory, MentionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(community_manager, department):
    author = AuthorFactory(
        handle="carmen", followers=12500, mention_count=7, complaint_count=4, hidden_as_troll_count=2
    )
    earlier = MentionFactory(author=author, text="La factura de marzo vino doble", category="complaint")
    current = MentionFactory(author=author, text="Sigo sin fibra")
    escalation_services.escalation_request_create(
        raised_by=community_manager, department=department, question="¿Se le devolvió el cobro doble?",
        mention_ids=[earlier.pk],
    )
    return author, earlier, current


def test_the_panel_shows_the_thread_profile_history_and_other_cases(client, community_manager, history):
    author, earlier, current = history
    client.force_login(community_manager)

    page = client.get(reverse("inbox:detail", args=[current.pk])).content.decode()

    panel = page.split('data-testid="conversation-panel"')[1].split("</section>")[0]
    assert "Sigo sin fibra" in panel  # the thread
    assert "12500 followers" in panel  # reach
    assert 'data-testid="author-complaints">4<' in panel
    assert ">2</span>" in panel.split('data-testid="author-troll-flags"')[1]
    assert "La factura de marzo vino doble" in panel  # their other case
    assert reverse("escalation:author_escalations", args=[author.pk]) in panel


def test_the_escalations_fragment_lists_the_authors_escalations(client, community_manager, history):
    author, _earlier, _current = history
    client.force_login(community_manager)

    fragment = client.get(reverse("escalation:author_escalations", args=[author.pk])).content.decode()

    assert "Técnica" in fragment
    assert "¿Se le devolvió el cobro doble?" in fragment
    other = AuthorFactory()
    assert "No escalations about this author." in client.get(
        reverse("escalation:author_escalations", args=[other.pk])
    ).content.decode()


def test_the_escalations_fragment_is_for_console_staff_only(client, department_head, history):
    author, _earlier, _current = history
    client.force_login(department_head)
    assert client.get(reverse("escalation:author_escalations", args=[author.pk])).status_code == 403
    client.force_login(UserFactory(role="director", username="dir"))
    assert client.get(reverse("escalation:author_escalations", args=[author.pk])).status_code == 200
    assert client.get(reverse("escalation:author_escalations", args=[999999])).status_code == 404


def test_approved_answers_are_served_to_the_composer_as_json(client, community_manager, history, department_head):
    _author, earlier, current = history
    request = earlier.escalations.get()
    client.force_login(community_manager)
    url = reverse("inbox:reply_templates", args=[current.pk])
    assert client.get(url).json() == {"templates": []}

    escalation_services.escalation_answer_create(
        request_id=request.pk, author=department_head, text="Sí, el abono sale el día 5.", is_approved_wording=True
    )

    templates = client.get(url).json()["templates"]
    assert [(item["source"], item["body"]) for item in templates] == [("department", "Sí, el abono sale el día 5.")]
