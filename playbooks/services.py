"""Writes for crises, alerts, statements and playbooks.

Every state change locks its row, writes a timeline event and an audit record in the same
transaction, and pushes live events only after commit (`playbooks.events`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import Role, User
from crisisdesk.realtime import publish_on_commit
from crisisdesk.roles import user_has_role
from crisisdesk.text import SINGLE_LINE_MESSAGE, has_control_characters, header_safe, user_display_name
from playbooks import events
from playbooks.content import ContentInvalid, content_clean, content_diff, people_spec
from playbooks.models import (
    ACTIVE_CRISIS_STATUSES,
    Alert,
    AlertStatus,
    ApprovalMode,
    ChecklistItem,
    Crisis,
    CrisisEvent,
    CrisisEventKind,
    CrisisLevel,
    CrisisNotificationKind,
    CrisisStatus,
    CrisisType,
    Playbook,
    PlaybookRevision,
    PlaybookVersion,
    RevisionStatus,
    Statement,
    StatementDecision,
    StatementStatus,
)

if TYPE_CHECKING:
    from playbooks.detection import Firing

logger = logging.getLogger(__name__)

DECLARERS = frozenset({Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN})
PLAYBOOK_EDITORS = frozenset({Role.ADMIN})
SUMMARY_CADENCE = {CrisisLevel.CRISIS: timedelta(hours=4), CrisisLevel.SEVERE: timedelta(hours=1)}
ALERT_QUIET = timedelta(minutes=5)


class CrisisError(Exception):
    """A crisis or playbook action that cannot be done; the message says why."""


class CrisisNotFound(CrisisError):
    """The object does not exist, or does not belong to the crisis named with it (pages answer 404)."""


class CrisisForbidden(CrisisError):
    """The user may not do this to this object, whatever their role (pages answer 403)."""


def _display(user: User | None) -> str:
    return user_display_name(user) or "Crisis Desk"


def crisis_event_add(
    *,
    crisis: Crisis,
    kind: str,
    message: str,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CrisisEvent:
    """Append a line to the crisis timeline (inside the caller's transaction) and tell open crisis rooms."""
    item = CrisisEvent.objects.create(
        crisis=crisis,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        message=message[:500],
        data=data or {},
        created_at=at or timezone.now(),
    )
    events.publish_crisis_updated(crisis.pk, part="timeline")
    return item


def crisis_event_record(
    *, crisis_id: int, kind: str, message: str, actor: User | None = None, data: dict[str, Any] | None = None
) -> CrisisEvent | None:
    """For other apps (replies, escalation answers): add a timeline line to a crisis if it exists."""
    if kind not in CrisisEventKind.values:
        raise CrisisError(f"Unknown timeline kind: {kind}.")
    with transaction.atomic():
        crisis = Crisis.objects.filter(pk=crisis_id).first()
        if crisis is None:
            return None
        return crisis_event_add(crisis=crisis, kind=kind, message=message, actor=actor, data=data)


def _webhook_emit(crisis: Crisis, event_type: str, **extra: Any) -> None:
    """Announce the change to outgoing webhooks after commit; the event id makes a repeat a no-op."""
    from crisisdesk.webhooks import webhook_event_emit

    payload = {
        "id": crisis.pk,
        "title": crisis.title,
        "level": crisis.level,
        "declared_by": _display(crisis.declared_by) if crisis.declared_by_id else None,
        "declared_at": crisis.declared_at.isoformat() if crisis.declared_at else None,
        "url": f"{settings.PUBLIC_BASE_URL}/crises/{crisis.pk}/",
    }
    if crisis.resolved_at:
        payload["resolved_at"] = crisis.resolved_at.isoformat()
    key = f"crisis:{crisis.pk}:{event_type}:{crisis.level}:{crisis.status}"
    webhook_event_emit(
        event_type=event_type,
        payload={"crisis": payload, **extra},
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, key),
    )


def users_named(names: Iterable[str]) -> list[User]:
    """Active users a playbook names, by username or as "role:<role>"."""
    spec = people_spec(list(names))
    if not spec.usernames and not spec.roles:
        return []
    return list(
        User.objects.filter(Q(username__in=spec.usernames) | Q(role__in=spec.roles), is_active=True)
        .order_by("pk")
        .distinct()
    )


