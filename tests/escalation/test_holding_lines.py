"""Holding lines: approved in calm times, offered by the composer only once a request is overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation import holding_lines, selectors, services
from escalation.models import Answer, EscalationRequest, HoldingLine
from escalation.services.errors import EscalationPermissionError
from inbox import hooks
from inbox.models import MentionCluster
from tests.factories import MentionFactory


@pytest.fixture
def mention(db):
    return MentionFactory(text="Sin fibra en Madrid desde ayer", category="complaint")


def _request(department, mention, *, due_in: timedelta) -> EscalationRequest:
    request = EscalationRequest.objects.create(
        department=department, question="¿Cuándo vuelve?", due_at=timezone.now() + due_in
    )
    request.mentions.add(mention)
    return request


@pytest.fixture
def lines(department, other_department, department_head, other_department_head):
    """Técnica: one line on "fibra", one on complaints, one on billing, one unapproved, one retired."""
    make = services.holding_line_create
    return {
        "fibra": make(
            user=department_head, department=department, topic="fibra", text="Lo estamos mirando.", approve=True
        ),
        "complaint": make(
            user=department_head, department=department, topic="complaint", text="Sentimos las molestias.", approve=True
        ),
        "billing": make(
            user=department_head, department=department, topic="factura", text="Revisamos su factura.", approve=True
        ),
        "pending": make(user=department_head, department=department, topic="fibra", text="Borrador"),
        "retired": services.holding_line_retire(
            user=department_head,
            line_id=make(user=department_head, department=department, topic="fibra", text="Vieja", approve=True).pk,
        ),
        "other": make(user=other_department_head, department=other_department, topic="fibra", text="Jurídico dice"),
    }


def _offered(mention) -> list[tuple[str, str, str]]:
    return hooks.mention_reply_templates(mention=mention)


def test_nothing_is_offered_while_the_request_is_on_time(lines, department, mention):
    _request(department, mention, due_in=timedelta(minutes=30))

    assert _offered(mention) == []


def test_once_overdue_the_department_lines_for_the_topic_are_offered(lines, department, other_department, mention):
    _request(department, mention, due_in=-timedelta(minutes=1))
    services.holding_line_approve(user=lines["other"].created_by, line_id=lines["other"].pk)  # Jurídico: not asked

    offered = _offered(mention)

    assert sorted(text for _source, _name, text in offered) == ["Lo estamos mirando.", "Sentimos las molestias."]
    assert {source for source, _name, _text in offered} == {"holding_line"}
    assert "Técnica · holding line · fibra" in [name for _source, name, _text in offered]


def test_an_overdue_request_about_the_cluster_offers_them_on_its_other_mentions(lines, department, mention):
    now = timezone.now()
    cluster = MentionCluster.objects.create(
        brand="Telco",
        channel=mention.channel,
        signature=[1],
        bands=[1],
        representative_text="x",
        first_seen_at=now,
        last_seen_at=now,
    )
    mention.cluster = cluster
    mention.save(update_fields=["cluster"])
    sibling = MentionFactory(channel=mention.channel, cluster=cluster, text="Tampoco tengo fibra", category="question")
    _request(department, mention, due_in=-timedelta(minutes=1))

    assert [text for _source, _name, text in _offered(sibling)] == ["Lo estamos mirando."]


def test_a_head_manages_only_the_departments_they_head(
    department, other_department, department_head, community_manager, director
):
    assert holding_lines.user_may_manage_holding_lines(user=department_head, department_id=department.pk)
    assert not holding_lines.user_may_manage_holding_lines(user=department_head, department_id=other_department.pk)
    assert not holding_lines.user_may_manage_holding_lines(user=community_manager, department_id=department.pk)
    assert holding_lines.user_may_manage_holding_lines(user=director, department_id=other_department.pk)
    with pytest.raises(EscalationPermissionError):
        services.holding_line_create(user=department_head, department=other_department, topic="x", text="y")


def test_the_page_adds_and_approves_within_the_heads_departments(
    client, department, other_department, department_head, other_department_head, community_manager
):
    client.force_login(department_head)
    url = reverse("escalation:holding_lines")

    added = client.post(url, {"department": department.pk, "topic": "fibra", "text": "Lo miramos."})
    refused = client.post(url, {"department": other_department.pk, "topic": "fibra", "text": "No."})
    theirs = services.holding_line_create(user=other_department_head, department=other_department, topic="a", text="b")
    approve_theirs = client.post(reverse("escalation:holding_line_approve", args=[theirs.pk]))
    mine = HoldingLine.objects.get(department=department)
    approve_mine = client.post(reverse("escalation:holding_line_approve", args=[mine.pk]))
    page = client.get(url).content.decode()
    client.force_login(community_manager)

    assert added.status_code == 302 and refused.status_code == 200  # not a choice: the form refuses it
    assert HoldingLine.objects.filter(department=other_department).count() == 1
    assert approve_theirs.status_code == 403 and approve_mine.status_code == 302
    mine.refresh_from_db()
    assert mine.approved_by == department_head and mine.approved_at is not None
    assert "Lo miramos." in page and ">b<" not in page
    assert client.get(url).status_code == 403


def test_approved_answers_are_labelled_with_their_department_and_age(department):
    request = EscalationRequest.objects.create(department=department, question="?", due_at=timezone.now())
    Answer.objects.create(
        request=request,
        text="Vuelve a las 14:00.",
        is_approved_wording=True,
        created_at=timezone.now() - timedelta(hours=2, minutes=5),
    )

    assert selectors.approved_wordings_for_templates(limit=5) == [
        ("Técnica answered this 2 h ago", "Vuelve a las 14:00.")
    ]


def test_the_composer_offers_them_once_overdue(lines, department, mention, community_manager):
    from inbox.composer import reply_templates

    before = reply_templates(mention=mention, author=community_manager)
    _request(department, mention, due_in=-timedelta(minutes=1))
    after = reply_templates(mention=mention, author=community_manager)
    assert "holding_line" not in {template.source for template in before}
    assert ("holding_line", "Técnica · holding line · fibra") in [(t.source, t.name) for t in after]
