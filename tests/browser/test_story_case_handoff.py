"""Ana hands a billing complaint on X off to customer service: she opens a case from the mention, answers
the author privately (an X direct message), sees the helpdesk's ticket id, and answers publicly with the
case number. At 1440×900 and at 390×844, against a fake X API and a fake Zendesk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from inbox.credentials import credentials_encrypt
from inbox.models import Author, Channel
from inbox.models_cases import Case
from tests import factories
from tests.browser.conftest import screenshot, serving
from tests.inbox.fake_helpdesk import ZENDESK_EMAIL, ZENDESK_TOKEN, FakeZendesk
from tests.inbox.fake_platform import FakePlatform, Reply

VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
AUTHOR_ID = "2244994945"


@pytest.fixture(scope="module")
def fake_x():
    platform = FakePlatform().start()
    platform.x_direct_messages(AUTHOR_ID, event_id="1582838223935680512")
    platform.script("POST", "/2/tweets", Reply(201, {"data": {"id": "1900000000000000099", "text": "ok"}}))
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def zendesk():
    helpdesk = FakeZendesk()
    yield helpdesk
    helpdesk.stop()


@pytest.fixture(scope="module")
def handoff_console(zendesk, django_db_setup, django_db_blocker):
    """The console of a company whose customer service works in Zendesk; replies go out at once."""
    environment = {
        "HELPDESK_KIND": "zendesk", "HELPDESK_URL": zendesk.url, "HELPDESK_EMAIL": ZENDESK_EMAIL,
        "HELPDESK_TOKEN": ZENDESK_TOKEN, "REPLY_UNDO_SECONDS": "0",
    }
    with serving(environment) as base_url:
        yield base_url


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_ana_hands_a_billing_complaint_off_and_quotes_the_case_number(
    chromium, handoff_console, fake_x, zendesk, transactional_db, community_manager, size
):
    # Given a complaint on X about a double charge
    channel = Channel.objects.create(
        name=f"Telco X {size}", kind="x", base_url=fake_x.url, config={"user_id": "42"},
        credentials_encrypted=credentials_encrypt({"user_access_token": "user-token"}),
    )
    author = Author.objects.create(platform="x", external_id=AUTHOR_ID, handle="lucia_mad", display_name="Lucía")
    mention = factories.MentionFactory(
        channel=channel, author=author, external_id=f"19000000000000000{len(size)}", language="es",
        text="Me habéis cobrado dos veces la factura de marzo y nadie me contesta", category="complaint",
        suggested_action="customer_service",
    )
    context = chromium.new_context(base_url=handoff_console, viewport=VIEWPORTS[size])
    try:
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_username", community_manager.username)
        page.fill("#id_password", "secret-pass-123")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")

        # When Ana opens a billing case from the mention
        page.goto(f"/inbox/mentions/{mention.pk}/")
        expect(page.get_by_test_id("case-open")).to_have_attribute("open", "")  # triage suggested customer service
        page.get_by_test_id("case-type").select_option("billing")
        page.get_by_test_id("case-priority").select_option("high")
        screenshot(page, f"case-open-form-{size}")
        page.get_by_role("button", name="Open case", exact=True).click()

        # Then the case page shows its number and the helpdesk's ticket
        case = Case.objects.get(mentions=mention)
        expect(page.get_by_test_id("case-number")).to_have_text(case.number)
        expect(page.get_by_test_id("helpdesk-ticket")).to_have_text(str(zendesk.tickets[-1]["id"]))
        expect(page.get_by_test_id("helpdesk-state")).to_have_text("Delivered")
        assert zendesk.tickets[-1]["external_id"] == case.number

        # When she sends the private reply the page drafted for her
        draft = page.locator(f"#private-reply-{mention.pk}")
        expect(draft).to_contain_text(case.number)
        page.get_by_role("button", name="Send private reply", exact=True).click()

        # Then it went to Lucía as an X direct message
        expect(page.get_by_test_id("private-reply-state")).to_contain_text("Delivered")
        sent = fake_x.received("POST", f"/2/dm_conversations/with/{AUTHOR_ID}/messages")[-1]
        assert case.number in sent.json()["text"]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(page, f"case-detail-{size}")

        # And the queue row carries the case
        page.goto("/inbox/")
        row_case = page.locator(f"tr[data-mention-id='{mention.pk}'] [data-testid=row-case]")
        expect(row_case).to_have_text(case.number)
        screenshot(page, f"case-queue-{size}")
        page.goto("/inbox/cases/")
        expect(page.get_by_test_id("case-row").first).to_contain_text(case.number)
        screenshot(page, f"case-list-{size}")

        # When she answers the mention publicly with the case-number template
        page.goto(f"/inbox/mentions/{mention.pk}/")
        expect(page.get_by_test_id("mention-case-link")).to_have_text(case.number)
        template = page.get_by_test_id("reply-template")
        spanish = template.locator("optgroup[label='Case number'] option", has_text=f"Case {case.number}, in Spanish")
        template.select_option(spanish.get_attribute("value"))
        expect(page.locator("#id_body")).to_have_value(
            f"Hemos abierto el caso {case.number}: nuestro equipo de atención al cliente te escribirá por privado."
        )
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("reply-submit").click()

        # Then the public reply quotes the number on X
        expect(page.get_by_test_id("reply-item").last).to_contain_text(case.number)
        expect(page.get_by_test_id("reply-state").last).to_have_text("Sent", timeout=10_000)
        tweet = fake_x.received("POST", "/2/tweets")[-1].json()
        assert case.number in tweet["text"] and tweet["reply"] == {"in_reply_to_tweet_id": mention.external_id}
        screenshot(page, f"case-public-reply-{size}")

    finally:
        context.close()