# Alerts ----------------------------------------------------------------------------------------


def alert_open(
    *, firing: Firing, explanation: dict[str, Any], suggested_type: str, suggested_level: int, now: datetime
) -> Alert:
    """Create an alert (the caller holds the dedup guard); it joins the brand's active crisis timeline."""
    alert = Alert.objects.create(
        brand=firing.brand,
        signal=firing.signal,
        topic=firing.topic,
        severity=firing.severity,
        observed=firing.observed,
        baseline_mean=firing.baseline.mean,
        baseline_std=firing.baseline.std,
        threshold=firing.threshold,
        suggested_level=suggested_level,
        suggested_type=suggested_type,
        explanation=explanation,
        started_at=now,
        last_seen_at=now,
    )
    crisis = (
        Crisis.objects.filter(brand=firing.brand, status__in=ACTIVE_CRISIS_STATUSES)
        .order_by("-level")
        .first()
    )
    if crisis is not None:
        alert.crisis = crisis
        alert.save(update_fields=["crisis"])
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.ALERT,
            message=f"Alert: {alert.get_signal_display()} {alert.topic or ''} (severity {alert.severity})",
            data={"alert": alert.pk},
            at=now,
        )
    audit_record(actor=None, verb="alert.open", target=alert, data={"severity": alert.severity})
    publish_on_commit(events.STAFF_GROUPS, events.alert_new(alert))
    return alert


def alerts_close_quiet(*, now: datetime) -> int:
    """Close open alerts whose signal has not fired for a while; the cool-down then starts."""
    with transaction.atomic():
        quiet = list(
            Alert.objects.select_for_update()
            .filter(status=AlertStatus.OPEN, last_seen_at__lt=now - ALERT_QUIET)
            .values_list("pk", flat=True)
        )
        Alert.objects.filter(pk__in=quiet).update(status=AlertStatus.CLOSED, closed_at=now)
    return len(quiet)


# Crises ----------------------------------------------------------------------------------------


def _crisis_for_update(crisis_id: int) -> Crisis:
    crisis = Crisis.objects.select_for_update().filter(pk=crisis_id).first()
    if crisis is None:
        raise CrisisError("That crisis does not exist.")
    return crisis


def _require(actor: User, roles: frozenset[str], message: str) -> None:
    if not user_has_role(actor, roles):
        raise CrisisError(message)


def playbook_version_current(*, crisis_type: str, level: int) -> PlaybookVersion | None:
    return (
        PlaybookVersion.objects.filter(playbook__crisis_type=crisis_type, playbook__level=level)
        .select_related("playbook")
        .order_by("-number")
        .first()
    )


def _default_brand() -> str:
    from inbox.models import Channel

    return (
        Channel.objects.filter(is_enabled=True).order_by("pk").values_list("brand", flat=True).first()
        or "default"
    )


