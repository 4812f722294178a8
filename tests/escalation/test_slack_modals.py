"""Slack modals: with a bot token the Acknowledge and Answer buttons open a modal, and its signed
submission answers or acknowledges through the console's services, as the Slack member's Crisis Desk
user, once; against a fake Slack Web API on a real socket."""

from __future__ import annotations

import json
import secrets
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation import services, slack, slack_api
from escalation.models import Answer, EscalationRequest, LinkUse, RequestStatus
from escalation.services import chain, messages
from tests.escalation.fake_slack import fake_slack_server, fixture

pytestmark = pytest.mark.django_db

MARTA = "W0MARTA01"
PILAR = "W0PILAR01"
STRANGER = "W0STRANGE"


@pytest.fixture
def fake_slack(settings, department_head, other_department_head):
    """Slack with a bot token: Marta (Técnica's head) and Pilar (Jurídico's) are workspace members."""
    with fake_slack_server() as fake:
        settings.SLACK_SIGNING_SECRET = secrets.token_hex(16)
        settings.SLACK_BOT_TOKEN = "xoxb-" + secrets.token_hex(12)
        settings.SLACK_API_BASE_URL = fake.api_url
        fake.members = {
            MARTA: department_head.email.upper(),  # Slack's case need not be ours
            PILAR: other_department_head.email,
            STRANGER: "nobody@elsewhere.example",
        }
        yield fake


@pytest.fixture
def escalation(people, department):
    return services.escalation_request_create(raised_by=people["cm"], department=department, question="¿Fibra?")


def _post(client, settings, payload: dict, *, age: int = 0, secret: str | None = None):
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()) - age)
    return client.post(
        reverse("escalation:slack_interactions"),
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_SLACK_REQUEST_TIMESTAMP=timestamp,
        HTTP_X_SLACK_SIGNATURE=slack.signature_for(
            secret=secret or settings.SLACK_SIGNING_SECRET, timestamp=timestamp, body=body
        ),
    )


def _click(request: EscalationRequest, action_id: str, *, member: str, response_url: str) -> dict:
    payload = fixture("block_actions.json")
    payload["user"]["id"] = member
    payload["response_url"] = response_url
    payload["actions"][0] |= {"action_id": action_id, "value": str(request.pk)}
    return payload


def _submission(request, callback_id: str, values: dict, *, member: str, response_url: str, view_id="V111") -> dict:
    payload = fixture("view_submission.json")
    payload["user"]["id"] = member
    payload["view"] |= {
        "id": view_id,
        "callback_id": callback_id,
        "private_metadata": json.dumps({"request": request.pk, "response_url": response_url}),
        "state": {"values": values},
    }
    return payload


def _answer_values(text: str, *, approved: bool = False) -> dict:
    selected = [{"text": {"type": "plain_text", "text": "x"}, "value": "approved"}] if approved else []
    return {
        "answer": {"answer": {"type": "plain_text_input", "value": text}},
        "approved_wording": {"approved_wording": {"type": "checkboxes", "selected_options": selected}},
    }


def _acknowledge_values(minutes: str, holding_line: str = "") -> dict:
    return {
        "promised_in": {"promised_in": {"type": "static_select", "selected_option": {"text": {}, "value": minutes}}},
        "holding_line": {"holding_line": {"type": "plain_text_input", "value": holding_line or None}},
    }


def test_the_answer_button_opens_the_answer_modal_in_the_clickers_language(
    client, settings, fake_slack, escalation, department_head
):
    # Given Marta, Técnica's head, reads Crisis Desk in Spanish
    department_head.language = "es"
    department_head.save(update_fields=["language"])

    # When she clicks Answer on the escalation message in Slack
    response = _post(
        client,
        settings,
        _click(escalation, messages.SLACK_ACTION_ANSWER, member=MARTA, response_url=fake_slack.response_url()),
    )

    # Then Slack is told who she is first, then asked to open the answer modal with the click's trigger
    assert response.status_code == 200
    assert [(call.method, call.path) for call in fake_slack.requests] == [
        ("GET", "/api/users.info"),
        ("POST", "/api/views.open"),
    ]
    assert fake_slack.requests[0].query == {"user": [MARTA]}
    [opened] = fake_slack.calls("/api/views.open")
    assert opened.headers["Authorization"] == f"Bearer {settings.SLACK_BOT_TOKEN}"
    assert opened.headers["Content-Type"].startswith("application/json")
    assert opened.body == {
        "trigger_id": "111.222.valid",
        "view": {
            "type": "modal",
            "callback_id": "escalation_answer",
            "private_metadata": json.dumps({"request": escalation.pk, "response_url": fake_slack.response_url()}),
            "title": {"type": "plain_text", "text": f"Responder #{escalation.pk}"},
            "submit": {"type": "plain_text", "text": "Enviar respuesta"},
            "close": {"type": "plain_text", "text": "Cancelar"},
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*Técnica · #{escalation.pk}*\n¿Fibra?"}},
                {
                    "type": "input",
                    "block_id": "answer",
                    "label": {"type": "plain_text", "text": "Responder"},
                    "element": {
                        "type": "plain_text_input",
                        "action_id": "answer",
                        "multiline": True,
                        "max_length": 3000,
                    },
                },
                {
                    "type": "input",
                    "block_id": "approved_wording",
                    "optional": True,
                    "label": {"type": "plain_text", "text": "Redacción aprobada"},
                    "element": {
                        "type": "checkboxes",
                        "action_id": "approved_wording",
                        "options": [
                            {
                                "text": {
                                    "type": "plain_text",
                                    "text": "Redacción aprobada: los community managers pueden responder con ella",
                                },
                                "value": "approved",
                            }
                        ],
                    },
                },
            ],
        },
    }


