"""Who is on call for a department at an instant, as plain values: no ORM, no models, no database.

The rules, in order (as PagerDuty, Grafana OnCall and Opsgenie apply them):

1. an override whose window holds the instant wins (the latest one, when several overlap);
2. else, when the rotation has business hours and the instant is outside all of them (in the
   rotation's zone), the outside-hours person is on call (nobody, when none is named: the chain
   then falls back to the department heads);
3. else the rotation's member whose shift holds the instant;
4. a department without a rotation keeps its old single person on duty (`fallback_user_id`);
5. whoever that is, if they are out of office at the instant, their deputy answers (and the
   deputy's deputy, when the deputy is away too, without ever going round in a circle).

Shifts hand off at the rotation's local wall-clock time: a daily 09:00 hand-off in Europe/Madrid
is 08:00 UTC in winter and 07:00 UTC in summer, so the shift that spans a DST change is an hour
shorter or longer. A hand-off time that a spring change skips happens as Python's `zoneinfo`
resolves it (fold=0: the offset before the change, i.e. one hour later on the new clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAILY = "daily"
WEEKLY = "weekly"
# How many hops through deputies of deputies before giving up (a cycle stops earlier).
MAX_DEPUTY_HOPS = 5

SOURCE_ROTATION = "rotation"
SOURCE_OVERRIDE = "override"
SOURCE_OUTSIDE_HOURS = "outside_hours"
SOURCE_ON_DUTY = "on_duty"


@dataclass(frozen=True)
class Rotation:
    frequency: str
    handoff: time
    zone: str
    starts_on: date
    member_ids: tuple[int, ...]

    @property
    def shift_days(self) -> int:
        return 7 if self.frequency == WEEKLY else 1


@dataclass(frozen=True)
class Window:
    """A person and a half-open window [starts_at, ends_at): an override."""

    user_id: int
    starts_at: datetime
    ends_at: datetime

    def holds(self, instant: datetime) -> bool:
        return self.starts_at <= instant < self.ends_at


@dataclass(frozen=True)
class Absence:
    """A person out of office in [starts_at, ends_at), and their deputy."""

    user_id: int
    deputy_id: int
    starts_at: datetime
    ends_at: datetime

    def holds(self, instant: datetime) -> bool:
        return self.starts_at <= instant < self.ends_at


@dataclass(frozen=True)
class Hours:
    """Business hours of one weekday (0 = Monday), local to the rotation's zone, [opens, closes)."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class Schedule:
    rotation: Rotation | None = None
    overrides: tuple[Window, ...] = ()
    business_hours: tuple[Hours, ...] = ()
    outside_hours_user_id: int | None = None
    absences: tuple[Absence, ...] = ()
    fallback_user_id: int | None = None


@dataclass(frozen=True)
class OnCall:
    """Who is on call and why; `scheduled_id` is who the schedule named before any deputy stepped in."""

    user_id: int | None
    source: str
    scheduled_id: int | None = None


@dataclass(frozen=True)
class Shift:
    user_id: int | None
    source: str
    starts_at: datetime
    ends_at: datetime


def shift_start(rotation: Rotation, index: int) -> datetime:
    """When shift number `index` starts (0 = the first one), in UTC: the hand-off time, local to the zone."""
    day = rotation.starts_on + timedelta(days=index * rotation.shift_days)
    return datetime.combine(day, rotation.handoff, tzinfo=ZoneInfo(rotation.zone)).astimezone(UTC)


def shift_index_at(rotation: Rotation, instant: datetime) -> int | None:
    """The number of the shift that holds `instant`; None before the rotation's first shift."""
    local_day = instant.astimezone(ZoneInfo(rotation.zone)).date()
    index = (local_day - rotation.starts_on).days // rotation.shift_days
    if shift_start(rotation, index) > instant:
        index -= 1
    elif shift_start(rotation, index + 1) <= instant:
        index += 1
    return index if index >= 0 else None


def rotation_member_at(rotation: Rotation, instant: datetime) -> int | None:
    """The member whose shift holds `instant`, in turn by their order; None with no members or before the start."""
    index = shift_index_at(rotation, instant)
    if index is None or not rotation.member_ids:
        return None
    return rotation.member_ids[index % len(rotation.member_ids)]


