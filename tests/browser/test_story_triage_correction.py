"""Ana sees why triage labelled a mention and how sure the model was, and corrects it with one key."""

from __future__ import annotations

from playwright.sync_api import expect

from inbox.models import LabelCorrection, Mention
from tests import factories
from tests.browser.conftest import screenshot

SELECTED = '#mention-rows tr[aria-selected="true"]'


def doubtful_spam() -> Mention:
    return factories.MentionFactory(
        text="Sorteo de una tablet en vuestra web, ¿alguien sabe si es de verdad?",
        sentiment="neutral",
        category="spam",
        priority=80,
        triage_tier="model",
        triage_confidence=0.55,
        triage_reasons=["Spam: sorteo", "High reach: 20k"],
    )


def test_reasons_and_confidence_show_and_one_key_corrects_the_category(login_as, community_manager):
    # Given a mention the model called spam, 55 % sure
    mention = doubtful_spam()
    page = login_as(community_manager)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/inbox/")
    row = page.locator(f'#mention-rows tr[data-mention-id="{mention.pk}"]')
    # Then the queue row says why, and how sure
    expect(row.get_by_test_id("row-reasons")).to_contain_text("Spam: sorteo")
    expect(row.get_by_test_id("row-confidence")).to_have_text("55 %")
    screenshot(page, "triage-correction-queue-1440")

    # When Ana moves onto it and presses 2
    page.keyboard.press("j")
    expect(page.locator(SELECTED)).to_have_attribute("data-mention-id", str(mention.pk))
    page.keyboard.press("2")
    # Then it is a question, the correction is kept, and the model's confidence is gone with its label
    expect(row.get_by_test_id("row-category")).to_have_text("Question")
    expect(row.get_by_test_id("row-confidence")).to_have_count(0)
    correction = LabelCorrection.objects.get(mention=mention)
    assert (correction.field, correction.old_value, correction.new_value) == ("category", "spam", "question")
    screenshot(page, "triage-correction-queue-corrected-1440")

    # And the keyboard help lists the keys
    page.keyboard.press("?")
    expect(page.get_by_test_id("shortcuts-help")).to_contain_text("Correct the category")
    page.keyboard.press("Escape")


def test_on_a_phone_the_mention_shows_why_and_a_key_corrects_it_but_not_while_typing(login_as, community_manager):
    mention = doubtful_spam()
    page = login_as(community_manager)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/inbox/mentions/{mention.pk}/")
    expect(page.get_by_test_id("triage-reasons")).to_contain_text("Spam: sorteo")
    expect(page.get_by_test_id("triage-confidence")).to_have_text("55 %")
    page.get_by_test_id("triage-confidence").scroll_into_view_if_needed()
    screenshot(page, "triage-correction-mention-390")

    # Typing a 1 in the reply box is text, not a correction
    page.locator("#id_body").fill("")
    page.locator("#id_body").press_sequentially("1")
    expect(page.locator("#id_body")).to_have_value("1")
    assert not LabelCorrection.objects.filter(mention=mention).exists()

    # Out of the box, 6 makes it "other"
    page.locator("#id_body").press("Escape")
    page.keyboard.press("6")
    expect(page.get_by_test_id("triage-category")).to_contain_text("Other")
    expect(page.get_by_test_id("triage-confidence")).to_contain_text("rules, no probability")
    mention.refresh_from_db()
    assert mention.category == "other"
    page.get_by_test_id("triage-category").scroll_into_view_if_needed()
    screenshot(page, "triage-correction-mention-corrected-390")
