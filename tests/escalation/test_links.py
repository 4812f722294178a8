"""The signed link in every notification: it opens its own request's phone page, once per action, for 72 h."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from crisisdesk.models import AuditEvent
from escalation import services
from escalation.models import Answer, EscalationRequest, LinkUse, RequestStatus
from escalation.services.links import request_link_token

pytestmark = pytest.mark.django_db


def _soon() -> str:
    return timezone.localtime(timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def escalation(people, department, chain_policy, mention):
    return services.escalation_request_create(
        raised_by=people["cm"], department=department, question="¿Cuándo vuelve la fibra?", mention_ids=[mention.pk]
    )


def _page(request_id: int, token: str) -> str:
    return reverse("escalation:respond", args=[request_id, token])


def test_the_link_opens_its_request_with_the_context_and_no_sign_in(client, people, escalation):
    token = request_link_token(request_id=escalation.pk, user_id=people["owner"].pk)
    response = client.get(_page(escalation.pk, token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "¿Cuándo vuelve la fibra?" in page
    assert 'data-testid="respond-mention"' in page and 'data-testid="author-history"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)</script>" not in page
    assert 'data-testid="respond-timeline"' in page and 'name="promised_at"' in page
    assert 'data-testid="respond-answer-form"' in page


@pytest.mark.parametrize("case", ["other request", "tampered", "expired", "garbage"])
def test_the_link_is_refused_for_another_request_tampered_or_expired(
    client, people, department, escalation, monkeypatch, case
):
    other = services.escalation_request_create(raised_by=people["cm"], department=department, question="¿Otra?")
    token = request_link_token(request_id=escalation.pk, user_id=people["owner"].pk)
    request_id = escalation.pk
    if case == "other request":
        request_id = other.pk
    elif case == "tampered":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    elif case == "expired":
        real = time.time
        monkeypatch.setattr(signing.time, "time", lambda: real() - 73 * 3600)
        token = request_link_token(request_id=escalation.pk, user_id=people["owner"].pk)
        monkeypatch.setattr(signing.time, "time", real)
    else:
        token = "not-a-token"
    assert client.get(_page(request_id, token)).status_code == 403
    response = client.post(reverse("escalation:respond_answer", args=[request_id, token]), {"text": "Hackeado"})
    assert response.status_code == 403
    assert Answer.objects.count() == 0 and LinkUse.objects.count() == 0


def test_each_action_works_once_through_the_link_and_is_audited(client, people, escalation):
    token = request_link_token(request_id=escalation.pk, user_id=people["owner"].pk)
    acknowledge = reverse("escalation:respond_acknowledge", args=[escalation.pk, token])
    answer = reverse("escalation:respond_answer", args=[escalation.pk, token])

    # A past time is refused with the reason, and does not use the link up
    past = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(acknowledge, {"promised_at": past})
    assert refused.status_code == 400 and "The promised time must be in the future." in refused.content.decode()
    assert LinkUse.objects.count() == 0

    assert client.post(acknowledge, {"promised_at": _soon(), "holding_line": "Revisando"}).status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == RequestStatus.ACKNOWLEDGED and escalation.acknowledged_by == people["owner"]
    assert escalation.holding_line == "Revisando"
    again = client.post(acknowledge, {"promised_at": _soon()})
    assert again.status_code == 403 and "already been used" in again.content.decode()

    assert client.post(answer, {"text": "Vuelve a las 14:00"}).status_code == 302
    assert client.post(answer, {"text": "Otra vez"}).status_code == 403
    assert list(Answer.objects.values_list("text", "author")) == [("Vuelve a las 14:00", people["owner"].pk)]
    uses = AuditEvent.objects.filter(verb="escalation.link_use", target_id=str(escalation.pk))
    assert sorted(use.data["action"] for use in uses) == ["acknowledge", "answer"]
    assert {use.actor for use in uses} == {people["owner"]}
    # The page still opens, without the forms it has used
    page = client.get(_page(escalation.pk, token)).content.decode()
    assert 'data-testid="respond-answer-form"' not in page and "Vuelve a las 14:00" in page


def test_a_personal_link_for_someone_outside_the_department_opens_nothing(client, other_department_head, escalation):
    token = request_link_token(request_id=escalation.pk, user_id=other_department_head.pk)
    assert client.get(_page(escalation.pk, token)).status_code == 403
    response = client.post(reverse("escalation:respond_answer", args=[escalation.pk, token]), {"text": "No"})
    assert response.status_code == 403 and Answer.objects.count() == 0


def test_a_channel_link_asks_for_sign_in_and_then_acts_as_the_member(client, people, escalation):
    token = request_link_token(request_id=escalation.pk, user_id=None)
    anonymous = client.get(_page(escalation.pk, token))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    client.force_login(people["head"])
    assert client.get(_page(escalation.pk, token)).status_code == 200
    client.post(reverse("escalation:respond_answer", args=[escalation.pk, token]), {"text": "Sí"})
    assert EscalationRequest.objects.get(pk=escalation.pk).answers.get().author == people["head"]


def test_the_email_carries_a_working_personal_link(
    client, people, department, chain_policy, mention, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = services.escalation_request_create(
            raised_by=people["cm"], department=department, question="¿Avería?", mention_ids=[mention.pk]
        )
    [message] = mail.outbox
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    link = re.search(r"http://[^\s\"<]+/respond/[^\s\"<]+/", message.body).group(0)
    assert link in html and "¿Avería?" in message.body and "¿Avería?" in html
    assert "@" + mention.author.handle in message.body
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    path = link.removeprefix("http://127.0.0.1:8000")
    response = client.get(path)
    assert response.status_code == 200 and response.context["actor"] == people["owner"]
    assert request.pk == response.context["escalation"].pk
