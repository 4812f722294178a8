"""During a level-2 crisis Ana writes a risky reply: it waits, and she sees why. Elena, the supervisor, sees
it arrive on the approvals page, approves it, and Ana watches it go out on X — signed by Ana.
At 1440×900 and at 390×844, without horizontal scrolling."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox.approval_models import ReplyApproval, ReplyApprovalRule
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, Reply, ReplyState
from playbooks.models import Crisis
from tests import factories
from tests.browser.conftest import screenshot
from tests.inbox.fake_platform import Reply as PlatformReply
from tests.inbox.fake_platform import fake_platform_fixture  # noqa: F401

VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
RISKY = "Tranquila, no es para tanto: la fibra vuelve hoy."


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "Array.from(document.querySelectorAll('main, main *'))"
        ".every((element) => element.getBoundingClientRect().right <= window.innerWidth + 1)"
    )


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_risky_reply_waits_for_the_supervisor_and_then_goes_out(
    login_as, community_manager, director, fake_platform, size
):
    # Given a declared level-2 crisis, a rule that holds "no es para tanto", and a complaint on X
    fake_platform.script("POST", "/2/tweets", PlatformReply(status=201, json={"data": {"id": "9001", "text": "ok"}}))
    channel = Channel.objects.create(
        name=f"X Telco {size}", kind="x", brand="Telco", base_url=fake_platform.url, config={"user_id": "42"},
        signature_template="— {name}", credentials_encrypted=credentials_encrypt({"bearer_token": "secret"}),
    )
    Crisis.objects.create(
        title="Caída de fibra", brand="Telco", crisis_type="technical", level=2, status="declared",
        declared_at=timezone.now(),
    )
    ReplyApprovalRule.objects.update_or_create(pk=1, defaults={"risky_patterns": "no es para tanto"})
    author = factories.AuthorFactory(handle="lucia")
    mention = factories.MentionFactory(channel=channel, author=author, external_id="1800", text="¡Otra vez sin fibra!")

    # Elena, the supervisor, checks the rule: a broken pattern is said plainly and nothing is saved
    supervisor = login_as(director)
    supervisor.set_viewport_size(VIEWPORTS[size])
    supervisor.goto("/inbox/approvals/rule/")
    expect(supervisor.locator("#id_risky_patterns")).to_have_value("no es para tanto")
    supervisor.locator("#id_risky_patterns").fill("no es para tanto\nre:(reembolso")
    supervisor.get_by_role("button", name="Save rule", exact=True).click()
    expect(supervisor.get_by_test_id("field-errors-risky_patterns")).to_contain_text("is not a valid pattern")
    assert no_horizontal_scroll(supervisor)
    screenshot(supervisor, f"story-reply-approval-0-rule-error-{size}")
    assert ReplyApprovalRule.objects.get().risky_patterns == "no es para tanto"

    # and keeps the approvals page open (on a phone the navigation folds behind the menu button)
    if size == "phone":
        supervisor.get_by_test_id("menu-button").click()
    supervisor.get_by_test_id("nav-approvals").click()
    expect(supervisor.get_by_test_id("approvals-empty")).to_be_visible()
    supervisor.wait_for_selector("#live-status[data-state=open]", timeout=10_000)

    # When Ana sends a risky reply (confirming past the composer's tone warning)
    page = login_as(community_manager)
    page.set_viewport_size(VIEWPORTS[size])
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/inbox/mentions/{mention.pk}/")
    page.locator("#id_body").fill(RISKY)
    expect(page.get_by_test_id("reply-warnings")).to_contain_text("may sound careless")
    page.get_by_test_id("reply-submit").click()

    # Then she sees it waiting, and why; nothing went to X
    expect(page.locator(".messages")).to_contain_text("Waiting for approval — it contains a risky phrase")
    held = page.get_by_test_id("reply-approval")
    expect(held).to_contain_text("Waiting for approval")
    expect(held).to_contain_text("“no es para tanto”")
    expect(page.get_by_test_id("reply-state")).to_have_text("Waiting for approval")
    page.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    assert fake_platform.received("POST", "/2/tweets") == []
    assert no_horizontal_scroll(page)
    screenshot(page, f"story-reply-approval-1-waiting-{size}")

    # And it reaches Elena's queue live, with the reason and the time limit
    card = supervisor.get_by_test_id("approval-card")
    expect(card).to_have_count(1, timeout=10_000)
    expect(card.get_by_test_id("approval-reasons")).to_contain_text("no es para tanto")
    expect(card.get_by_test_id("approval-deadline")).to_contain_text("decide by")
    expect(supervisor.get_by_test_id("notify-count")).to_have_text("1")
    assert no_horizontal_scroll(supervisor)
    screenshot(supervisor, f"story-reply-approval-2-queue-{size}")

    # When Elena approves it
    card.get_by_role("button", name="Approve and send", exact=True).click()
    expect(supervisor.locator(".messages")).to_contain_text("Approved: the reply is being sent")
    expect(supervisor.get_by_test_id("approvals-empty")).to_be_visible()
    expect(supervisor.get_by_test_id("approval-recent")).to_contain_text("Approved")
    screenshot(supervisor, f"story-reply-approval-3-approved-{size}")

    # Then Ana sees it sent, signed by her, and told by the notification centre
    expect(page.get_by_test_id("reply-status")).to_have_text("Reply sent on X.", timeout=10_000)
    expect(page.get_by_test_id("reply-state")).to_have_text("Sent")
    expect(page.get_by_test_id("response-clock")).to_contain_text("answered in")
    expect(page.get_by_test_id("notify-count")).to_have_text("1")
    tweets = fake_platform.received("POST", "/2/tweets")
    assert len(tweets) == 1 and tweets[0].json()["text"] == f"{RISKY}\n— Ana"
    reply = Reply.objects.get(mention=mention)
    assert reply.state == ReplyState.SENT
    assert ReplyApproval.objects.get(reply=reply).decided_by == director
    assert no_horizontal_scroll(page)
    screenshot(page, f"story-reply-approval-4-sent-{size}")