def test_the_acknowledge_button_opens_a_modal_asking_by_when_the_department_will_answer(
    client, settings, fake_slack, escalation
):
    _post(
        client,
        settings,
        _click(escalation, messages.SLACK_ACTION_ACKNOWLEDGE, member=MARTA, response_url=fake_slack.response_url()),
    )
    [opened] = fake_slack.calls("/api/views.open")
    view = opened.body["view"]
    assert (view["callback_id"], view["submit"]["text"]) == ("escalation_acknowledge", "Acknowledge")
    promise, holding_line = view["blocks"][1:]
    assert promise["block_id"] == "promised_in" and "optional" not in promise  # the promise is required
    assert promise["element"]["type"] == "static_select"
    assert [(option["text"]["text"], option["value"]) for option in promise["element"]["options"]] == [
        ("In 30 minutes", "30"),
        ("In 1 hour", "60"),
        ("In 2 hours", "120"),
        ("In 4 hours", "240"),
    ]
    assert promise["element"]["initial_option"]["value"] == "60"
    assert holding_line["optional"] is True and holding_line["element"]["max_length"] == 1000


def test_with_a_bot_token_the_message_buttons_open_modals_and_a_third_opens_the_page(settings, people, department):
    settings.SLACK_BOT_TOKEN = "xoxb-" + secrets.token_hex(12)
    request = services.escalation_request_create(raised_by=people["cm"], department=department, question="¿?")
    message = messages.step_message(
        request=request, position=chain.Position(step=0), link="https://desk.example/r/x/", desk_link="https://d/"
    )
    buttons = messages.slack_payload(message)["blocks"][-1]["elements"]
    assert [(button["action_id"], button.get("url")) for button in buttons] == [
        ("escalation_acknowledge", None),
        ("escalation_answer", None),
        ("escalation_open", "https://desk.example/r/x/"),
    ]


def test_without_a_bot_token_a_click_opens_no_modal_and_the_buttons_keep_the_signed_page(
    client, settings, fake_slack, escalation
):
    # Given the app has no bot token
    settings.SLACK_BOT_TOKEN = ""
    # When the Answer button is clicked, Slack is not called: the url button already opened the page
    response = _post(
        client,
        settings,
        _click(escalation, messages.SLACK_ACTION_ANSWER, member=MARTA, response_url=fake_slack.response_url()),
    )
    assert response.status_code == 200
    assert fake_slack.requests == []
    message = messages.step_message(
        request=escalation, position=chain.Position(step=0), link="https://desk.example/r/x/", desk_link="https://d/"
    )
    buttons = messages.slack_payload(message)["blocks"][-1]["elements"]
    assert [button["url"] for button in buttons] == ["https://desk.example/r/x/", "https://desk.example/r/x/#answer"]


def test_a_submitted_answer_is_recorded_once_and_the_message_says_who_answered(
    client, settings, fake_slack, escalation, department_head, django_capture_on_commit_callbacks
):
    submission = _submission(
        escalation,
        "escalation_answer",
        _answer_values("La fibra vuelve a las 18:00.", approved=True),
        member=MARTA,
        response_url=fake_slack.response_url(),
    )
    # When Marta submits the answer modal, and Slack (or a replay) sends the same view again
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, settings, submission)
    with django_capture_on_commit_callbacks(execute=True):
        again = _post(client, settings, submission)

    # Then the modal closes both times, and the answer is Marta's, recorded once, as from the desk
    assert (first.status_code, first.content, again.status_code, again.content) == (200, b"", 200, b"")
    [answer] = Answer.objects.filter(request=escalation)
    assert (answer.author, answer.text, answer.is_approved_wording) == (
        department_head,
        "La fibra vuelve a las 18:00.",
        True,
    )
    escalation.refresh_from_db()
    assert escalation.status == RequestStatus.ANSWERED
    assert LinkUse.objects.filter(request=escalation).count() == 1

    # And the original message was replaced once, through its response_url, without the buttons
    [replaced] = fake_slack.calls("/actions/T111/111/random-value")
    assert replaced.method == "POST" and "Authorization" not in replaced.headers
    assert replaced.body == {
        "replace_original": True,
        "text": f"#{escalation.pk} · Answered by Marta",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Técnica · #{escalation.pk}*\n¿Fibra?"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "*Answered by Marta*"}]},
        ],
    }