def crisis_declare(
    *,
    actor: User,
    crisis_type: str,
    level: int,
    title: str = "",
    brand: str | None = None,
    alert_id: int | None = None,
    owner: User | None = None,
    mention_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> Crisis:
    """Declare a crisis and start its playbook, all or nothing.

    Snapshots the current playbook version, creates the checklist with deadlines, links the alert
    and mentions, freezes every scheduled post, creates the escalation requests for the playbook's
    departments, and after commit pushes `crisis.changed` to everyone, `crisis.notice` to the people
    the playbook names and emails them (task `playbooks.crisis_notify`).
    """
    _require(actor, DECLARERS, "Only community managers and directors can declare a crisis.")
    if crisis_type not in CrisisType.values:
        raise CrisisError("Choose a crisis type: institutional, technical or commercial.")
    try:
        level = int(level)
    except (TypeError, ValueError) as error:
        raise CrisisError("The level must be 1, 2 or 3.") from error
    if level not in (CrisisLevel.WATCH, CrisisLevel.CRISIS, CrisisLevel.SEVERE):
        raise CrisisError("The level must be 1, 2 or 3.")
    if has_control_characters(title or ""):
        raise CrisisError(str(SINGLE_LINE_MESSAGE))
    now = now or timezone.now()
    mention_ids = list(dict.fromkeys(int(pk) for pk in mention_ids))
    from playbooks import outbox

    with transaction.atomic():
        alert = None
        if alert_id is not None:
            alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
            if alert is None:
                raise CrisisError("That alert does not exist.")
            if (
                alert.crisis_id
                and Crisis.objects.filter(pk=alert.crisis_id, status__in=ACTIVE_CRISIS_STATUSES).exists()
            ):
                raise CrisisError("A crisis is already declared from this alert.")
            brand = brand or alert.brand
            mention_ids += [sample["id"] for sample in alert.explanation.get("sample_mentions", [])]
        brand = brand or _default_brand()
        version = playbook_version_current(crisis_type=crisis_type, level=level)
        content = content_clean(version.content if version else {})
        title = (title or "").strip()[:200] or content["title"] or _("Crisis")
        crisis = Crisis.objects.create(
            title=title,
            brand=brand,
            crisis_type=crisis_type,
            level=level,
            status=CrisisStatus.DECLARED,
            owner=owner or actor,
            declared_by=actor,
            declared_at=now,
            playbook_version=version,
            playbook_content=content,
        )
        ChecklistItem.objects.bulk_create(
            [
                ChecklistItem(
                    crisis=crisis,
                    position=position,
                    text=step["text"],
                    responsible_role=step["role"],
                    due_at=now + timedelta(minutes=step["minutes"]),
                )
                for position, step in enumerate(content["steps"], start=1)
            ]
        )
        if mention_ids:
            from inbox.models import Mention

            crisis.mentions.add(*Mention.objects.filter(pk__in=mention_ids).values_list("pk", flat=True))
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.DECLARED,
            actor=actor,
            message=f"Crisis declared at level {level} by {_display(actor)}",
            data={
                "level": level,
                "playbook_version": version.pk if version else None,
                "version_number": version.number if version else None,
            },
            at=now,
        )
        if alert is not None:
            alert.crisis = crisis
            alert.save(update_fields=["crisis"])
            crisis_event_add(
                crisis=crisis,
                kind=CrisisEventKind.ALERT,
                actor=None,
                at=alert.started_at,
                message=f"Alert: {alert.get_signal_display()} {alert.topic} (severity {alert.severity})",
                data={"alert": alert.pk},
            )
        audit_record(
            actor=actor,
            verb="crisis.declare",
            target=crisis,
            data={"level": level, "type": crisis_type, "playbook_version": version.pk if version else None},
        )
        outbox.scheduled_posts_freeze(actor=actor, crisis=crisis)
        _escalations_create(
            crisis=crisis, departments=content["departments"], actor=actor, mention_ids=mention_ids
        )
        notified = [user.pk for user in users_named(content["notify"] + content["decision_makers"])]
        events.publish_to_users(notified, events.crisis_notice(crisis))
        events.publish_crisis_changed(crisis, change="declared")
        _webhook_emit(crisis, "crisis.declared")
        from playbooks.tasks import crisis_notify

        crisis_id = crisis.pk
        transaction.on_commit(lambda: crisis_notify.delay(crisis_id))
    return crisis


def _escalations_create(
    *, crisis: Crisis, departments: list[str], actor: User, mention_ids: list[int]
) -> None:
    """Ask each department the playbook names to inform, through the escalation service."""
    if not departments:
        return
    from escalation.models import Department
    from escalation.services import EscalationError, escalation_request_create

    found = {department.slug: department for department in Department.objects.filter(slug__in=departments)}
    question = _(
        "Crisis declared: %(title)s (level %(level)s). Tell the community team what you know, "
        "what we may say publicly and when you expect the next update."
    ) % {"title": crisis.title, "level": crisis.level}
    for slug in departments:
        department = found.get(slug)
        if department is None:
            crisis_event_add(
                crisis=crisis,
                kind=CrisisEventKind.ESCALATION,
                actor=actor,
                message=f"The playbook names an unknown department: {slug}",
            )
            continue
        try:
            request = escalation_request_create(
                raised_by=actor,
                department=department,
                question=question,
                mention_ids=tuple(mention_ids),
                crisis_id=crisis.pk,
                now=crisis.declared_at,
            )
        except EscalationError as error:
            raise CrisisError(f"{department.name}: {error}") from error
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.ESCALATION,
            actor=actor,
            message=f"Escalation request sent to {department.name}",
            data={"department": slug, "request": getattr(request, "pk", None)},
        )


