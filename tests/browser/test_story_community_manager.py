"""Ana triages with the keyboard during a crisis: j/k, a, x and a bulk close, then replies from the
playbook's template (warned about a cheerful word) and escalates, without touching the mouse for triage."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from escalation.models import EscalationRequest
from inbox.models import Mention, MentionStatus, Reply
from playbooks.models import Crisis
from tests import factories
from tests.browser.conftest import screenshot

TEMPLATE = (
    "Hola {nombre}, sentimos las molestias: hay una incidencia y la próxima actualización será a las "
    "{hora_siguiente_actualizacion}. {firma}"
)


def current_id(page) -> int:
    return int(page.get_attribute("#mention-rows tr.is-current", "data-mention-id"))


def test_the_community_manager_triages_replies_and_escalates_with_the_keyboard(
    login_as, community_manager, department
):
    # Given a declared crisis whose playbook has a reply template, and four mentions waiting
    Crisis.objects.create(
        title="Caída de la fibra",
        brand="Telco",
        crisis_type="technical",
        level=2,
        status="declared",
        declared_at=timezone.now(),
        playbook_content={"templates": [{"name": "Incidencia", "body": TEMPLATE}]},
    )
    now = timezone.now()
    author = factories.AuthorFactory(handle="lucia", display_name="Lucía")
    # (the queue shows the highest priority first)
    newest = factories.MentionFactory(author=author, text="Sin fibra en Chamberí", received_at=now, priority=90)
    spam_one = factories.MentionFactory(
        text="Gana un iPhone aquí", received_at=now - timedelta(minutes=1), priority=70
    )
    spam_two = factories.MentionFactory(text="Sigue mi cuenta", received_at=now - timedelta(minutes=2), priority=60)
    oldest = factories.MentionFactory(
        text="¿Cuándo vuelve la fibra?", received_at=now - timedelta(minutes=3), priority=40
    )

    page = login_as(community_manager)
    page.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    assert page.locator("#mention-rows tr").count() == 4

    # When she moves with j/k the cursor follows
    page.keyboard.press("j")
    assert current_id(page) == newest.pk
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert current_id(page) == spam_one.pk

    # and "a" assigns the first mention to her, the row updating in place
    page.keyboard.press("k")
    page.keyboard.press("a")
    page.wait_for_selector(f'#mention-rows tr[data-mention-id="{newest.pk}"] .assignee', timeout=10_000)
    assert Mention.objects.get(pk=newest.pk).assignee == community_manager
    assert current_id(page) == newest.pk

    # "x" ticks the two spam mentions and the bulk bar closes both at once
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.inner_text("#bulk-count").startswith("2")
    screenshot(page, "story-cm-1-inbox-selection")
    page.click("[data-testid=bulk-close]")
    # (acted on in place: the rows leave without a reload)
    expect(page.locator("#mention-rows tr")).to_have_count(2)
    assert set(Mention.objects.filter(status=MentionStatus.CLOSED).values_list("pk", flat=True)) == {
        spam_one.pk,
        spam_two.pk,
    }
    expect(page.locator("#mention-rows tr")).to_have_count(2)
    # the keyboard cursor moved on to the next row instead of being lost
    expect(page.locator('#mention-rows tr[aria-selected="true"]')).to_have_count(1)
    assert current_id(page) == oldest.pk

    # "?" shows the shortcuts, Escape closes them
    page.keyboard.press("?")
    assert page.is_visible("[data-testid=shortcuts-help]")
    screenshot(page, "story-cm-2-shortcuts")
    page.keyboard.press("Escape")
    assert not page.is_visible("[data-testid=shortcuts-help]")

    # "r" on the first mention opens it with the composer focused and the response clock ticking
    page.keyboard.press("k")
    page.keyboard.press("r")
    page.wait_for_selector("#reply-form")
    expect(page.locator("#id_body")).to_be_focused(timeout=5_000)
    clock = page.locator("[data-testid=response-clock]")
    first = clock.inner_text()
    page.wait_for_timeout(1_100)
    assert clock.inner_text() != first

    # She starts from the playbook's template: the customer's name and the next update are filled in
    page.select_option("#reply-template", "0")
    draft = page.input_value("#id_body")
    assert draft.startswith("Hola Lucía, sentimos las molestias")
    assert "{" not in draft

    # A cheerful word during the crisis is flagged as she types, but she may still send
    page.focus("#id_body")
    page.keyboard.press("End")
    page.keyboard.type(" ¡Genial!")
    warning = page.wait_for_selector("[data-testid=reply-warnings] [data-code=cheerful]", timeout=5_000)
    assert "genial" in warning.inner_text().lower()
    assert "Hola Lucía" in page.inner_text("[data-testid=reply-preview]")
    screenshot(page, "story-cm-3-composer-warning")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=reply-submit]")
    page.wait_for_selector("[data-testid=reply-state]", timeout=10_000)
    reply = Reply.objects.get(mention=newest)
    assert reply.body.startswith("Hola Lucía") and reply.body.endswith("¡Genial!")

    # "e" takes her to the escalation panel, and she asks Técnica
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.id") == "escalate-question"
    page.keyboard.type("¿Cuándo vuelve la fibra en Chamberí?")
    page.select_option("#escalate-department", str(department.pk))
    page.click("[data-testid=escalate-submit]")
    page.wait_for_selector("[data-testid=escalation-status]", timeout=10_000)
    assert EscalationRequest.objects.get().question == "¿Cuándo vuelve la fibra en Chamberí?"
    screenshot(page, "story-cm-4-escalated")
    assert Mention.objects.get(pk=oldest.pk).status == MentionStatus.NEW
