"""Acknowledging and answering through a request's signed link: once per link and action, audited.

The use is recorded (`LinkUse`, unique on the link's nonce and the action) in the same transaction
as the action itself, so a refused action leaves the link unused and a second use is refused.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from escalation.models import Answer, EscalationRequest, LinkUse
from escalation.services.acknowledge import escalation_request_acknowledge
from escalation.services.links import LinkGrant, LinkRefused, link_actor
from escalation.services.requests import EscalationPermissionError, escalation_answer_create

ACTION_ACKNOWLEDGE = "acknowledge"
ACTION_ANSWER = "answer"


def _claim(*, grant: LinkGrant, action: str, actor: User) -> None:
    """Record one use of the link for `action`, inside the caller's transaction; refuse a second."""
    try:
        with transaction.atomic():
            LinkUse.objects.create(request_id=grant.request_id, nonce=grant.nonce, action=action, user=actor)
    except IntegrityError as error:
        raise LinkRefused(_("This link has already been used for that. Open the request from the desk.")) from error
    audit_record(
        actor=actor,
        verb="escalation.link_use",
        target=EscalationRequest(pk=grant.request_id),
        data={"action": action, "nonce": grant.nonce, "personal": grant.user_id is not None},
    )


def _actor_or_refuse(*, grant: LinkGrant, visitor: User | None) -> User:
    actor = link_actor(grant=grant, visitor=visitor)
    if actor is None:
        raise EscalationPermissionError(_("Sign in to act on this request."))
    return actor


def escalation_link_acknowledge(
    *, grant: LinkGrant, visitor: User | None, promised_at: datetime | None, holding_line: str = ""
) -> EscalationRequest:
    """Acknowledge through the link, once per link; the same rules as from the desk."""
    actor = _actor_or_refuse(grant=grant, visitor=visitor)
    with transaction.atomic():
        _claim(grant=grant, action=ACTION_ACKNOWLEDGE, actor=actor)
        return escalation_request_acknowledge(
            request_id=grant.request_id, actor=actor, promised_at=promised_at, holding_line=holding_line
        )


def escalation_link_answer(
    *, grant: LinkGrant, visitor: User | None, text: str, is_approved_wording: bool = False
) -> Answer:
    """Answer through the link, once per link; the same rules as from the desk."""
    actor = _actor_or_refuse(grant=grant, visitor=visitor)
    with transaction.atomic():
        _claim(grant=grant, action=ACTION_ANSWER, actor=actor)
        return escalation_answer_create(
            request_id=grant.request_id, author=actor, text=text, is_approved_wording=is_approved_wording
        )
