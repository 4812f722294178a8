"""A crisis's life: declared (with its playbook started), its level changed, contained, resolved.

Every change locks the crisis, writes a timeline entry and an audit record in the same transaction,
and pushes live events, webhooks and tasks only after commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record
from crisisdesk.celery import app as celery_app
from crisisdesk.locks import transaction_lock
from crisisdesk.models import User
from crisisdesk.text import SINGLE_LINE_MESSAGE, has_control_characters
from inbox.hooks import outgoing_event_emit
from inbox.models import Mention
from playbooks import events
from playbooks.choices import IncidentRole
from playbooks.content import content_clean
from playbooks.errors import TITLE_REQUIRED, CrisisError, lowercase_lazy
from playbooks.models import (
    ACTIVE_CRISIS_STATUSES,
    Alert,
    ChecklistItem,
    Crisis,
    CrisisEventKind,
    CrisisLevel,
    CrisisStatus,
    CrisisType,
)
from playbooks.selectors import alert_mention_ids, brand_default, playbook_version_current
from playbooks.services.alerts import alert_timeline_params
from playbooks.services.checklist import checklist_item_for_step, checklist_level_steps_add
from playbooks.services.common import DECLARERS, crisis_for_update, display_name, role_require, users_named
from playbooks.services.departments import crisis_departments_ask
from playbooks.services.incident_roles import crisis_role_put
from playbooks.services.suspension import publishing_suspend
from playbooks.services.timeline import crisis_event_add

# Enqueued by name: `playbooks.tasks` imports the services, so the services do not import it back.
CRISIS_NOTIFY_TASK = "playbooks.crisis_notify"
DECLARABLE_LEVELS = (CrisisLevel.WATCH, CrisisLevel.CRISIS, CrisisLevel.SEVERE)


def _level_parse(level: Any) -> int:
    try:
        level = int(level)
    except (TypeError, ValueError) as error:
        raise CrisisError(_("The level must be 1, 2 or 3.")) from error
    if level not in DECLARABLE_LEVELS:
        raise CrisisError(_("The level must be 1, 2 or 3."))
    return level


def _webhook_emit(crisis: Crisis, event_type: str, **extra: Any) -> None:
    """Announce the change to outgoing webhooks after commit; the event id makes a repeat a no-op.

    A drill's crisis announces nothing outside: the systems behind the webhooks would act on it."""
    if crisis.is_drill:
        return
    payload = {
        "id": crisis.pk,
        "title": crisis.title,
        "level": crisis.level,
        "declared_by": display_name(crisis.declared_by) if crisis.declared_by_id else None,
        "declared_at": crisis.declared_at.isoformat() if crisis.declared_at else None,
        "url": f"{settings.PUBLIC_BASE_URL}/crises/{crisis.pk}/",
    }
    if crisis.resolved_at:
        payload["resolved_at"] = crisis.resolved_at.isoformat()
    key = f"crisis:{crisis.pk}:{event_type}:{crisis.level}:{crisis.status}"
    outgoing_event_emit(
        event_type=event_type,
        payload={"crisis": payload, **extra},
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, key),
    )


# Declaration, step by step ---------------------------------------------------------------------


def _declaration_check(*, actor: User, crisis_type: str, level: Any, title: str) -> int:
    """Refuse a declaration that cannot be made, before anything is locked; returns the level."""
    role_require(actor, DECLARERS, _("Only community managers and directors can declare a crisis."))
    if crisis_type not in CrisisType.values:
        raise CrisisError(_("Choose a crisis type: institutional, technical or commercial."))
    level = _level_parse(level)
    if has_control_characters(title or ""):
        raise CrisisError(SINGLE_LINE_MESSAGE)
    if not (title or "").strip():
        raise CrisisError(TITLE_REQUIRED)
    return level


def _open_crisis_refuse(*, brand: str, crisis_type: str) -> None:
    """Under the brand and type's lock: refuse a second open crisis of the same kind.

    Two people declaring the same outage a minute apart would split its timeline, its requests and its
    statements in two; a second one is opened only when the declarer says it is another crisis.
    """
    transaction_lock(f"crisis-declare:{brand}:{crisis_type}")
    existing = (
        Crisis.objects.filter(brand=brand, crisis_type=crisis_type, status__in=ACTIVE_CRISIS_STATUSES)
        .order_by("-declared_at")
        .first()
    )
    if existing is not None:
        raise CrisisError(
            _(
                "A %(type)s crisis is already open for %(brand)s: #%(id)s %(title)s. Work in it, or confirm "
                "that this is another crisis to declare a second one."
            ),
            type=lowercase_lazy(existing.get_crisis_type_display()),
            brand=brand,
            id=existing.pk,
            title=existing.title,
        )


