"""Realtime payloads for crises, alerts and statements (typed, each with "type" and "version").

Payloads carry ids and labels only; browsers fetch anything written by people as server-rendered,
escaped HTML.
"""

from __future__ import annotations

from typing import Any

from crisisdesk.models import Role
from crisisdesk.realtime import BROADCAST_GROUP, event, group_for_role, group_for_user, publish_on_commit

STAFF_GROUPS = [group_for_role(role) for role in (Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN)]


def crisis_changed(crisis, *, change: str) -> dict[str, Any]:
    return event(
        "crisis.changed",
        id=crisis.pk,
        change=change,
        level=crisis.level,
        status=crisis.status,
        crisis_type=crisis.crisis_type,
    )


def crisis_updated(crisis_id: int, *, part: str) -> dict[str, Any]:
    return event("crisis.updated", id=crisis_id, part=part)


def alert_new(alert) -> dict[str, Any]:
    return event(
        "alert.new",
        id=alert.pk,
        brand=alert.brand,
        signal=alert.signal,
        topic=alert.topic,
        severity=alert.severity,
        suggested_level=alert.suggested_level,
        suggested_type=alert.suggested_type,
    )


def alert_acknowledged(alert) -> dict[str, Any]:
    return event(
        "alert.acknowledged",
        id=alert.pk,
        via=alert.acknowledged_via,
        by=alert.acknowledged_label,
        at=alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
    )


def crisis_notice(crisis) -> dict[str, Any]:
    return event("crisis.notice", id=crisis.pk, level=crisis.level, crisis_type=crisis.crisis_type)


def statement_pending(statement) -> dict[str, Any]:
    return event("statement.pending", id=statement.pk, crisis_id=statement.crisis_id)


def statement_decided(statement) -> dict[str, Any]:
    return event("statement.decided", id=statement.pk, crisis_id=statement.crisis_id, status=statement.status)


def publish_crisis_changed(crisis, *, change: str) -> None:
    """Every user's banner follows declared crises, so this goes to everyone."""
    publish_on_commit([BROADCAST_GROUP], crisis_changed(crisis, change=change))


def publish_crisis_updated(crisis_id: int, *, part: str) -> None:
    publish_on_commit(STAFF_GROUPS, crisis_updated(crisis_id, part=part))


def publish_to_users(user_ids: list[int], payload: dict[str, Any]) -> None:
    if user_ids:
        publish_on_commit([group_for_user(user_id) for user_id in user_ids], payload)


def publishing_changed(*, post_id: int | None, status: str, suspended: bool | None = None) -> dict[str, Any]:
    """A scheduled post moved, or publishing was suspended or resumed: open calendars reload."""
    return event("publishing.changed", post_id=post_id, status=status, suspended=suspended)


def publish_publishing_changed(*, post_id: int | None, status: str, suspended: bool | None = None) -> None:
    publish_on_commit(STAFF_GROUPS, publishing_changed(post_id=post_id, status=status, suspended=suspended))


def statement_template_added(statement) -> dict[str, Any]:
    """An approved statement is now a composer template: open composers re-read their templates."""
    return event("statement.template_added", id=statement.pk, crisis_id=statement.crisis_id)


def checklist_reminder(item, *, stage: str) -> dict[str, Any]:
    """To one person (`user.<id>`): a step of theirs is due soon or now ("soon", "due"), or someone's is
    overdue and escalated to them ("overdue")."""
    return event(
        "checklist.reminder",
        id=item.pk,
        crisis_id=item.crisis_id,
        stage=stage,
        due_at=item.due_at.isoformat() if item.due_at else None,
    )
