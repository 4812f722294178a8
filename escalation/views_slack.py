"""Slack's interactivity endpoint: signed clicks open the modals, signed submissions act.

Every request must carry a fresh, valid `X-Slack-Signature` (`escalation.slack`); anything else is
answered 401 and writes nothing. With a bot token (`SLACK_BOT_TOKEN`) the Acknowledge and Answer
buttons open a modal (`views.open`); its submission is recorded through the console's services as
the Crisis Desk user whose e-mail the Slack member has (`users.info`), and refused inside the
modal (`response_action: errors`) for anyone who may not act on the request. Without a bot token the
buttons open the signed page and a click is only audited (docs/ESCALATION.md).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from crisisdesk.roles import public
from escalation import selectors, services, slack, slack_api, slack_blocks
from escalation.models import EscalationRequest
from escalation.services.delivery import brand_language
from escalation.services.messages import SLACK_ACTION_ANSWER

logger = logging.getLogger(__name__)


def _member(slack_user: str) -> User | None:
    """The Crisis Desk user a Slack member is: the one active user with the member's e-mail address."""
    if not slack_api.bot_configured():
        return None
    try:
        email = slack_api.member_email(slack_user=slack_user)
    except slack_api.SlackApiError as error:
        logger.warning("Slack member %s not looked up: %s", slack_user, error)
        return None
    return selectors.user_for_email(email=email)


def _modal_open(click: slack.Click, target: EscalationRequest) -> None:
    """Open the button's modal in the clicker's language (the brand's when they are not known)."""
    member = _member(click.slack_user)
    build = slack_blocks.answer_modal if click.action_id == SLACK_ACTION_ANSWER else slack_blocks.acknowledge_modal
    with translation.override((member.language if member else "") or brand_language()):
        view = build(target, response_url=click.response_url)
    try:
        slack_api.views_open(trigger_id=click.trigger_id, view=view)
    except slack_api.SlackApiError as error:
        logger.warning("Slack modal for escalation %s not opened: %s", target.pk, error)


def _clicks(payload: str) -> HttpResponse:
    """Audit each escalation button clicked and, with a bot token, open its modal."""
    for click in slack.escalation_clicks(payload):
        target = EscalationRequest.objects.select_related("department").filter(pk=click.request_id).first()
        if target is None:
            continue
        audit_record(
            actor=None,
            verb="escalation.slack_click",
            target=target,
            data={"action": click.action_id, "slack_user": click.slack_user},
        )
        if slack_api.bot_configured() and click.trigger_id:
            _modal_open(click, target)
    return HttpResponse(status=200)


def _refused(block_id: str, message: str) -> JsonResponse:
    """Slack shows `message` under the modal's input and keeps the modal open."""
    return JsonResponse({"response_action": "errors", "errors": {block_id: message}})


def _record(submission: slack.Submission, member: User) -> None:
    """Answer or acknowledge through the console's services; raises EscalationError as they do."""
    values = submission.values
    if submission.callback_id == SLACK_ACTION_ANSWER:
        services.escalation_slack_answer(
            request_id=submission.request_id,
            actor=member,
            view_id=submission.view_id,
            text=values.get(slack_blocks.BLOCK_ANSWER, ""),
            is_approved_wording=slack_blocks.APPROVED_VALUE in values.get(slack_blocks.BLOCK_APPROVED, "").split(","),
            response_url=submission.response_url,
        )
        return
    delay = slack_blocks.promise_minutes(values.get(slack_blocks.BLOCK_PROMISE, ""))
    services.escalation_slack_acknowledge(
        request_id=submission.request_id,
        actor=member,
        view_id=submission.view_id,
        promised_at=timezone.now() + delay if delay is not None else None,
        holding_line=values.get(slack_blocks.BLOCK_HOLDING_LINE, ""),
        response_url=submission.response_url,
    )


def _submission(payload: str) -> HttpResponse:
    """Record a submitted modal as its Slack member's Crisis Desk user; an empty 200 closes the modal."""
    submission = slack.escalation_submission(payload)
    if submission is None:
        return JsonResponse({"error": "not an escalation modal submission"}, status=400)
    block_id = (
        slack_blocks.BLOCK_ANSWER if submission.callback_id == SLACK_ACTION_ANSWER else slack_blocks.BLOCK_PROMISE
    )
    member = _member(submission.slack_user)
    if member is None:
        with translation.override(brand_language()):
            return _refused(
                block_id, _("Your Slack account is not linked to a Crisis Desk user with the same e-mail address.")
            )
    with translation.override(member.language or brand_language()):
        try:
            _record(submission, member)
        except services.EscalationError as error:
            return _refused(block_id, str(error))
    return HttpResponse(status=200)


@public
@csrf_exempt
@require_POST
def slack_interactions(request: HttpRequest) -> HttpResponse:
    """Slack's interactivity request URL: verified (v0 signature, five minutes), then a click or a
    modal submission. A click on a button another app registered (`slack.slack_action_handler_register`:
    an alert's "Acknowledge") goes to its handler, which verifies its own value. Anything unsigned
    writes nothing."""
    if not slack.signature_valid(
        body=request.body,
        timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
        signature=request.headers.get("X-Slack-Signature", ""),
    ):
        return JsonResponse({"error": "invalid signature"}, status=401)
    payload = request.POST.get("payload", "")
    if slack.payload_type(payload) == "view_submission":
        return _submission(payload)
    slack.slack_actions_dispatch(payload)
    return _clicks(payload)
