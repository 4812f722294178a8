"""Chat messages: Block Kit for Slack, an Adaptive Card 1.5 for Teams, each with the signed link; Slack's
interactions are accepted only with a fresh, valid signature."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import jsonschema
import pytest
from django.urls import reverse

from crisisdesk.models import AuditEvent
from escalation import notifications, services, slack
from escalation.services import chain, messages
from tests.escalation.conftest import at

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "adaptive-card-1.5.json").read_text())
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_HOOK = "https://hooks.slack.com/services/T000/B000/XXXX"
TEAMS_HOOK = "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x"


@pytest.fixture
def posts(monkeypatch) -> list[httpx.Request]:
    sent: list[httpx.Request] = []
    monkeypatch.setattr(
        notifications,
        "http_client",
        lambda: httpx.Client(
            transport=httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
        ),
    )
    return sent


def _raise_with_hook(people, department, mention, hook, capture):
    department.chat_webhook_url = hook
    department.save(update_fields=["chat_webhook_url"])
    with capture(execute=True):
        return services.escalation_request_create(
            raised_by=people["cm"],
            department=department,
            question="¿Cuándo vuelve la fibra?",
            mention_ids=[mention.pk],
            now=at(0),
        )


def test_slack_gets_block_kit_with_the_question_context_and_two_buttons_to_the_signed_page(
    people, department, chain_policy, mention, posts, django_capture_on_commit_callbacks
):
    request = _raise_with_hook(people, department, mention, SLACK_HOOK, django_capture_on_commit_callbacks)
    [post] = posts
    body = json.loads(post.content)
    assert f"/escalation/{request.pk}/respond/" in body["text"]
    kinds = [block["type"] for block in body["blocks"]]
    assert kinds == ["section", "section", "context", "actions"]
    assert "¿Cuándo vuelve la fibra?" in body["blocks"][0]["text"]["text"]
    assert "&lt;script&gt;" in body["blocks"][1]["text"]["text"]  # mrkdwn control characters escaped
    buttons = body["blocks"][3]["elements"]
    assert [button["text"]["text"] for button in buttons] == ["Acknowledge", "Answer"]
    assert [button["action_id"] for button in buttons] == [
        messages.SLACK_ACTION_ACKNOWLEDGE,
        messages.SLACK_ACTION_ANSWER,
    ]
    assert all(f"/escalation/{request.pk}/respond/" in button["url"] for button in buttons)
    assert {button["value"] for button in buttons} == {str(request.pk)}


def test_teams_gets_an_adaptive_card_1_5_that_validates_against_the_schema(
    people, department, chain_policy, mention, posts, django_capture_on_commit_callbacks
):
    request = _raise_with_hook(people, department, mention, TEAMS_HOOK, django_capture_on_commit_callbacks)
    [post] = posts
    envelope = json.loads(post.content)
    assert envelope["type"] == "message"
    [attachment] = envelope["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    jsonschema.Draft6Validator(SCHEMA).validate(card)
    assert card["version"] == "1.5"
    assert [action["type"] for action in card["actions"]] == ["Action.OpenUrl", "Action.OpenUrl"]
    assert all(f"/escalation/{request.pk}/respond/" in action["url"] for action in card["actions"])


@pytest.mark.parametrize("position", [chain.Position(step=0), chain.Position(step=3, attempt=2)])
def test_every_teams_card_validates_with_or_without_mentions(people, department, position):
    request = services.escalation_request_create(
        raised_by=people["cm"], department=department, question="¿Sin menciones?"
    )
    message = messages.step_message(
        request=request, position=position, link="https://desk.example/r/x/", desk_link="https://desk.example/"
    )
    jsonschema.Draft6Validator(SCHEMA).validate(messages.teams_payload(message)["attachments"][0]["content"])
    broken = messages.teams_card(message) | {"body": [{"type": "TextBlok", "text": "x"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft6Validator(SCHEMA).validate(broken)


def test_a_slack_message_cannot_ping_the_channel(people, department):
    request = services.escalation_request_create(
        raised_by=people["cm"], department=department, question="<!channel> ¿avería? <https://phish.example|aquí>"
    )
    message = messages.step_message(
        request=request, position=chain.Position(step=0), link="https://desk.example/r/x/", desk_link="https://d/"
    )
    body = json.dumps(messages.slack_payload(message))
    assert "<!channel>" not in body and "<https://phish" not in body
    assert "&lt;!channel&gt;" in body


def test_another_chat_webhook_still_gets_text_with_the_link(
    people, department, chain_policy, mention, posts, django_capture_on_commit_callbacks
):
    request = _raise_with_hook(
        people, department, mention, "https://chat.example/hooks/x", django_capture_on_commit_callbacks
    )
    body = json.loads(posts[0].content)
    assert list(body) == ["text"] and f"/escalation/{request.pk}/respond/" in body["text"]


def _slack_post(client, body: bytes, *, timestamp: str, signature: str):
    return client.post(
        reverse("escalation:slack_interactions"),
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_SLACK_REQUEST_TIMESTAMP=timestamp,
        HTTP_X_SLACK_SIGNATURE=signature,
    )


@pytest.fixture
def click(people, department):
    request = services.escalation_request_create(raised_by=people["cm"], department=department, question="¿?")
    payload = {
        "type": "block_actions",
        "user": {"id": "U0123", "username": "marta"},
        "actions": [{"type": "button", "action_id": messages.SLACK_ACTION_ANSWER, "value": str(request.pk)}],
    }
    return request, urlencode({"payload": json.dumps(payload)}).encode()


@pytest.mark.parametrize(
    ("case", "status", "audited"),
    [("good", 200, 1), ("bad", 401, 0), ("stale", 401, 0), ("no secret", 401, 0), ("missing", 401, 0)],
)
def test_slack_interactions_need_a_fresh_valid_signature(client, settings, click, case, status, audited):
    settings.SLACK_SIGNING_SECRET = "" if case == "no secret" else SECRET
    request, body = click
    timestamp = str(int(time.time()) - (6 * 60 if case == "stale" else 0))
    signature = slack.signature_for(secret=SECRET, timestamp=timestamp, body=body)
    if case == "bad":
        signature = slack.signature_for(secret="another-secret", timestamp=timestamp, body=body)
    if case == "missing":
        signature = ""
    response = _slack_post(client, body, timestamp=timestamp, signature=signature)
    assert response.status_code == status
    clicks = AuditEvent.objects.filter(verb="escalation.slack_click", target_id=str(request.pk))
    assert clicks.count() == audited
    if audited:
        assert clicks.get().data == {"action": messages.SLACK_ACTION_ANSWER, "slack_user": "U0123"}


def test_the_signature_covers_the_body(settings):
    settings.SLACK_SIGNING_SECRET = SECRET
    timestamp = str(int(time.time()))
    signature = slack.signature_for(secret=SECRET, timestamp=timestamp, body=b"payload=a")
    assert slack.signature_valid(body=b"payload=a", timestamp=timestamp, signature=signature)
    assert not slack.signature_valid(body=b"payload=b", timestamp=timestamp, signature=signature)
    assert not slack.signature_valid(body=b"payload=a", timestamp="12x", signature=signature)


def test_the_signature_matches_slacks_documented_example(settings):
    """The worked example of api.slack.com/authentication/verifying-requests-from-slack."""
    settings.SLACK_SIGNING_SECRET = SECRET
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert slack.signature_for(secret=SECRET, timestamp="1531420618", body=body) == expected
    assert slack.signature_valid(body=body, timestamp="1531420618", signature=expected, now=1531420618 + 60)
    assert not slack.signature_valid(body=body, timestamp="1531420618", signature=expected, now=1531420618 + 301)