def crisis_notify(*, crisis_id: int) -> int:
    """Email the people the playbook names about a declared crisis; returns how many went out now.

    Idempotent: the messages are recorded once per crisis (`playbooks.notifications`); one that
    fails stays recorded as failed and the beat retries it with backoff.
    """
    from playbooks import notifications

    with transaction.atomic():
        crisis = Crisis.objects.select_for_update().filter(pk=crisis_id).first()
        if crisis is None or crisis.notified_at is not None:
            return 0
        content = content_clean(crisis.playbook_content)
        recipients = [
            user for user in users_named(content["notify"] + content["decision_makers"]) if user.email
        ]
        crisis.notified_at = timezone.now()
        crisis.save(update_fields=["notified_at"])
        notification_ids = notifications.crisis_notifications_record(
            crisis=crisis,
            kind=CrisisNotificationKind.DECLARED,
            recipients=recipients,
            subject=_crisis_subject(_("Crisis declared: %(title)s"), crisis),
            body=_crisis_brief(crisis),
        )
        audit_record(
            actor=None, verb="crisis.notify", target=crisis, data={"to": [user.pk for user in recipients]}
        )
    return notifications.crisis_notifications_send(notification_ids=notification_ids)


def _crisis_subject(template: str, crisis: Crisis) -> str:
    """A subject is a header: the title is folded onto one line, whatever the database holds."""
    return header_safe(template % {"title": header_safe(crisis.title)}, limit=255)


def _crisis_brief(crisis: Crisis) -> str:
    content = content_clean(crisis.playbook_content)
    items = list(crisis.checklist.order_by("position"))
    done = sum(1 for item in items if item.is_done)
    overdue = [item for item in items if not item.is_done and item.due_at and item.due_at < timezone.now()]
    lines = [
        f"{crisis.title}",
        _("Level: %(level)s · Type: %(type)s · Status: %(status)s")
        % {
            "level": crisis.get_level_display(),
            "type": crisis.get_crisis_type_display(),
            "status": crisis.get_status_display(),
        },
        _("Owner: %(owner)s") % {"owner": _display(crisis.owner)},
        _("Checklist: %(done)s of %(total)s steps done, %(overdue)s overdue")
        % {"done": done, "total": len(items), "overdue": len(overdue)},
        _("Linked mentions: %(count)s") % {"count": crisis.mentions.count()},
        "",
        _("Holding statement:"),
        content["holding_statement"],
        "",
        f"{settings.PUBLIC_BASE_URL}/crises/{crisis.pk}/",
    ]
    return "\n".join(lines)


def crisis_level_change(*, crisis_id: int, level: int, actor: User, now: datetime | None = None) -> Crisis:
    """Raise or lower an active crisis's level; the running playbook snapshot stays as declared."""
    _require(actor, DECLARERS, "Only community managers and directors can change a crisis level.")
    try:
        level = int(level)
    except (TypeError, ValueError) as error:
        raise CrisisError("The level must be 1, 2 or 3.") from error
    if level not in (CrisisLevel.WATCH, CrisisLevel.CRISIS, CrisisLevel.SEVERE):
        raise CrisisError("The level must be 1, 2 or 3.")
    with transaction.atomic():
        crisis = _crisis_for_update(crisis_id)
        if crisis.status not in ACTIVE_CRISIS_STATUSES:
            raise CrisisError("Only an active crisis can change level.")
        if crisis.level == level:
            return crisis
        previous = crisis.level
        crisis.level = level
        crisis.save(update_fields=["level"])
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.LEVEL,
            actor=actor,
            at=now,
            message=f"Level changed from {previous} to {level} by {_display(actor)}",
            data={"from": previous, "to": level},
        )
        audit_record(actor=actor, verb="crisis.level", target=crisis, data={"from": previous, "to": level})
        events.publish_crisis_changed(crisis, change="level")
        _webhook_emit(crisis, "crisis.level_changed", previous_level=previous)
    return crisis


