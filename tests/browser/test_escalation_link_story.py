"""A department head, paged on a phone, opens the notification's signed link (no sign-in), promises an
answer time with a holding line and then answers; the community manager's desk shows both live."""

from __future__ import annotations

from django.urls import reverse

from escalation import services
from escalation.services.links import request_link_token
from tests import factories
from tests.browser.conftest import screenshot

QUESTION = "¿Hay una avería de fibra en Madrid? ¿Cuándo vuelve el servicio?"
HOLDING = "Estamos revisando la incidencia con el equipo técnico."
ANSWER = "Avería en la central de Chamartín: servicio restablecido hacia las 14:00."


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_head_answers_from_the_signed_page_on_a_phone_while_the_desk_updates_live(
    login_as, chromium, console_server, community_manager, department, department_head
):
    # Given a request to Técnica raised from a long mention, and the CM watching it on the desk
    mention = factories.MentionFactory(text="Sin fibra desde esta mañana en Madrid " + "muy " * 40 + "enfadado")
    request = services.escalation_request_create(
        raised_by=community_manager, department=department, question=QUESTION, mention_ids=[mention.pk]
    )
    cm = login_as(community_manager)
    cm.goto(reverse("escalation:detail", args=[request.pk]))
    cm.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    cm.evaluate("window.__sameDocument = true")

    # When the head opens the link from the e-mail on a 390×844 phone, not signed in
    phone = chromium.new_context(base_url=console_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        token = request_link_token(request_id=request.pk, user_id=department_head.pk)
        page.goto(reverse("escalation:respond", args=[request.pk, token]))
        page.wait_for_selector("[data-testid=respond-page]")
        assert QUESTION in page.locator("[data-testid=respond-question]").inner_text()
        assert page.locator("[data-testid=respond-mention]").count() == 1
        assert _no_horizontal_scroll(page)
        screenshot(page, "escalation-link-1-phone")

        # And acknowledges with a promised time and a holding line
        page.fill("[data-testid=holding-line]", HOLDING)
        page.click("[data-testid=respond-acknowledge]")
        page.wait_for_selector("[data-testid=promise]")
        assert _no_horizontal_scroll(page)

        # Then the CM's card shows the promise and the holding line, live
        cm.wait_for_selector("[data-testid=holding-line-shown]", timeout=10_000)
        assert HOLDING in cm.locator("[data-testid=holding-line-shown]").inner_text()

        # When the head answers from the phone
        page.fill("#answer-text", ANSWER)
        page.click("[data-testid=respond-answer-submit]")
        page.wait_for_selector("[data-testid=respond-answer]")
        assert page.locator("[data-testid=respond-answer-form]").count() == 0
        assert _no_horizontal_scroll(page)
        screenshot(page, "escalation-link-2-phone-answered")

        # Then the answer appears on the CM's desk without a reload
        answer = cm.wait_for_selector("[data-testid=card-answer]", timeout=10_000)
        assert ANSWER in answer.inner_text()
        assert cm.evaluate("window.__sameDocument") is True
        screenshot(cm, "escalation-link-3-cm-desk")
    finally:
        phone.close()
