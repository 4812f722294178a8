"""Public statements written during a crisis, the four-eyes approval they need, and publishing them.

An approved statement is also offered to the composer as a template (`playbooks.hooks`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from crisisdesk.realtime import publish_on_commit
from inbox.drills import is_drill_channel
from inbox.models import Channel, ScheduledPost, ScheduledPostStatus
from inbox.post_checks import post_refusal
from playbooks import events
from playbooks.content import content_clean
from playbooks.errors import CrisisError, CrisisForbidden, CrisisNotFound
from playbooks.incident_selectors import crisis_approvers
from playbooks.models import (
    ACTIVE_CRISIS_STATUSES,
    ApprovalMode,
    CrisisEventKind,
    Statement,
    StatementDecision,
    StatementStatus,
)
from playbooks.services.common import DECLARERS, crisis_for_update, display_name, role_require, users_named
from playbooks.services.posts import scheduled_post_publish_enqueue
from playbooks.services.timeline import crisis_event_add

MAX_STATEMENT_LENGTH = 5000


def statement_submit(*, crisis_id: int, author: User, body: str) -> Statement:
    """A public statement waits for the crisis's named approvers (its incident roles), else the playbook's;
    they see it live in their user groups.

    Four eyes: the author is never one of its approvers. If the playbook names only the author, the
    statement waits with no approver and the crisis room says another approver is needed.
    """
    role_require(author, DECLARERS, _("Only the crisis team can write statements."))
    body = (body or "").strip()
    if not body:
        raise CrisisError(_("The statement is empty."))
    if len(body) > MAX_STATEMENT_LENGTH:
        raise CrisisError(_("The statement is longer than 5,000 characters."))
    with transaction.atomic():
        crisis = crisis_for_update(crisis_id)
        if crisis.status not in ACTIVE_CRISIS_STATUSES:
            raise CrisisError(_("Statements need an active crisis."))
        content = content_clean(crisis.playbook_content)
        named = crisis_approvers(crisis_id=crisis.pk) or users_named(
            content["approvers"] or content["decision_makers"] or ["role:director"]
        )
        if not named:
            raise CrisisError(_("The playbook names no one who can approve statements."))
        approvers = [user for user in named if user.pk != author.pk]
        statement = Statement.objects.create(
            crisis=crisis, body=body, author=author, approval_mode=content["approval"]
        )
        statement.approvers.set(approvers)
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.STATEMENT,
            key="statement.submitted" if approvers else "statement.submitted_without_approver",
            params={"actor": display_name(author)},
            actor=author,
            data={"statement": statement.pk, "needs_approver": not approvers},
        )
        audit_record(actor=author, verb="statement.submit", target=statement)
        events.publish_to_users([user.pk for user in approvers], events.statement_pending(statement))
        events.publish_crisis_updated(crisis.pk, part="statements")
    return statement


def _statement_for_decision(
    *, crisis_id: int, statement_id: int, approver: User, approve: bool, comment: str
) -> Statement:
    """Lock the statement and refuse a decision that this approver may not make now."""
    statement = (
        Statement.objects.select_for_update(no_key=True)
        .select_related("crisis")
        .filter(pk=statement_id, crisis_id=crisis_id)
        .first()
    )
    if statement is None:
        raise CrisisNotFound(_("That statement does not exist in this crisis."))
    if statement.author_id == approver.pk:
        raise CrisisForbidden(_("You wrote this statement, so you cannot approve it: another approver must decide."))
    if not approve and not comment:
        raise CrisisError(_("Say why the statement goes back."))
    if not statement.approvers.filter(pk=approver.pk).exists():
        raise CrisisError(_("You are not an approver of this statement."))
    if statement.status != StatementStatus.PENDING:
        raise CrisisError(_("This statement has already been decided."))
    if statement.decisions.filter(approver=approver).exists():
        raise CrisisError(_("You have already approved this statement."))
    return statement


def _statement_status_after(statement: Statement, *, approve: bool) -> str:
    """Sent back at once; approved by one approver ("any") or once every approver has ("all")."""
    if not approve:
        return StatementStatus.RETURNED
    if statement.approval_mode == ApprovalMode.ANY:
        return StatementStatus.APPROVED
    approved = set(statement.decisions.filter(approved=True).values_list("approver_id", flat=True))
    if approved >= set(statement.approvers.values_list("pk", flat=True)):
        return StatementStatus.APPROVED
    return StatementStatus.PENDING


def statement_decide(
    *, crisis_id: int, statement_id: int, approver: User, approve: bool, comment: str = ""
) -> Statement:
    """Approve, or send back with a comment. With "any" one approval is enough; with "all" everyone's.

    The statement must belong to `crisis_id` (else `CrisisNotFound`), and its author can never
    decide on it, even if named an approver (`CrisisForbidden`): four eyes, for the page and the API.
    """
    comment = (comment or "").strip()
    with transaction.atomic():
        statement = _statement_for_decision(
            crisis_id=crisis_id, statement_id=statement_id, approver=approver, approve=approve, comment=comment
        )
        StatementDecision.objects.create(statement=statement, approver=approver, approved=approve, comment=comment)
        statement.status = _statement_status_after(statement, approve=approve)
        if statement.status != StatementStatus.PENDING:
            statement.decided_at = timezone.now()
            statement.save(update_fields=["status", "decided_at"])
        key = "statement.approved" if approve else "statement.returned"
        crisis_event_add(
            crisis=statement.crisis,
            kind=CrisisEventKind.STATEMENT,
            key=f"{key}_with_comment" if comment else key,
            params={"actor": display_name(approver), "comment": comment},
            actor=approver,
            data={"statement": statement.pk, "approved": approve},
        )
        audit_record(
            actor=approver,
            verb="statement.approve" if approve else "statement.return",
            target=statement,
            data={"comment": comment},
        )
        recipients = [statement.author_id, *statement.approvers.values_list("pk", flat=True)]
        events.publish_to_users(recipients, events.statement_decided(statement))
        events.publish_crisis_updated(statement.crisis_id, part="statements")
        if statement.status == StatementStatus.APPROVED:
            publish_on_commit(events.STAFF_GROUPS, events.statement_template_added(statement))
    return statement


def _statement_approved_by_another(statement: Statement) -> None:
    """Four eyes, checked again before anything goes out: approved, and by someone who is not the author."""
    if statement.status != StatementStatus.APPROVED:
        raise CrisisError(_("Only an approved statement can be published."))
    if not statement.decisions.filter(approved=True).exclude(approver_id=statement.author_id).exists():
        raise CrisisForbidden(_("A statement needs the approval of someone other than its author."))


def _statement_channels(statement: Statement, channel_ids: list[int]) -> list[Channel]:
    """The chosen channels, each able to take this text (the composer's checks), not yet published on."""
    channels = list(Channel.objects.filter(pk__in=channel_ids).order_by("name"))
    if not channel_ids or len(channels) != len(set(channel_ids)):
        raise CrisisError(_("Choose the channels to publish the statement on."))
    already = set(
        statement.posts.exclude(status__in=[ScheduledPostStatus.FAILED, ScheduledPostStatus.CANCELLED])
        .values_list("channel_id", flat=True)
    )
    refusals = [post_refusal(kind=channel.kind, text=statement.body) for channel in channels]
    refusals += [  # a drill's statement goes to its drill channel only, and a real one never there
        _("%(channel)s is not this crisis's: a drill publishes only on its drill channel.") % {"channel": channel.name}
        for channel in channels
        if is_drill_channel(channel) != statement.crisis.is_drill
    ]
    refusals += [
        _("Already published on %(channel)s.") % {"channel": channel.name}
        for channel in channels
        if channel.pk in already
    ]
    if any(refusals):
        raise CrisisError(" ".join(refusal for refusal in refusals if refusal))
    return channels


def statement_publish(*, crisis_id: int, statement_id: int, actor: User, channel_ids: list[int]) -> list[ScheduledPost]:
    """Publish an approved statement on the chosen channels, now, through the scheduled posts' path.

    One post per channel, already approved (by the statement's approver), published by the post task
    after commit; a channel that cannot take the text (no posting, too long as that network counts)
    refuses the whole request with the reason, so nothing half goes out. A suspension does not hold
    it: it is the crisis's own word, approved by four eyes. Audited; on the timeline.
    """
    role_require(actor, DECLARERS, _("Only the crisis team can publish statements."))
    with transaction.atomic():
        crisis_for_update(crisis_id)
        statement = Statement.objects.select_for_update(no_key=True).select_related("crisis").filter(
            pk=statement_id, crisis_id=crisis_id
        ).first()
        if statement is None:
            raise CrisisNotFound(_("That statement does not exist in this crisis."))
        _statement_approved_by_another(statement)
        channels = _statement_channels(statement, list(dict.fromkeys(channel_ids)))
        approval = statement.decisions.filter(approved=True).exclude(approver_id=statement.author_id).first()
        now = timezone.now()
        posts = [
            ScheduledPost.objects.create(
                channel=channel, body=statement.body, scheduled_at=now, status=ScheduledPostStatus.SCHEDULED,
                created_by=statement.author, approved_by=approval.approver if approval else None, approved_at=now,
                submitted_at=statement.created_at,
            )
            for channel in channels
        ]
        statement.posts.add(*posts)
        for post in posts:
            scheduled_post_publish_enqueue(post.pk)
        crisis_event_add(
            crisis=statement.crisis, kind=CrisisEventKind.STATEMENT, key="statement.published",
            params={"channels": ", ".join(channel.name for channel in channels), "actor": display_name(actor)},
            actor=actor, data={"statement": statement.pk, "posts": [post.pk for post in posts]},
        )
        audit_record(actor=actor, verb="statement.publish", target=statement, data={"posts": [p.pk for p in posts]})
        events.publish_crisis_updated(statement.crisis_id, part="statements")
    return posts