def within_business_hours(schedule: Schedule, instant: datetime) -> bool:
    """True without business hours (always open) or when the instant falls in one of them, locally."""
    if not schedule.business_hours or schedule.rotation is None:
        return True
    local = instant.astimezone(ZoneInfo(schedule.rotation.zone))
    clock = local.time().replace(tzinfo=None)
    return any(
        hours.weekday == local.weekday() and hours.opens <= clock < hours.closes for hours in schedule.business_hours
    )


def deputy_for(absences: tuple[Absence, ...], user_id: int | None, instant: datetime) -> int | None:
    """Who answers for `user_id` at `instant`: themself, or their deputy while they are away (transitively)."""
    seen: set[int] = set()
    current = user_id
    for _hop in range(MAX_DEPUTY_HOPS):
        if current is None or current in seen:
            break
        seen.add(current)
        absence = next((item for item in reversed(absences) if item.user_id == current and item.holds(instant)), None)
        if absence is None:
            return current
        current = absence.deputy_id
    return current if current not in seen else user_id


def scheduled_at(schedule: Schedule, instant: datetime) -> OnCall:
    """Who the schedule names at `instant`, before out-of-office is applied (rules 1–4)."""
    override = next((window for window in reversed(schedule.overrides) if window.holds(instant)), None)
    if override is not None:
        return OnCall(user_id=override.user_id, source=SOURCE_OVERRIDE)
    if schedule.rotation is None:
        return OnCall(user_id=schedule.fallback_user_id, source=SOURCE_ON_DUTY)
    if not within_business_hours(schedule, instant):
        return OnCall(user_id=schedule.outside_hours_user_id, source=SOURCE_OUTSIDE_HOURS)
    return OnCall(user_id=rotation_member_at(schedule.rotation, instant), source=SOURCE_ROTATION)


def on_call_detail(schedule: Schedule, instant: datetime) -> OnCall:
    """Who is on call at `instant`, why, and who was scheduled when a deputy stands in."""
    named = scheduled_at(schedule, instant)
    answering = deputy_for(schedule.absences, named.user_id, instant)
    return OnCall(user_id=answering, source=named.source, scheduled_id=named.user_id)


def on_call_at(schedule: Schedule, instant: datetime) -> int | None:
    """The id of the person on call at `instant` (an aware datetime), or None when nobody is."""
    return on_call_detail(schedule, instant).user_id


def _local_boundaries(schedule: Schedule, since: datetime, until: datetime) -> set[datetime]:
    """The rotation's hand-offs and the business hours' opening and closing instants in the range."""
    rotation = schedule.rotation
    if rotation is None:
        return set()
    found: set[datetime] = set()
    index = shift_index_at(rotation, since)
    index = 0 if index is None else index + 1
    while (start := shift_start(rotation, index)) < until:
        found.add(start)
        index += 1
    if schedule.business_hours:
        zone = ZoneInfo(rotation.zone)
        day = since.astimezone(zone).date()
        while day <= until.astimezone(zone).date():
            for hours in schedule.business_hours:
                if hours.weekday == day.weekday():
                    found.add(datetime.combine(day, hours.opens, tzinfo=zone).astimezone(UTC))
                    found.add(datetime.combine(day, hours.closes, tzinfo=zone).astimezone(UTC))
            day += timedelta(days=1)
    return found


def shifts_between(schedule: Schedule, since: datetime, until: datetime) -> list[Shift]:
    """The on-call timeline over [since, until): consecutive shifts, each with one person, merged
    when the same person carries on. Built from `on_call_at` at every instant where an input
    changes, so it can never disagree with it."""
    changes = _local_boundaries(schedule, since, until)
    for window in schedule.overrides:
        changes.update((window.starts_at, window.ends_at))
    for absence in schedule.absences:
        changes.update((absence.starts_at, absence.ends_at))
    points = sorted({since, *(point for point in changes if since < point < until)})
    shifts: list[Shift] = []
    for start, end in zip(points, [*points[1:], until], strict=True):
        detail = on_call_detail(schedule, start)
        if shifts and shifts[-1].user_id == detail.user_id and shifts[-1].source == detail.source:
            previous = shifts.pop()
            start = previous.starts_at
        shifts.append(Shift(user_id=detail.user_id, source=detail.source, starts_at=start, ends_at=end))
    return shifts