def _crisis_status_set(
    *,
    crisis_id: int,
    actor: User,
    status: str,
    allowed_from: tuple[str, ...],
    stamp: str,
    now: datetime | None,
) -> Crisis:
    _require(actor, DECLARERS, "Only community managers and directors can change a crisis status.")
    now = now or timezone.now()
    with transaction.atomic():
        crisis = _crisis_for_update(crisis_id)
        if crisis.status == status:
            return crisis
        if crisis.status not in allowed_from:
            raise CrisisError(f"A {crisis.get_status_display().lower()} crisis cannot become {status}.")
        previous = crisis.status
        crisis.status = status
        setattr(crisis, stamp, now)
        crisis.save(update_fields=["status", stamp])
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.STATUS,
            actor=actor,
            at=now,
            message=f"Status changed from {previous} to {status} by {_display(actor)}",
            data={"from": previous, "to": status},
        )
        audit_record(actor=actor, verb=f"crisis.{status}", target=crisis, data={"from": previous})
        events.publish_crisis_changed(crisis, change=status)
        if status == CrisisStatus.RESOLVED:
            _webhook_emit(crisis, "crisis.resolved")
    return crisis


def crisis_contain(*, crisis_id: int, actor: User, now: datetime | None = None) -> Crisis:
    return _crisis_status_set(
        crisis_id=crisis_id,
        actor=actor,
        status=CrisisStatus.CONTAINED,
        allowed_from=(CrisisStatus.DECLARED,),
        stamp="contained_at",
        now=now,
    )


def crisis_resolve(*, crisis_id: int, actor: User, now: datetime | None = None) -> Crisis:
    """Resolve the crisis (the banner goes). Frozen posts stay frozen until someone releases them."""
    return _crisis_status_set(
        crisis_id=crisis_id,
        actor=actor,
        status=CrisisStatus.RESOLVED,
        allowed_from=(CrisisStatus.DECLARED, CrisisStatus.CONTAINED),
        stamp="resolved_at",
        now=now,
    )


def crisis_review_complete(*, crisis_id: int, actor: User, notes: str = "") -> Crisis:
    """Close the review of a resolved crisis, keeping the notes."""
    crisis = _crisis_status_set(
        crisis_id=crisis_id,
        actor=actor,
        status=CrisisStatus.REVIEWED,
        allowed_from=(CrisisStatus.RESOLVED,),
        stamp="reviewed_at",
        now=None,
    )
    if notes.strip():
        Crisis.objects.filter(pk=crisis.pk).update(review_notes=notes.strip())
        crisis.review_notes = notes.strip()
    return crisis


def crisis_mentions_link(*, crisis_id: int, mention_ids: Iterable[int], actor: User) -> int:
    from inbox.models import Mention

    with transaction.atomic():
        crisis = _crisis_for_update(crisis_id)
        ids = list(Mention.objects.filter(pk__in=list(mention_ids)).values_list("pk", flat=True))
        crisis.mentions.add(*ids)
        audit_record(actor=actor, verb="crisis.link_mentions", target=crisis, data={"mentions": ids})
        events.publish_crisis_updated(crisis.pk, part="mentions")
    return len(ids)


def checklist_item_set(
    *, crisis_id: int, item_id: int, done: bool, actor: User, now: datetime | None = None
) -> ChecklistItem:
    """Tick or untick a step of that crisis; idempotent, timestamped and on the timeline."""
    _require(actor, DECLARERS, "Only the crisis team can tick checklist steps.")
    now = now or timezone.now()
    with transaction.atomic():
        item = (
            ChecklistItem.objects.select_for_update()
            .select_related("crisis")
            .filter(pk=item_id, crisis_id=crisis_id)
            .first()
        )
        if item is None:
            raise CrisisNotFound(_("That checklist step does not exist in this crisis."))
        if item.is_done == done:
            return item
        item.done_at = now if done else None
        item.done_by = actor if done else None
        item.save(update_fields=["done_at", "done_by"])
        crisis_event_add(
            crisis=item.crisis,
            kind=CrisisEventKind.CHECKLIST,
            actor=actor,
            at=now,
            message=f"{'Done' if done else 'Reopened'}: {item.text}",
            data={"item": item.pk, "done": done},
        )
        audit_record(actor=actor, verb="checklist.done" if done else "checklist.reopen", target=item)
        events.publish_crisis_updated(item.crisis_id, part="checklist")
    return item


