"""Mentions are written by strangers: their text, author and URL are shown escaped everywhere, never run.

The hostile mention carries `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>` in its text,
author name and handle, and a `javascript:` URL. Every page that shows it, the live rows partial and
the emails it reaches are checked for the raw payloads; the `javascript:` URL is never stored or linked.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from inbox.models import Mention
from inbox.services import mentions_ingest
from tests.security.conftest import IMG, JS_URL, SCRIPT, hostile_mention

pytestmark = pytest.mark.django_db

RAW = [SCRIPT, "<script>alert", "<img src=x onerror", "onerror=alert(1)>"]
ESCAPED_TEXT = "Sin fibra &lt;script&gt;alert(1)&lt;/script&gt;"
JAVASCRIPT_LINK = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def assert_escaped(html: str, where: str, *, shows_text: bool = True) -> None:
    for payload in RAW:
        assert payload not in html, f"{where} contains the raw payload {payload!r}"
    assert not JAVASCRIPT_LINK.search(html), f"{where} links a javascript: URL"
    assert "javascript:alert" not in html, f"{where} shows the javascript: URL"
    if shows_text:
        assert ESCAPED_TEXT in html, f"{where} does not show the mention's text (escaped)"


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_a_javascript_url_from_a_stranger_is_never_stored(world):
    assert world.mention.url == ""
    assert Mention.objects.filter(url__icontains="javascript").count() == 0


def test_the_community_manager_pages_show_the_hostile_mention_escaped(
    world, django_capture_on_commit_callbacks
):
    # Given a second hostile mention, still new, so the default inbox shows it
    with django_capture_on_commit_callbacks(execute=True):
        mentions_ingest(channel=world.channel, mentions=[hostile_mention("xss-2")])
    fresh = Mention.objects.get(external_id="xss-2")
    client = Client()
    client.force_login(world.community_manager)

    # Then the inbox, its live rows, both detail pages and the escalation panel escape it
    assert_escaped(page(client, "/inbox/"), "inbox list")
    assert_escaped(page(client, "/inbox/rows/"), "rows partial")
    assert_escaped(page(client, f"/inbox/rows/?id={fresh.pk}"), "single row partial")
    for mention in (world.mention, fresh):
        html = page(client, f"/inbox/mentions/{mention.pk}/")
        assert_escaped(html, "mention detail")
        assert "Eve &lt;script&gt;" in html or "h&quot;&gt;&lt;img" in html, "the author is shown escaped"
    assert_escaped(
        page(client, f"/escalation/mention/{world.mention.pk}/panel/"), "escalation panel", shows_text=False
    )


def test_the_escalation_desk_and_the_crisis_room_show_it_escaped(world):
    head = Client()
    head.force_login(world.department_head)
    assert_escaped(page(head, "/escalation/"), "escalation desk", shows_text=False)
    assert_escaped(page(head, f"/escalation/{world.escalation_request.pk}/"), "escalation request")

    director = Client()
    director.force_login(world.director)
    assert_escaped(page(director, f"/crises/{world.crisis.pk}/"), "crisis room", shows_text=False)
    assert_escaped(
        page(director, f"/crises/{world.crisis.pk}/live/"), "crisis live partial", shows_text=False
    )
    assert_escaped(page(director, "/dashboard/"), "dashboard", shows_text=False)


def test_the_api_returns_the_text_as_data_and_no_url(world):
    client = Client()
    client.force_login(world.community_manager)
    body = client.get(f"/api/mentions/{world.mention.pk}/").json()
    assert SCRIPT in body["text"]  # JSON is data: the page that shows it escapes it
    assert JS_URL not in str(body)


def test_emails_that_quote_strangers_never_carry_live_html(world):
    assert mail.outbox, "declaring the crisis and escalating sent emails"
    for message in mail.outbox:
        for content, content_type in getattr(message, "alternatives", []):
            if content_type == "text/html":
                for payload in RAW:
                    assert payload not in content, f"email {message.subject!r} carries {payload!r}"
        assert IMG not in message.subject and SCRIPT not in message.subject
