"""Reads for on-call: a department's schedule as plain values, who is on call now, who may see it.

The decision is `escalation.oncall` (pure); this module only reads rows into its values and
turns the ids it answers with back into users.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from crisisdesk.models import Role, User
from crisisdesk.roles import user_role
from escalation import oncall
from escalation.models import Department
from escalation.models_oncall import OnCallMember, OnCallRotation, OutOfOffice

# How far back and ahead the schedule pages, the API and the calendar feed look.
SHIFTS_BEHIND = timedelta(days=7)
SHIFTS_AHEAD = timedelta(days=56)


@dataclass(frozen=True)
class DepartmentOnCall:
    """Who is on call for a department now, why, until when, and who the schedule named."""

    department: Department
    user: User | None
    source: str
    until: datetime | None
    scheduled: User | None
    has_rotation: bool


def on_call_departments_for(*, user: User) -> QuerySet[Department]:
    """Departments whose on-call a user may see: community managers, directors and admins all of
    them (they raise the questions), a department head only those they head or belong to."""
    role = user_role(user)
    if role in (Role.DIRECTOR, Role.ADMIN, Role.COMMUNITY_MANAGER):
        return Department.objects.all()
    if role == Role.DEPARTMENT_HEAD:
        return Department.objects.filter(Q(heads=user) | Q(members=user)).distinct()
    return Department.objects.none()


def _rotation_of(department: Department) -> OnCallRotation | None:
    return (
        OnCallRotation.objects.filter(department=department)
        .prefetch_related(
            Prefetch("members", queryset=OnCallMember.objects.order_by("position", "id")),
            "overrides",
            "business_hours",
        )
        .first()
    )


def schedule_for(*, department: Department, since: datetime, until: datetime) -> oncall.Schedule:
    """The department's schedule as plain values, with the overrides and absences that touch [since, until)."""
    rotation = _rotation_of(department)
    if rotation is None:
        return oncall.Schedule(fallback_user_id=department.on_duty_id, absences=_absences(since, until))
    member_ids = tuple(member.user_id for member in rotation.members.all())
    return oncall.Schedule(
        rotation=oncall.Rotation(
            frequency=rotation.frequency,
            handoff=rotation.handoff_time,
            zone=rotation.time_zone,
            starts_on=rotation.starts_on,
            member_ids=member_ids,
        ),
        overrides=tuple(
            oncall.Window(user_id=item.user_id, starts_at=item.starts_at, ends_at=item.ends_at)
            for item in sorted(rotation.overrides.all(), key=lambda item: (item.pk or 0))
            if item.ends_at > since and item.starts_at < until
        ),
        business_hours=tuple(
            oncall.Hours(weekday=hours.weekday, opens=hours.opens_at, closes=hours.closes_at)
            for hours in rotation.business_hours.all()
        ),
        outside_hours_user_id=rotation.outside_hours_user_id,
        absences=_absences(since, until),
        fallback_user_id=department.on_duty_id,
    )


def _absences(since: datetime, until: datetime) -> tuple[oncall.Absence, ...]:
    """Everyone's out-of-office windows touching the range (a deputy may be away too: they chain)."""
    rows = OutOfOffice.objects.filter(ends_at__gt=since, starts_at__lt=until).order_by("id")
    return tuple(
        oncall.Absence(user_id=row.user_id, deputy_id=row.deputy_id, starts_at=row.starts_at, ends_at=row.ends_at)
        for row in rows
    )


def _users_by_id(ids: set[int | None]) -> dict[int, User]:
    return {user.pk: user for user in User.objects.filter(pk__in=[pk for pk in ids if pk is not None])}


def department_on_call(*, department: Department, now: datetime | None = None) -> DepartmentOnCall:
    """Who is on call now and until when (the end of the current shift, within the look-ahead)."""
    now = now or timezone.now()
    schedule = schedule_for(department=department, since=now, until=now + SHIFTS_AHEAD)
    shifts = oncall.shifts_between(schedule, now, now + SHIFTS_AHEAD)
    detail = oncall.on_call_detail(schedule, now)
    people = _users_by_id({detail.user_id, detail.scheduled_id})
    until = shifts[0].ends_at if shifts and len(shifts) > 1 else None
    return DepartmentOnCall(
        department=department,
        user=people.get(detail.user_id) if detail.user_id else None,
        source=detail.source,
        until=until,
        scheduled=people.get(detail.scheduled_id) if detail.scheduled_id else None,
        has_rotation=schedule.rotation is not None,
    )


def on_call_now(*, user: User, now: datetime | None = None) -> list[DepartmentOnCall]:
    """ "On call now" for every department the user may see, in name order."""
    return [department_on_call(department=item, now=now) for item in on_call_departments_for(user=user)]


@dataclass(frozen=True)
class ShiftRow:
    user: User | None
    source: str
    starts_at: datetime
    ends_at: datetime


def department_shifts(*, department: Department, since: datetime, until: datetime) -> list[ShiftRow]:
    """The department's on-call timeline over the range, with the people read once."""
    shifts = oncall.shifts_between(schedule_for(department=department, since=since, until=until), since, until)
    people = _users_by_id({shift.user_id for shift in shifts})
    return [
        ShiftRow(
            user=people.get(shift.user_id) if shift.user_id else None,
            source=shift.source,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
        )
        for shift in shifts
    ]


def on_call_person(*, department_id: int, now: datetime | None = None) -> User | None:
    """The active person the "notify whoever is on call" step reaches from the schedule, or None to
    let the chain keep its old rule (the on-duty field, then a head): returned only when the department
    has a rotation, or when the on-duty person is away and a deputy stands in."""
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        return None
    now = now or timezone.now()
    schedule = schedule_for(department=department, since=now, until=now + timedelta(seconds=1))
    detail = oncall.on_call_detail(schedule, now)
    if detail.user_id is None or (schedule.rotation is None and detail.user_id == department.on_duty_id):
        return None
    return User.objects.filter(pk=detail.user_id, is_active=True).first()
