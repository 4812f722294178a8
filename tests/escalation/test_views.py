"""The pages: escalate from a mention, answer from the desk, and strangers' text always escaped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalation import services
from escalation.demo import seed
from escalation.forms import promise_default
from escalation.models import EscalationPolicy, EscalationRequest
from inbox.models import MentionStatus

pytestmark = pytest.mark.django_db


def test_the_mention_page_offers_escalation_with_the_policy_deadline(
    client, community_manager, department, chain_policy, mention
):
    client.force_login(community_manager)
    page = client.get(reverse("inbox:detail", args=[mention.pk])).content.decode()
    assert 'data-testid="escalate-form"' in page
    assert f'value="{department.pk}" data-default-minutes="60"' in page
    assert "<script>alert(1)</script>" not in page


def test_a_community_manager_escalates_from_the_mention_page(
    client, community_manager, department, department_head, mention, django_capture_on_commit_callbacks
):
    client.force_login(community_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("escalation:mention_escalate", args=[mention.pk]),
            {"department": department.pk, "question": "¿Cuándo vuelve?", "due_in_minutes": "30"},
        )
    assert response.status_code == 302 and response["Location"] == reverse("inbox:detail", args=[mention.pk])
    request = EscalationRequest.objects.get()
    assert (request.due_at - request.created_at).total_seconds() == pytest.approx(1800, abs=5)
    mention.refresh_from_db()
    assert mention.status == MentionStatus.ESCALATED
    panel = client.get(reverse("escalation:mention_panel", args=[mention.pk])).content.decode()
    assert "¿Cuándo vuelve?" in panel and department.name in panel


def test_a_bad_escalation_form_writes_nothing_and_says_why(client, community_manager, department, mention):
    client.force_login(community_manager)
    response = client.post(
        reverse("escalation:mention_escalate", args=[mention.pk]),
        {"department": department.pk, "question": "", "due_in_minutes": "-5"},
        follow=True,
    )
    assert response.status_code == 200
    assert EscalationRequest.objects.count() == 0
    assert len(list(response.context["messages"])) == 1
    assert client.post(reverse("escalation:mention_escalate", args=[999_999]), {}).status_code == 404


def test_the_head_answers_from_the_desk_and_the_answer_shows_on_the_mention(
    client, community_manager, department, department_head, chain_policy, mention
):
    request = services.escalation_request_create(
        raised_by=community_manager, department=department, question="¿Avería?", mention_ids=[mention.pk]
    )
    client.force_login(department_head)
    desk = client.get(reverse("escalation:desk")).content.decode()
    assert f'id="escalation-{request.pk}"' in desk and 'data-due-at="' in desk
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in desk and "<script>alert(1)</script>" not in desk

    response = client.post(
        reverse("escalation:answer", args=[request.pk]),
        {
            "text": "Vuelve a las <b>14:00</b>",
            "is_approved_wording": "on",
            "next": reverse("escalation:desk"),
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("escalation:desk")

    client.force_login(community_manager)
    panel = client.get(reverse("escalation:mention_panel", args=[mention.pk])).content.decode()
    assert "Vuelve a las &lt;b&gt;14:00&lt;/b&gt;" in panel


def test_the_desk_partial_returns_only_cards_newer_than_the_last_one(
    client, community_manager, department, department_head, mention
):
    first = services.escalation_request_create(
        raised_by=community_manager, department=department, question="Uno"
    )
    second = services.escalation_request_create(
        raised_by=community_manager, department=department, question="Dos"
    )
    client.force_login(department_head)
    html = client.get(reverse("escalation:cards"), {"after": first.pk}).content.decode()
    assert f'id="escalation-{second.pk}"' in html and f'id="escalation-{first.pk}"' not in html


def test_an_off_site_next_is_ignored(client, community_manager, department, department_head):
    request = services.escalation_request_create(
        raised_by=community_manager, department=department, question="¿?"
    )
    client.force_login(department_head)
    response = client.post(
        reverse("escalation:acknowledge", args=[request.pk]),
        {"next": "https://evil.example/", "promised_at": promise_default()},
    )
    assert response["Location"] == reverse("escalation:desk")


def test_demo_policies_are_seeded_once(department):
    seed()
    seed()
    assert EscalationPolicy.objects.filter(department__isnull=True, is_default=True).count() == 1
    assert EscalationPolicy.objects.get(department=department).steps.count() == 4