@pytest.mark.parametrize("case", ["bad signature", "stale"])
def test_a_submission_without_a_fresh_valid_signature_is_refused_and_records_nothing(
    client, settings, fake_slack, escalation, case, django_capture_on_commit_callbacks
):
    submission = _submission(
        escalation, "escalation_answer", _answer_values("Sí."), member=MARTA, response_url=fake_slack.response_url()
    )
    with django_capture_on_commit_callbacks(execute=True):
        if case == "stale":
            response = _post(client, settings, submission, age=6 * 60)
        else:
            response = _post(client, settings, submission, secret=secrets.token_hex(16))
    assert response.status_code == 401
    assert not Answer.objects.filter(request=escalation).exists()
    assert not LinkUse.objects.exists()
    assert fake_slack.requests == []


@pytest.mark.parametrize(
    ("member", "error"),
    [
        (PILAR, "Only the department may answer this request."),
        (STRANGER, "Your Slack account is not linked to a Crisis Desk user with the same e-mail address."),
    ],
)
def test_someone_outside_the_department_is_refused_inside_the_modal(
    client, settings, fake_slack, escalation, member, error, django_capture_on_commit_callbacks
):
    # Pilar heads Jurídico, not Técnica; the stranger's e-mail is no Crisis Desk user's
    submission = _submission(
        escalation, "escalation_answer", _answer_values("Sí."), member=member, response_url=fake_slack.response_url()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, settings, submission)
    assert response.status_code == 200
    assert response.json() == {"response_action": "errors", "errors": {"answer": error}}
    assert not Answer.objects.filter(request=escalation).exists()
    assert not LinkUse.objects.exists()
    assert fake_slack.calls("/actions/T111/111/random-value") == []


def test_an_acknowledgement_from_slack_promises_the_chosen_time_and_says_so_in_the_channel(
    client, settings, fake_slack, escalation, department_head, django_capture_on_commit_callbacks
):
    submission = _submission(
        escalation,
        "escalation_acknowledge",
        _acknowledge_values("120", "Estamos revisando la avería."),
        member=MARTA,
        response_url=fake_slack.response_url(),
    )
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, settings, submission)
    assert response.status_code == 200 and response.content == b""
    escalation.refresh_from_db()
    assert escalation.status == RequestStatus.ACKNOWLEDGED
    assert escalation.acknowledged_by == department_head
    assert before + timedelta(hours=2) <= escalation.promised_at <= timezone.now() + timedelta(hours=2)
    assert escalation.holding_line == "Estamos revisando la avería."
    [replaced] = fake_slack.calls("/actions/T111/111/random-value")
    promised = timezone.localtime(escalation.promised_at).strftime("%d/%m %H:%M")
    assert replaced.body["blocks"][-1]["elements"][0]["text"] == (
        f"*Acknowledged by Marta, answer promised by {promised}*"
    )


def test_an_acknowledgement_with_a_time_the_modal_never_offered_is_refused(
    client, settings, fake_slack, escalation, django_capture_on_commit_callbacks
):
    submission = _submission(
        escalation,
        "escalation_acknowledge",
        _acknowledge_values("99999"),
        member=MARTA,
        response_url=fake_slack.response_url(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, settings, submission)
    assert response.json() == {
        "response_action": "errors",
        "errors": {"promised_in": "Say by when the department will answer (the promised time)."},
    }
    escalation.refresh_from_db()
    assert escalation.status == RequestStatus.OPEN and not LinkUse.objects.exists()


def test_a_response_url_that_is_not_slacks_is_never_called(settings, fake_slack, escalation):
    assert slack_api.response_url_allowed("https://hooks.slack.com/actions/T1/2/x")
    assert slack_api.response_url_allowed(fake_slack.response_url())
    assert not slack_api.response_url_allowed("http://hooks.slack.com/actions/T1/2/x")
    assert not slack_api.response_url_allowed("https://attacker.example/actions/T1/2/x")
    assert (
        services.escalation_slack_message_replace(request_id=escalation.pk, response_url="https://attacker.example/x")
        is False
    )
