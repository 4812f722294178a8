"""Crisis pages: who may open and act on them, and what they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from playbooks import services
from playbooks.models import Crisis, PlaybookRevision

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["playbooks:crisis_list", "playbooks:alert_list", "playbooks:playbook_list"]


@pytest.mark.parametrize("page", STAFF_PAGES)
@pytest.mark.parametrize(
    ("fixture", "expected"),
    [("community_manager", 200), ("director", 200), ("admin_user", 200), ("department_head", 403)],
)
def test_crisis_pages_are_for_the_crisis_team_not_department_heads(client, request, page, fixture, expected):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(reverse(page)).status_code == expected


@pytest.mark.parametrize(
    ("fixture", "expected"), [("community_manager", 200), ("director", 200), ("department_head", 403)]
)
def test_the_crisis_room_and_review_follow_the_same_rule(
    client, request, community_manager, technical_playbook, fixture, expected
):
    crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(reverse("playbooks:crisis_room", args=[crisis.pk])).status_code == expected
    assert client.get(reverse("playbooks:crisis_review", args=[crisis.pk])).status_code == expected


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [("community_manager", 403), ("director", 403), ("admin_user", 200), ("department_head", 403)],
)
def test_only_admins_edit_playbooks(client, request, technical_playbook, fixture, expected):
    client.force_login(request.getfixturevalue(fixture))
    assert (
        client.get(reverse("playbooks:playbook_edit", args=[technical_playbook.pk])).status_code == expected
    )


def test_a_department_head_cannot_declare_through_the_page(client, department_head, technical_playbook):
    client.force_login(department_head)
    response = client.post(reverse("playbooks:crisis_declare"), {"crisis_type": "technical", "level": "2"})
    assert response.status_code == 403
    assert Crisis.objects.count() == 0


def test_bad_input_is_a_400_with_a_reason_and_writes_nothing(client, community_manager, technical_playbook):
    client.force_login(community_manager)
    response = client.post(reverse("playbooks:crisis_declare"), {"crisis_type": "alien", "level": "9"})
    assert response.status_code == 400
    assert Crisis.objects.count() == 0


def test_mention_text_in_the_room_is_escaped(client, community_manager, technical_playbook):
    from tests.factories import MentionFactory

    mention = MentionFactory(text="<script>alert('x')</script> sin servicio")
    crisis = services.crisis_declare(
        actor=community_manager, crisis_type="technical", level=2, title="Caída", mention_ids=[mention.pk]
    )
    client.force_login(community_manager)
    body = client.get(reverse("playbooks:crisis_room", args=[crisis.pk])).content.decode()
    assert "<script>alert(" not in body
    assert "&lt;script&gt;" in body


def test_the_admin_edits_a_playbook_in_the_browser_and_sees_the_diff(client, admin_user, technical_playbook):
    client.force_login(admin_user)
    response = client.post(
        reverse("playbooks:playbook_edit", args=[technical_playbook.pk]),
        {
            "title": "Caída de red",
            "summary": "Averías",
            "approval": "any",
            "steps": "0 | community_manager | Confirmar el alcance\n15 | director | Llamar a <b>prensa</b>",
            "decision_makers": "role:director",
            "notify": "elena",
            "departments": "",
            "approvers": "role:director",
            "templates": "Avería | Hola {nombre}",
            "holding_statement": "Sabemos lo que pasa.",
            "principles": "No borrar",
            "note": "Más corto",
        },
    )
    assert response.status_code == 302
    assert technical_playbook.versions.count() == 2
    history = client.get(reverse("playbooks:playbook_history", args=[technical_playbook.pk])).content.decode()
    assert "+15 | director | Llamar a &lt;b&gt;prensa&lt;/b&gt;" in history


def test_a_malformed_step_line_is_refused(client, admin_user, technical_playbook):
    client.force_login(admin_user)
    response = client.post(
        reverse("playbooks:playbook_edit", args=[technical_playbook.pk]),
        {
            "title": "X",
            "approval": "any",
            "steps": "diez | community_manager | algo | más",
            "holding_statement": "x",
        },
    )
    assert response.status_code == 400
    assert technical_playbook.versions.count() == 1


def test_the_review_page_records_a_case_and_the_admin_accepts_it(
    client, community_manager, admin_user, technical_playbook
):
    crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    services.crisis_resolve(crisis_id=crisis.pk, actor=community_manager)
    client.force_login(community_manager)
    response = client.post(
        reverse("playbooks:crisis_review", args=[crisis.pk]),
        {
            "case": "Los clientes pidieron compensación",
            "step_text": "Anunciar la compensación",
            "role": "director",
            "minutes": "60",
            "principle": "",
        },
    )
    assert response.status_code == 302
    revision = PlaybookRevision.objects.get()
    client.force_login(admin_user)
    assert client.post(reverse("playbooks:revision_decide", args=[revision.pk, "accept"])).status_code == 302
    assert technical_playbook.versions.count() == 2


def test_the_crisis_list_query_count_does_not_grow_with_crises(client, community_manager, technical_playbook):
    client.force_login(community_manager)
    services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("playbooks:crisis_list"))
    for _ in range(5):
        services.crisis_declare(
            actor=community_manager, crisis_type="technical", level=2, title="Otra", another_wanted=True
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("playbooks:crisis_list"))
    assert len(many) <= len(few)  # the second page may read the approvers from the cache


# API ------------------------------------------------------------------------------------------


def test_api_declare_level_and_resolve(client, community_manager, technical_playbook):
    client.force_login(community_manager)
    response = client.post(
        "/api/crises/declare/",
        {"crisis_type": "technical", "level": 2, "title": "API"},
        content_type="application/json",
    )
    assert response.status_code == 201
    crisis_id = response.json()["id"]
    assert len(response.json()["checklist"]) == 3
    assert (
        client.post(f"/api/crises/{crisis_id}/level/", {"level": 3}, content_type="application/json").json()[
            "level"
        ]
        == 3
    )
    assert (
        client.post(
            f"/api/crises/{crisis_id}/level/", {"level": 5}, content_type="application/json"
        ).status_code
        == 400
    )
    assert client.post(f"/api/crises/{crisis_id}/resolve/").json()["status"] == "resolved"
    assert (
        client.post(
            f"/api/crises/{crisis_id}/level/", {"level": 2}, content_type="application/json"
        ).status_code
        == 400
    )
    listing = client.get("/api/crises/").json()
    assert [item["id"] for item in listing["results"]] == [crisis_id]
    assert client.get(f"/api/crises/{crisis_id}/").json()["timeline"][0]["kind"] == "declared"


def test_api_playbooks_and_alerts_for_staff_only(client, director, department_head, technical_playbook):
    client.force_login(director)
    playbooks = client.get("/api/playbooks/").json()
    assert playbooks[0]["version"] == 1
    assert client.get(f"/api/playbooks/{technical_playbook.pk}/").json()["content"]["title"] == "Caída de red"
    assert client.get("/api/alerts/").status_code == 200
    client.force_login(department_head)
    assert client.get("/api/playbooks/").status_code == 403
    assert client.get("/api/alerts/").status_code == 403
    assert (
        client.post(
            "/api/crises/declare/", {"crisis_type": "technical", "level": 2}, content_type="application/json"
        ).status_code
        == 403
    )