def _alert_claim(alert_id: int) -> Alert:
    """Lock the alert the crisis is declared from; one active crisis per alert."""
    alert = Alert.objects.select_for_update(no_key=True).filter(pk=alert_id).first()
    if alert is None:
        raise CrisisError(_("That alert does not exist."))
    if alert.crisis_id and Crisis.objects.filter(pk=alert.crisis_id, status__in=ACTIVE_CRISIS_STATUSES).exists():
        raise CrisisError(_("A crisis is already declared from this alert."))
    return alert


def _crisis_create(
    *,
    actor: User,
    owner: User | None,
    crisis_type: str,
    level: int,
    title: str,
    brand: str,
    now: datetime,
) -> Crisis:
    """The crisis row with its playbook snapshotted, and the checklist with deadlines from `now`."""
    version = playbook_version_current(crisis_type=crisis_type, level=level)
    content = content_clean(version.content if version else {})
    crisis = Crisis.objects.create(
        title=title.strip()[:200],
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
            checklist_item_for_step(crisis=crisis, position=position, step=step, now=now)
            for position, step in enumerate(content["steps"], start=1)
        ]
    )
    return crisis


def _declaration_record(*, crisis: Crisis, actor: User, alert: Alert | None, mention_ids: list[int]) -> None:
    """Link the alert and mentions, and write the declaration to the timeline and the audit trail."""
    version = crisis.playbook_version
    if mention_ids:
        crisis.mentions.add(*Mention.objects.filter(pk__in=mention_ids).values_list("pk", flat=True))
    crisis_event_add(
        crisis=crisis,
        kind=CrisisEventKind.DECLARED,
        key="crisis.declared",
        params={"level": crisis.level, "actor": display_name(actor)},
        actor=actor,
        data={
            "level": crisis.level,
            "playbook_version": version.pk if version else None,
            "version_number": version.number if version else None,
        },
        at=crisis.declared_at,
    )
    if alert is not None:
        alert.crisis = crisis
        alert.save(update_fields=["crisis"])
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.ALERT,
            key="alert.joined",
            params=alert_timeline_params(alert),
            data={"alert": alert.pk},
            at=alert.started_at,
        )
    audit_record(
        actor=actor,
        verb="crisis.declare",
        target=crisis,
        data={"level": crisis.level, "type": crisis.crisis_type, "playbook_version": version.pk if version else None},
    )


def _declaration_announce(crisis: Crisis) -> None:
    """After commit: the banner for everyone, a notice to the people named, webhooks, and the e-mails."""
    content = crisis.playbook_content
    notified = [user.pk for user in users_named(content["notify"] + content["decision_makers"])]
    events.publish_to_users(notified, events.crisis_notice(crisis))
    events.publish_crisis_changed(crisis, change="declared")
    _webhook_emit(crisis, "crisis.declared")
    crisis_id = crisis.pk
    transaction.on_commit(lambda: celery_app.signature(CRISIS_NOTIFY_TASK, args=(crisis_id,)).delay())


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
    link_alert_mentions: bool = True,
    another_wanted: bool = False,
    now: datetime | None = None,
) -> Crisis:
    """Declare a crisis and start its playbook, all or nothing.

    Snapshots the current playbook version, creates the checklist with deadlines, makes the declarer
    the crisis lead (`crisis_role_put`), links the alert
    and mentions, suspends scheduled publishing (every approved post is held, the crisis title the
    reason; not for a drill's crisis), creates the escalation requests for the playbook's
    departments, and after commit pushes `crisis.changed` to everyone, `crisis.notice` to the people
    the playbook names and emails them (task `playbooks.crisis_notify`).

    A title is required. Declared from an alert, the crisis links the alert's mentions (see
    `alert_mention_ids`) unless `link_alert_mentions` is false. While a crisis of the same brand and
    type is open, a second one is refused unless `another_wanted` says it is a different crisis.
    """
    level = _declaration_check(actor=actor, crisis_type=crisis_type, level=level, title=title)
    now = now or timezone.now()
    linked = list(dict.fromkeys(int(pk) for pk in mention_ids))
    with transaction.atomic():
        alert = _alert_claim(alert_id) if alert_id is not None else None
        if alert is not None:
            brand = brand or alert.brand
            if link_alert_mentions:
                linked += alert_mention_ids(alert=alert)
        brand = brand or brand_default()
        if not another_wanted:
            _open_crisis_refuse(brand=brand, crisis_type=crisis_type)
        crisis = _crisis_create(
            actor=actor,
            owner=owner,
            crisis_type=crisis_type,
            level=level,
            title=title,
            brand=brand,
            now=now,
        )
        _declaration_record(crisis=crisis, actor=actor, alert=alert, mention_ids=linked)
        crisis_role_put(
            crisis=crisis, role=IncidentRole.LEAD, person=actor, actor=actor, now=now, key="role.declarer_leads"
        )
        if not crisis.is_drill:  # a drill holds no real post
            publishing_suspend(actor=actor, reason=crisis.title, crisis=crisis, now=now)
        crisis_departments_ask(
            crisis=crisis, departments=crisis.playbook_content["departments"], actor=actor, mention_ids=linked
        )
        _declaration_announce(crisis)
    return crisis


