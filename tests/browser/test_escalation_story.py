"""Two people side by side: the CM escalates from a mention, the head sees it arrive live and answers,
and the answer appears on the CM's mention page, neither of them reloading."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import expect

from escalation.models import EscalationRequest
from tests import factories
from tests.browser.conftest import screenshot

QUESTION = "¿Hay una avería de fibra en Madrid? ¿Cuándo vuelve el servicio?"
ANSWER = "Sí: avería en la central de Chamartín, servicio restablecido hacia las 14:00."


def test_cm_escalates_and_the_head_answers_live(login_as, community_manager, department, department_head):
    mention = factories.MentionFactory(text="Sin fibra desde esta mañana <b>en Madrid</b>")

    # Given the head is on the escalation desk, with the live connection open
    head = login_as(department_head)
    head.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    head.evaluate("window.__sameDocument = true")
    assert head.locator("[data-testid=escalation-card]").count() == 0

    # When the community manager escalates the mention to Técnica
    cm = login_as(community_manager)
    cm.goto(reverse("inbox:detail", args=[mention.pk]))
    assert cm.locator("[data-testid=mention-text]").inner_text().endswith("<b>en Madrid</b>")
    cm.select_option("#escalate-department", str(department.pk))
    assert cm.input_value("#escalate-minutes") == "60"
    cm.fill("#escalate-question", QUESTION)
    cm.click("[data-testid=escalate-submit]")
    cm.wait_for_selector("[data-testid=escalation-status]")
    cm.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    cm.evaluate("window.__sameDocument = true")
    screenshot(cm, "escalation-1-cm-escalated")

    # Then the request appears on the head's desk without a reload, with its countdown running
    card = head.wait_for_selector("[data-testid=escalation-card]", timeout=10_000)
    assert QUESTION in card.inner_text()
    first = head.locator("[data-testid=countdown]").inner_text()
    expect(head.locator("[data-testid=countdown]")).not_to_have_text(first, timeout=5_000)
    assert head.evaluate("window.__sameDocument") is True
    screenshot(head, "escalation-2-head-desk-live")

    # When the head answers
    request = EscalationRequest.objects.get()
    head.fill(f"#answer-{request.pk}", ANSWER)
    head.click("[data-testid=answer-submit]")
    head.wait_for_load_state("networkidle")

    # Then the CM sees the answer on the mention page, live
    answer = cm.wait_for_selector("[data-testid=escalation-answer]", timeout=10_000)
    assert ANSWER in answer.inner_text()
    assert cm.locator("[data-testid=escalation-status]").first.inner_text() in ("Answered", "Respondida")
    assert cm.evaluate("window.__sameDocument") is True
    screenshot(cm, "escalation-3-cm-sees-answer")
    screenshot(head, "escalation-4-head-after-answer")
