"""Ana answers on Bluesky: the live counter counts graphemes (Intl.Segmenter) exactly as the server does
(the `regex` module's \\X), stops a reply that is short enough but too many bytes, and lets exactly 300
graphemes of combining accents go."""

from __future__ import annotations

from playwright.sync_api import expect

from inbox.models import Reply
from inbox.reply_length import reply_bytes, reply_length
from tests import factories

FAMILY = "👨\u200d👩\u200d👧\u200d👦"
E_ACUTE = "e\u0301"
SIGNATURE = "\n— Ana"


def test_the_bluesky_counter_agrees_with_the_server(login_as, community_manager):
    channel = factories.ChannelFactory(kind="bluesky", name="Telco Bluesky")
    mention = factories.MentionFactory(channel=channel, text="¿Y la fibra en Chamberí?")
    page = login_as(community_manager)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/inbox/mentions/{mention.pk}/")
    counter = page.get_by_test_id("reply-counter")
    box = page.locator("#id_body")

    # A family emoji, a flag, an accent typed as a combining mark and Devanagari: as many as the server counts
    draft = f"Hola {FAMILY}🇪🇸 cafe\u0301 नमस्ते"
    box.fill(draft)
    server_count = reply_length(text=draft + SIGNATURE, kind="bluesky")
    expect(counter).to_have_text(f"{server_count} / 300 characters, signature included")
    assert server_count == 5 + 2 + 1 + 4 + 1 + 3 + 6

    # Under 300 graphemes but over 3000 bytes: the counter says so and the reply cannot go
    box.fill(FAMILY * 294)
    over = reply_bytes(text=FAMILY * 294 + SIGNATURE) - 3000
    expect(counter).to_have_text(f"{over} bytes over the Bluesky limit of 3000 bytes: shorten the reply.")
    expect(page.get_by_test_id("reply-submit")).to_have_attribute("aria-disabled", "true")

    # Exactly 300 graphemes (588 code points) goes, and the server takes it
    box.fill(E_ACUTE * 294)
    expect(counter).to_have_text("300 / 300 characters, signature included")
    page.get_by_test_id("reply-submit").click()
    expect(page.locator(".messages")).to_contain_text("Reply queued")
    assert Reply.objects.get(mention=mention).body == E_ACUTE * 294