# Level and status -------------------------------------------------------------------------------


def crisis_level_change(*, crisis_id: int, level: int, actor: User, now: datetime | None = None) -> Crisis:
    """Raise or lower an active crisis's level; the running playbook snapshot stays as declared.

    Raising it appends the steps of the new level's playbook the checklist lacks, due from now
    (`checklist_level_steps_add`); lowering it removes none.
    """
    role_require(actor, DECLARERS, _("Only community managers and directors can change a crisis level."))
    level = _level_parse(level)
    now = now or timezone.now()
    with transaction.atomic():
        crisis = crisis_for_update(crisis_id)
        if crisis.status not in ACTIVE_CRISIS_STATUSES:
            raise CrisisError(_("Only an active crisis can change level."))
        if crisis.level == level:
            return crisis
        previous = crisis.level
        crisis.level = level
        crisis.save(update_fields=["level"])
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.LEVEL,
            key="crisis.level_changed",
            params={"from": previous, "to": level, "actor": display_name(actor)},
            actor=actor,
            at=now,
            data={"from": previous, "to": level},
        )
        audit_record(actor=actor, verb="crisis.level", target=crisis, data={"from": previous, "to": level})
        if level > previous:
            checklist_level_steps_add(crisis=crisis, level=level, actor=actor, now=now)
        events.publish_crisis_changed(crisis, change="level")
        _webhook_emit(crisis, "crisis.level_changed", previous_level=previous)
    return crisis


def crisis_status_set(
    *,
    crisis_id: int,
    actor: User,
    status: str,
    allowed_from: tuple[str, ...],
    stamp: str,
    now: datetime | None,
) -> Crisis:
    """Move the crisis to `status` from one of `allowed_from`, stamping the time; a repeat is a no-op."""
    role_require(actor, DECLARERS, _("Only community managers and directors can change a crisis status."))
    now = now or timezone.now()
    with transaction.atomic():
        crisis = crisis_for_update(crisis_id)
        if crisis.status == status:
            return crisis
        if crisis.status not in allowed_from:
            raise CrisisError(
                _("A %(status)s crisis cannot become %(target)s."),
                status=lowercase_lazy(CrisisStatus(crisis.status).label),
                target=lowercase_lazy(CrisisStatus(status).label),
            )
        previous = crisis.status
        crisis.status = status
        setattr(crisis, stamp, now)
        crisis.save(update_fields=["status", stamp])
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.STATUS,
            key="crisis.status_changed",
            params={"from": previous, "to": status, "actor": display_name(actor)},
            actor=actor,
            at=now,
            data={"from": previous, "to": status},
        )
        audit_record(actor=actor, verb=f"crisis.{status}", target=crisis, data={"from": previous})
        events.publish_crisis_changed(crisis, change=status)
        if status == CrisisStatus.RESOLVED:
            _webhook_emit(crisis, "crisis.resolved")
    return crisis


def crisis_contain(*, crisis_id: int, actor: User, now: datetime | None = None) -> Crisis:
    return crisis_status_set(
        crisis_id=crisis_id,
        actor=actor,
        status=CrisisStatus.CONTAINED,
        allowed_from=(CrisisStatus.DECLARED,),
        stamp="contained_at",
        now=now,
    )


def crisis_resolve(*, crisis_id: int, actor: User, now: datetime | None = None) -> Crisis:
    """Resolve the crisis (the banner goes). Publishing stays suspended and held posts held until people act."""
    return crisis_status_set(
        crisis_id=crisis_id,
        actor=actor,
        status=CrisisStatus.RESOLVED,
        allowed_from=(CrisisStatus.DECLARED, CrisisStatus.CONTAINED),
        stamp="resolved_at",
        now=now,
    )