# Statements ------------------------------------------------------------------------------------


def statement_submit(*, crisis_id: int, author: User, body: str) -> Statement:
    """A public statement waits for the playbook's approvers, who see it live in their user groups.

    Four eyes: the author is never one of its approvers. If the playbook names only the author, the
    statement waits with no approver and the crisis room says another approver is needed.
    """
    _require(author, DECLARERS, "Only the crisis team can write statements.")
    body = (body or "").strip()
    if not body:
        raise CrisisError("The statement is empty.")
    if len(body) > 5000:
        raise CrisisError("The statement is longer than 5,000 characters.")
    with transaction.atomic():
        crisis = _crisis_for_update(crisis_id)
        if crisis.status not in ACTIVE_CRISIS_STATUSES:
            raise CrisisError("Statements need an active crisis.")
        content = content_clean(crisis.playbook_content)
        named = users_named(content["approvers"] or content["decision_makers"] or ["role:director"])
        if not named:
            raise CrisisError("The playbook names no one who can approve statements.")
        approvers = [user for user in named if user.pk != author.pk]
        statement = Statement.objects.create(
            crisis=crisis, body=body, author=author, approval_mode=content["approval"]
        )
        statement.approvers.set(approvers)
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.STATEMENT,
            actor=author,
            message=f"Statement submitted for approval by {_display(author)}"
            + ("" if approvers else "; another approver is needed"),
            data={"statement": statement.pk, "needs_approver": not approvers},
        )
        audit_record(actor=author, verb="statement.submit", target=statement)
        events.publish_to_users([user.pk for user in approvers], events.statement_pending(statement))
        events.publish_crisis_updated(crisis.pk, part="statements")
    return statement


