"""Ana answers on X: the counter counts as X does (the signature included, a link as 23), an over-long
reply cannot go, a sent one can be undone within 10 seconds, and hiding says where it is hidden.
At 1440×900 and at 390×844, without horizontal scrolling."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from escalation import services as escalation_services
from inbox.models import Mention, Reply, ReplyState
from tests import factories
from tests.browser.conftest import screenshot

VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


def in_a_thread(change) -> None:
    """Playwright's event loop owns this thread; live events published by `change` need async_to_sync."""

    def run() -> None:
        try:
            change()
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)


def no_horizontal_scroll(page) -> bool:
    """Nothing of the mention page (composer, conversation panel, actions) reaches past the viewport.

    The top navigation belongs to base.html and is checked by its own stories."""
    return page.evaluate(
        "Array.from(document.querySelectorAll('#mention-detail, #mention-detail *'))"
        ".every((element) => element.getBoundingClientRect().right <= window.innerWidth + 1)"
    )


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_counter_undo_and_hide_message(login_as, community_manager, department, department_head, size):
    author = factories.AuthorFactory(handle="lucia", followers=3400, complaint_count=3, hidden_as_troll_count=1)
    x_channel = factories.ChannelFactory(kind="x", name=f"Telco X {size}")
    mention = factories.MentionFactory(channel=x_channel, author=author, text="¿Cuándo vuelve la fibra?")
    factories.MentionFactory(author=author, text="Otra vez sin línea", category="complaint")

    page = login_as(community_manager)
    page.set_viewport_size(VIEWPORTS[size])
    page.goto(f"/inbox/mentions/{mention.pk}/")
    counter = page.get_by_test_id("reply-counter")
    box = page.locator("#id_body")

    # The counter counts the signature ("\n— Ana", 6) and a link as 23, like X
    box.fill("Mira https://status.telco.example/incidencias/fibra/madrid/chamberi")
    expect(counter).to_have_text("34 / 280 characters, signature included")
    expect(page.get_by_test_id("author-escalations")).to_be_visible()  # loaded from escalation
    expect(page.get_by_test_id("author-reach")).to_have_text("3400 followers")
    page.wait_for_selector("#live-status[data-state=open]", timeout=10_000)

    # A department's approved answer joins the templates live, without a reload
    def escalate_and_answer() -> None:
        request = escalation_services.escalation_request_create(
            raised_by=community_manager, department=department, question="¿Plazo?", mention_ids=[mention.pk]
        )
        escalation_services.escalation_answer_create(
            request_id=request.pk, author=department_head, text="Vuelve antes de las 18:00.", is_approved_wording=True
        )

    in_a_thread(escalate_and_answer)  # its live events need async_to_sync, which Playwright's loop forbids here
    expect(page.locator("#reply-template option")).to_contain_text(["Choose a template…", "Vuelve antes de las 18:00."])
    expect(page.get_by_test_id("author-escalation")).to_contain_text("¿Plazo?")

    # Over the limit: said plainly, and the reply does not go
    box.fill("a" * 280)
    expect(counter).to_have_text("6 characters over the X limit of 280: shorten the reply.")
    expect(counter).to_have_class("reply-counter over")
    screenshot(page, f"story-composer-1-over-limit-{size}")
    submit = page.get_by_test_id("reply-submit")
    expect(submit).to_have_attribute("aria-disabled", "true")
    submit.click(force=True)  # even forced, the page keeps the reply
    expect(counter).to_have_class("reply-counter over")
    assert not Reply.objects.filter(mention=mention).exists()
    assert no_horizontal_scroll(page)

    # Within the limit it is queued, with 10 seconds to undo
    box.fill("Lo estamos mirando ahora mismo.")
    page.get_by_test_id("reply-submit").click()
    expect(page.locator(".messages")).to_contain_text("Reply queued: it goes out in 10 seconds")
    undo = page.get_by_test_id("reply-undo")
    expect(undo).to_contain_text("Undo (")
    screenshot(page, f"story-composer-2-undo-{size}")
    undo.click()
    expect(page.get_by_test_id("reply-status")).to_have_text("Reply undone: nothing was sent.")
    expect(page.get_by_test_id("reply-undo")).to_have_count(0)
    reply = Reply.objects.get(mention=mention)
    assert reply.state == ReplyState.CANCELLED

    # Hiding: X cannot hide comments, and the page says where it is hidden
    expect(page.get_by_test_id("hide-explain")).to_contain_text("X cannot hide comments")
    page.fill("#id_reason", "Spam")
    page.get_by_test_id("hide-submit").click()
    expect(page.locator(".messages")).to_contain_text("Hidden: out of the queue and off the response clock.")
    expect(page.get_by_test_id("network-hidden-state")).to_have_text(
        "This network cannot hide comments: hidden in Crisis Desk only."
    )
    expect(page.get_by_test_id("response-clock")).to_have_text("hidden: off the response clock")
    assert Mention.objects.get(pk=mention.pk).is_hidden
    assert no_horizontal_scroll(page)
    screenshot(page, f"story-composer-3-hidden-{size}")
