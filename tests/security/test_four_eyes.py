"""Four eyes on public statements, and nested crisis URLs that only reach what belongs to the crisis.

Issue #15, point 6: with one approver named by role (`role:director`), Elena, a director, could
submit a statement and approve it herself; and `/crises/999999/statements/<id>/decide/` approved a
statement through a crisis that does not exist.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from playbooks import services
from playbooks.models import ChecklistItem, Playbook, Statement, StatementStatus
from tests import factories
from tests.playbooks.conftest import technical_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def technical_playbook(db):
    """Level 2 technical playbook; statements are approved by "role:director"."""
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Caída de red")
    services.playbook_version_create(playbook_id=playbook.pk, content=technical_content(), actor=None)
    return playbook


def _declare(actor, **kwargs):
    return services.crisis_declare(actor=actor, crisis_type="technical", level=2, title="Caída", **kwargs)


def _decide(client, crisis_id: int, statement_id: int, decision: str = "approve", comment: str = ""):
    return client.post(
        f"/crises/{crisis_id}/statements/{statement_id}/decide/", {"decision": decision, "comment": comment}
    )


def test_the_author_cannot_approve_her_own_statement_when_she_is_the_only_approver(
    client, director, technical_playbook
):
    # Given a playbook whose only approver is "role:director", and Elena the only director
    crisis = _declare(director)
    statement = services.statement_submit(crisis_id=crisis.pk, author=director, body="Estamos en ello")

    # When Elena, the author, tries to approve it
    client.force_login(director)
    response = _decide(client, crisis.pk, statement.pk)

    # Then she is refused with a clear message and the statement still waits
    assert response.status_code == 403
    assert "another approver must decide" in response.content.decode()
    statement.refresh_from_db()
    assert statement.status == StatementStatus.PENDING
    assert not statement.decisions.exists()
    # and the crisis room says another approver is needed, without offering her the buttons
    room = client.get(reverse("playbooks:crisis_room", args=[crisis.pk])).content.decode()
    assert 'data-testid="needs-approver"' in room
    assert reverse("playbooks:statement_decide", args=[crisis.pk, statement.pk]) not in room


def test_the_author_cannot_send_back_his_statement_either(client, director, technical_playbook):
    crisis = _declare(director)
    statement = services.statement_submit(crisis_id=crisis.pk, author=director, body="Estamos en ello")
    client.force_login(director)

    response = _decide(client, crisis.pk, statement.pk, decision="return", comment="Lo cambio")

    assert response.status_code == 403
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.PENDING


def test_the_service_refuses_the_author_even_if_old_data_names_her_an_approver(director, technical_playbook):
    # Given a statement written before four eyes were enforced, with its author among its approvers
    crisis = _declare(director)
    statement = services.statement_submit(crisis_id=crisis.pk, author=director, body="Estamos en ello")
    statement.approvers.add(director)

    # When the API or any other caller asks the service to approve it as the author, it refuses
    with pytest.raises(services.CrisisForbidden):
        services.statement_decide(crisis_id=crisis.pk, statement_id=statement.pk, approver=director, approve=True)
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.PENDING


def test_with_a_second_director_the_author_is_not_an_approver_and_the_other_one_decides(
    client, director, technical_playbook
):
    other_director = factories.UserFactory(role="director", username="carlos", first_name="Carlos")
    crisis = _declare(director)
    statement = services.statement_submit(crisis_id=crisis.pk, author=director, body="Estamos en ello")
    assert list(statement.approvers.all()) == [other_director]

    client.force_login(other_director)
    assert _decide(client, crisis.pk, statement.pk).status_code == 302
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.APPROVED


def test_a_statement_cannot_be_decided_through_a_crisis_that_does_not_own_it(
    client, community_manager, director, technical_playbook
):
    # Given Ana's statement in one crisis, and a second crisis
    crisis = _declare(community_manager)
    other_crisis = _declare(community_manager, brand="Otra marca")
    statement = services.statement_submit(crisis_id=crisis.pk, author=community_manager, body="Estamos en ello")
    client.force_login(director)

    # When Elena approves it through a crisis that does not exist, or through the other crisis
    missing = _decide(client, 999999, statement.pk)
    wrong = _decide(client, other_crisis.pk, statement.pk)

    # Then both answer 404 and nothing is decided
    assert (missing.status_code, wrong.status_code) == (404, 404)
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.PENDING
    # while the right URL works
    assert _decide(client, crisis.pk, statement.pk).status_code == 302


def test_a_checklist_step_cannot_be_ticked_through_a_crisis_that_does_not_own_it(
    client, community_manager, technical_playbook
):
    crisis = _declare(community_manager)
    other_crisis = _declare(community_manager, brand="Otra marca")
    step = crisis.checklist.first()
    client.force_login(community_manager)

    for crisis_id in (999999, other_crisis.pk):
        response = client.post(f"/crises/{crisis_id}/checklist/{step.pk}/", {"done": "1"})
        assert response.status_code == 404
    assert ChecklistItem.objects.get(pk=step.pk).done_at is None
    assert client.post(f"/crises/{crisis.pk}/checklist/{step.pk}/", {"done": "1"}).status_code == 302
    assert ChecklistItem.objects.get(pk=step.pk).done_at is not None