def statement_decide(
    *, crisis_id: int, statement_id: int, approver: User, approve: bool, comment: str = ""
) -> Statement:
    """Approve, or send back with a comment. With "any" one approval is enough; with "all" everyone's.

    The statement must belong to `crisis_id` (else `CrisisNotFound`), and its author can never
    decide on it, even if named an approver (`CrisisForbidden`): four eyes, for the page and the API.
    """
    comment = (comment or "").strip()
    with transaction.atomic():
        statement = (
            Statement.objects.select_for_update()
            .select_related("crisis")
            .filter(pk=statement_id, crisis_id=crisis_id)
            .first()
        )
        if statement is None:
            raise CrisisNotFound(_("That statement does not exist in this crisis."))
        if statement.author_id == approver.pk:
            raise CrisisForbidden(
                _("You wrote this statement, so you cannot approve it: another approver must decide.")
            )
        if not approve and not comment:
            raise CrisisError("Say why the statement goes back.")
        if not statement.approvers.filter(pk=approver.pk).exists():
            raise CrisisError("You are not an approver of this statement.")
        if statement.status != StatementStatus.PENDING:
            raise CrisisError("This statement has already been decided.")
        if statement.decisions.filter(approver=approver).exists():
            raise CrisisError("You have already approved this statement.")
        StatementDecision.objects.create(
            statement=statement, approver=approver, approved=approve, comment=comment
        )
        if not approve:
            statement.status = StatementStatus.RETURNED
        elif statement.approval_mode == ApprovalMode.ANY:
            statement.status = StatementStatus.APPROVED
        else:
            approved = set(statement.decisions.filter(approved=True).values_list("approver_id", flat=True))
            if approved >= set(statement.approvers.values_list("pk", flat=True)):
                statement.status = StatementStatus.APPROVED
        if statement.status != StatementStatus.PENDING:
            statement.decided_at = timezone.now()
            statement.save(update_fields=["status", "decided_at"])
        verb = "approved" if approve else "sent back"
        crisis_event_add(
            crisis=statement.crisis,
            kind=CrisisEventKind.STATEMENT,
            actor=approver,
            message=f"Statement {verb} by {_display(approver)}" + (f": {comment}" if comment else ""),
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
    return statement


# Executive summaries ---------------------------------------------------------------------------


def crisis_summaries_send(*, now: datetime | None = None) -> list[int]:
    """Email directors a summary of each active crisis at its level's cadence. Safe to run twice.

    Level 2 every 4 hours, level 3 every hour, counted from the last summary (or the declaration).
    `last_summary_at` is set under the row lock before sending, so a concurrent run skips it.
    """
    from playbooks import notifications

    now = now or timezone.now()
    skip_locked = connection.features.has_select_for_update_skip_locked
    sent = []
    candidates = Crisis.objects.filter(status__in=ACTIVE_CRISIS_STATUSES, level__in=list(SUMMARY_CADENCE))
    for crisis_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            crisis = Crisis.objects.select_for_update(skip_locked=skip_locked).filter(pk=crisis_id).first()
            if crisis is None or crisis.status not in ACTIVE_CRISIS_STATUSES:
                continue
            cadence = SUMMARY_CADENCE.get(crisis.level)
            since = crisis.last_summary_at or crisis.declared_at or crisis.detected_at
            if cadence is None or now < since + cadence:
                continue
            directors = [
                user for user in User.objects.filter(role=Role.DIRECTOR, is_active=True) if user.email
            ]
            crisis.last_summary_at = now
            crisis.save(update_fields=["last_summary_at"])
            audit_record(
                actor=None, verb="crisis.summary", target=crisis, data={"to": [user.pk for user in directors]}
            )
            notifications.crisis_notifications_send_on_commit(
                notifications.crisis_notifications_record(
                    crisis=crisis,
                    kind=CrisisNotificationKind.SUMMARY,
                    recipients=directors,
                    subject=_crisis_subject(_("Executive summary: %(title)s"), crisis),
                    body=_crisis_brief(crisis),
                )
            )
            sent.append(crisis.pk)
    return sent


# Playbooks -------------------------------------------------------------------------------------


def playbook_version_create(
    *, playbook_id: int, content: dict[str, Any], actor: User | None, note: str = ""
) -> PlaybookVersion:
    """Save new content as the next version number; running crises keep the version they snapshotted."""
    if actor is not None:
        _require(actor, PLAYBOOK_EDITORS, "Only administrators can edit playbooks.")
    try:
        cleaned = content_clean(content)
    except ContentInvalid as error:
        raise CrisisError(str(error)) from error
    unknown = _unknown_departments(cleaned["departments"])
    if unknown:
        raise CrisisError("Unknown departments: " + ", ".join(unknown))
    with transaction.atomic():
        playbook = Playbook.objects.select_for_update().filter(pk=playbook_id).first()
        if playbook is None:
            raise CrisisError("That playbook does not exist.")
        latest = playbook.versions.order_by("-number").first()
        if latest is not None and content_clean(latest.content) == cleaned:
            raise CrisisError("Nothing changed.")
        version = PlaybookVersion.objects.create(
            playbook=playbook,
            number=(latest.number if latest else 0) + 1,
            content=cleaned,
            note=note[:300],
            created_by=actor,
        )
        if cleaned["title"] and cleaned["title"] != playbook.name:
            playbook.name = cleaned["title"]
            playbook.save(update_fields=["name"])
        audit_record(actor=actor, verb="playbook.version", target=version, data={"number": version.number})
    return version


def _unknown_departments(slugs: list[str]) -> list[str]:
    from escalation.models import Department

    known = set(Department.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    return [slug for slug in slugs if slug not in known]


def revision_apply(content: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """A revision adds a step (and optionally a principle) to whatever the latest version says."""
    content = content_clean(content)
    step = change.get("add_step")
    if step:
        content["steps"] = [*content["steps"], step]
    principle = (change.get("add_principle") or "").strip()
    if principle:
        content["principles"] = [*content["principles"], principle]
    return content_clean(content)


def playbook_revision_propose(
    *,
    crisis_id: int,
    actor: User,
    case: str,
    step_text: str,
    role: str = Role.COMMUNITY_MANAGER,
    minutes: int = 0,
    principle: str = "",
) -> PlaybookRevision:
    """Record a case the manual did not foresee as a proposed change to the playbook the crisis ran."""
    _require(actor, DECLARERS, "Only the crisis team can propose playbook changes.")
    case = (case or "").strip()
    step_text = (step_text or "").strip()
    if not case:
        raise CrisisError("Describe the case the playbook did not foresee.")
    if not step_text and not principle.strip():
        raise CrisisError("Propose a step or a principle to add.")
    change: dict[str, Any] = {}
    if step_text:
        change["add_step"] = {"text": step_text, "role": role, "minutes": minutes}
    if principle.strip():
        change["add_principle"] = principle.strip()
    with transaction.atomic():
        crisis = _crisis_for_update(crisis_id)
        if crisis.playbook_version_id is None:
            raise CrisisError("This crisis ran without a playbook; edit the playbook directly.")
        try:
            revision_apply(crisis.playbook_version.content, change)
        except ContentInvalid as error:
            raise CrisisError(str(error)) from error
        revision = PlaybookRevision.objects.create(
            playbook_id=crisis.playbook_version.playbook_id,
            crisis=crisis,
            base_version=crisis.playbook_version,
            case=case,
            change=change,
            proposed_by=actor,
        )
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.NOTE,
            actor=actor,
            message=f"Unforeseen case recorded: {case[:200]}",
            data={"revision": revision.pk},
        )
        audit_record(actor=actor, verb="playbook.revision.propose", target=revision)
    return revision


def revision_preview(revision: PlaybookRevision) -> tuple[PlaybookVersion, dict[str, Any], list[str]]:
    """What accepting would produce against the latest version, with the diff lines."""
    latest = revision.playbook.versions.order_by("-number").first()
    proposed = revision_apply(latest.content, revision.change)
    diff = content_diff(
        latest.content, proposed, old_label=f"v{latest.number}", new_label=f"v{latest.number + 1}"
    )
    return latest, proposed, diff


def playbook_revision_accept(*, revision_id: int, actor: User) -> PlaybookVersion:
    """An admin accepts a proposed revision: the latest version plus the change becomes a new version."""
    _require(actor, PLAYBOOK_EDITORS, "Only administrators can accept playbook revisions.")
    with transaction.atomic():
        revision = _revision_for_decision(revision_id)
        _, proposed, _diff = revision_preview(revision)
        version = playbook_version_create(
            playbook_id=revision.playbook_id,
            content=proposed,
            actor=actor,
            note=f"Revision #{revision.pk}: {revision.case[:200]}",
        )
        revision.resulting_version = version
        _revision_decide(revision, status=RevisionStatus.ACCEPTED, actor=actor, data={"version": version.pk})
    return version


def playbook_revision_reject(*, revision_id: int, actor: User) -> PlaybookRevision:
    _require(actor, PLAYBOOK_EDITORS, "Only administrators can reject playbook revisions.")
    with transaction.atomic():
        revision = _revision_for_decision(revision_id)
        _revision_decide(revision, status=RevisionStatus.REJECTED, actor=actor)
    return revision


def _revision_for_decision(revision_id: int) -> PlaybookRevision:
    revision = PlaybookRevision.objects.select_for_update().filter(pk=revision_id).first()
    if revision is None:
        raise CrisisError("That revision does not exist.")
    if revision.status != RevisionStatus.PROPOSED:
        raise CrisisError("This revision has already been decided.")
    return revision


def _revision_decide(revision: PlaybookRevision, *, status: str, actor: User, data: dict | None = None) -> None:
    revision.status = status
    revision.decided_by = actor
    revision.decided_at = timezone.now()
    revision.save(update_fields=["status", "decided_by", "decided_at", "resulting_version"])
    verb = "playbook.revision.accept" if status == RevisionStatus.ACCEPTED else "playbook.revision.reject"
    audit_record(actor=actor, verb=verb, target=revision, data=data or {})
