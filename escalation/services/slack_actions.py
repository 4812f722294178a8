"""Answering and acknowledging from a Slack modal: the console's services, once per modal, audited.

A submitted modal is identified by its Slack view id. The use is recorded (`LinkUse`, unique on a
nonce derived from the view id and the action) in the same transaction as the answer or the
acknowledgement, so a repeated submission of the same view records nothing more, and a refused one
leaves the modal usable. After commit the original message's buttons are replaced by who acted
(`escalation_slack_message_replace`, queued as a task so the modal closes within Slack's 3 s).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import translation

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from escalation import slack_api, slack_blocks
from escalation.models import EscalationRequest, LinkUse
from escalation.services.acknowledge import escalation_request_acknowledge
from escalation.services.delivery import brand_language
from escalation.services.requests import escalation_answer_create

logger = logging.getLogger(__name__)

SLACK_ACTION_ANSWER = "slack_answer"
SLACK_ACTION_ACKNOWLEDGE = "slack_ack"


def slack_view_nonce(view_id: str) -> str:
    """The `LinkUse.nonce` of one Slack modal: "slack:" and a digest of its view id (32 characters;
    a signed link's nonce never contains a colon, so the two never collide)."""
    return "slack:" + hashlib.sha256(view_id.encode()).hexdigest()[:26]


def _claim(*, request_id: int, view_id: str, action: str, actor: User) -> bool:
    """Record the modal's use for `action` inside the caller's transaction; False if it was used."""
    nonce = slack_view_nonce(view_id)
    try:
        with transaction.atomic():
            LinkUse.objects.create(request_id=request_id, nonce=nonce, action=action, user=actor)
    except IntegrityError:
        return False
    audit_record(
        actor=actor,
        verb="escalation.slack_submit",
        target=EscalationRequest(pk=request_id),
        data={"action": action, "view": view_id},
    )
    return True


def _replace_after_commit(*, request_id: int, response_url: str) -> None:
    if not response_url:
        return
    # why: escalation.tasks imports this package to call it; importing the tasks here at load time
    # would make the two modules import each other.
    from escalation.tasks import slack_message_replace

    transaction.on_commit(lambda: slack_message_replace.delay(request_id, response_url))


def escalation_slack_answer(
    *, request_id: int, actor: User, view_id: str, text: str, is_approved_wording: bool, response_url: str
) -> bool:
    """Answer from the Answer modal, with the desk's rules (`escalation_answer_create`); True if this
    submission recorded it, False for a repeat of a view already submitted (nothing written).

    Raises EscalationPermissionError for someone outside the department and EscalationError for an
    empty or closed request, writing nothing."""
    with transaction.atomic():
        if not _claim(request_id=request_id, view_id=view_id, action=SLACK_ACTION_ANSWER, actor=actor):
            return False
        escalation_answer_create(
            request_id=request_id, author=actor, text=text, is_approved_wording=is_approved_wording
        )
        _replace_after_commit(request_id=request_id, response_url=response_url)
    return True


def escalation_slack_acknowledge(
    *,
    request_id: int,
    actor: User,
    view_id: str,
    promised_at: datetime | None,
    holding_line: str,
    response_url: str,
) -> bool:
    """Acknowledge from the Acknowledge modal with a promised time (`escalation_request_acknowledge`);
    True if this submission recorded it, False for a repeat. Raises as that service does."""
    with transaction.atomic():
        if not _claim(request_id=request_id, view_id=view_id, action=SLACK_ACTION_ACKNOWLEDGE, actor=actor):
            return False
        escalation_request_acknowledge(
            request_id=request_id, actor=actor, promised_at=promised_at, holding_line=holding_line
        )
        _replace_after_commit(request_id=request_id, response_url=response_url)
    return True


def escalation_slack_message_replace(*, request_id: int, response_url: str) -> bool:
    """Replace the Slack message a modal came from with the request as it is now ("Answered by …").

    Safe to run twice: the message is rebuilt from the request each time. False when Slack refused;
    raises SlackUnavailable (worth a retry) when it could not be reached."""
    request = EscalationRequest.objects.select_related("department", "acknowledged_by").filter(pk=request_id).first()
    if request is None:
        return False
    with translation.override(brand_language()):
        message = slack_blocks.outcome_message(request)
    try:
        slack_api.message_replace(response_url=response_url, message=message)
    except slack_api.SlackUnavailable:
        raise
    except slack_api.SlackApiError as error:
        logger.warning("Slack message of escalation %s not replaced: %s", request_id, error)
        return False
    return True
