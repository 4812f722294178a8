"""On call: the pure schedule (rotations, overrides, business hours, out-of-office, DST) without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalation import oncall

MADRID = ZoneInfo("Europe/Madrid")
MEXICO = ZoneInfo("America/Mexico_City")
A, B, C, D = 1, 2, 3, 4


def rotation(frequency=oncall.DAILY, *, zone="Europe/Madrid", starts_on=date(2026, 3, 2), handoff=time(9, 0)):
    return oncall.Rotation(frequency=frequency, handoff=handoff, zone=zone, starts_on=starts_on, member_ids=(A, B, C))


def local(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_daily_rotation_hands_off_at_the_local_time_in_member_order():
    schedule = oncall.Schedule(rotation=rotation())
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 2, 9, 0)) == A
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 3, 8, 59)) == A
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 3, 9, 0)) == B
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 4, 12, 0)) == C
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 5, 9, 0)) == A  # round again


def test_weekly_rotation_hands_off_once_a_week():
    schedule = oncall.Schedule(rotation=rotation(oncall.WEEKLY))
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 8, 23, 0)) == A
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 9, 8, 59)) == A
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 9, 9, 0)) == B
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 23, 9, 0)) == A


def test_nobody_before_the_rotation_starts_and_the_old_on_duty_without_a_rotation():
    assert oncall.on_call_at(oncall.Schedule(rotation=rotation()), local(MADRID, 2026, 3, 2, 8, 59)) is None
    assert oncall.on_call_at(oncall.Schedule(fallback_user_id=D), local(MADRID, 2026, 3, 2, 8, 59)) == D


# --- DST -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day_before", "day_of", "utc_before", "utc_of"),
    [
        # Last Sunday of March 2026 (29th): CET +1 → CEST +2; 09:00 local is 08:00 UTC, then 07:00 UTC.
        (date(2026, 3, 28), date(2026, 3, 29), 8, 7),
        # Last Sunday of October 2026 (25th): CEST +2 → CET +1; 09:00 local is 07:00 UTC, then 08:00 UTC.
        (date(2026, 10, 24), date(2026, 10, 25), 7, 8),
    ],
)
def test_madrid_hands_off_at_nine_local_on_both_sides_of_the_change(day_before, day_of, utc_before, utc_of):
    schedule = oncall.Schedule(rotation=rotation())
    for day, utc_hour in ((day_before, utc_before), (day_of, utc_of)):
        handoff = datetime.combine(day, time(9, 0), tzinfo=MADRID)
        assert handoff.astimezone(UTC).hour == utc_hour
        before = oncall.on_call_at(schedule, handoff - timedelta(minutes=1))
        after = oncall.on_call_at(schedule, handoff)
        assert before != after
        assert after == (A, B, C)[(day - date(2026, 3, 2)).days % 3]
    # the shift that spans the change is an hour shorter (March) or longer (October)
    rot = schedule.rotation
    index = oncall.shift_index_at(rot, datetime.combine(day_before, time(12, 0), tzinfo=MADRID))
    length = oncall.shift_start(rot, index + 1) - oncall.shift_start(rot, index)
    assert length == timedelta(hours=24 + utc_of - utc_before)


def test_madrid_weekly_shift_across_the_spring_change_is_167_hours():
    rot = rotation(oncall.WEEKLY, starts_on=date(2026, 3, 23))
    assert oncall.shift_start(rot, 1) - oncall.shift_start(rot, 0) == timedelta(hours=167)
    schedule = oncall.Schedule(rotation=rot)
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 30, 8, 59)) == A
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 30, 9, 0)) == B


def test_mexico_city_has_had_no_dst_since_2022():
    assert local(MEXICO, 2021, 7, 1, 12).utcoffset() == timedelta(hours=-5)  # the old summer time
    assert local(MEXICO, 2022, 12, 1, 12).utcoffset() == timedelta(hours=-6)
    for month in range(1, 13):
        assert local(MEXICO, 2026, month, 15, 12).utcoffset() == timedelta(hours=-6)


@pytest.mark.parametrize(
    "day",
    # the first Sunday of April and the last of October, where Mexico used to change its clocks
    [date(2026, 4, 4), date(2026, 4, 5), date(2026, 10, 24), date(2026, 10, 25)],
)
def test_mexico_city_hands_off_at_nine_local_which_stays_15_utc(day):
    schedule = oncall.Schedule(rotation=rotation(zone="America/Mexico_City", starts_on=date(2026, 4, 1)))
    handoff = datetime.combine(day, time(9, 0), tzinfo=MEXICO)
    assert handoff.astimezone(UTC).time() == time(15, 0)
    expected = (A, B, C)[(day - date(2026, 4, 1)).days % 3]
    assert oncall.on_call_at(schedule, handoff) == expected
    assert oncall.on_call_at(schedule, handoff - timedelta(minutes=1)) != expected


# --- overrides, business hours, out of office ----------------------------------------------------


def test_an_override_covers_its_window_only_and_the_latest_wins():
    start = local(MADRID, 2026, 3, 2, 14, 0)
    schedule = oncall.Schedule(
        rotation=rotation(),
        overrides=(
            oncall.Window(user_id=D, starts_at=start, ends_at=start + timedelta(hours=4)),
            oncall.Window(user_id=C, starts_at=start + timedelta(hours=1), ends_at=start + timedelta(hours=2)),
        ),
    )
    assert oncall.on_call_at(schedule, start - timedelta(seconds=1)) == A
    assert oncall.on_call_at(schedule, start) == D
    assert oncall.on_call_detail(schedule, start).source == oncall.SOURCE_OVERRIDE
    assert oncall.on_call_at(schedule, start + timedelta(hours=1, minutes=30)) == C
    assert oncall.on_call_at(schedule, start + timedelta(hours=4)) == A


def test_outside_business_hours_the_outside_hours_person_is_on_call():
    hours = tuple(oncall.Hours(weekday=day, opens=time(9, 0), closes=time(18, 0)) for day in range(5))
    schedule = oncall.Schedule(rotation=rotation(), business_hours=hours, outside_hours_user_id=D)
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 3, 17, 59)) == B  # Tuesday
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 3, 18, 0)) == D
    assert oncall.on_call_at(schedule, local(MADRID, 2026, 3, 7, 12, 0)) == D  # Saturday
    assert oncall.on_call_detail(schedule, local(MADRID, 2026, 3, 7, 12, 0)).source == oncall.SOURCE_OUTSIDE_HOURS
    nobody = oncall.Schedule(rotation=rotation(), business_hours=hours)
    assert oncall.on_call_at(nobody, local(MADRID, 2026, 3, 7, 12, 0)) is None


def test_out_of_office_hands_the_shift_to_the_deputy_and_the_deputys_deputy():
    start = local(MADRID, 2026, 3, 2, 10, 0)
    away = oncall.Absence(user_id=A, deputy_id=C, starts_at=start, ends_at=start + timedelta(hours=2))
    schedule = oncall.Schedule(rotation=rotation(), absences=(away,))
    assert oncall.on_call_at(schedule, start - timedelta(minutes=1)) == A
    detail = oncall.on_call_detail(schedule, start)
    assert (detail.user_id, detail.scheduled_id) == (C, A)
    assert oncall.on_call_at(schedule, start + timedelta(hours=2)) == A
    chained = oncall.Schedule(
        rotation=rotation(),
        absences=(away, oncall.Absence(user_id=C, deputy_id=D, starts_at=start, ends_at=start + timedelta(hours=1))),
    )
    assert oncall.on_call_at(chained, start) == D
    circle = oncall.Schedule(
        rotation=rotation(),
        absences=(away, oncall.Absence(user_id=C, deputy_id=A, starts_at=start, ends_at=start + timedelta(hours=1))),
    )
    assert oncall.on_call_at(circle, start) == A
    no_rotation = oncall.Schedule(fallback_user_id=A, absences=(away,))
    assert oncall.on_call_at(no_rotation, start) == C


def test_shifts_between_agree_with_on_call_at_across_a_dst_change():
    hours = tuple(oncall.Hours(weekday=day, opens=time(8, 0), closes=time(20, 0)) for day in range(7))
    start = local(MADRID, 2026, 3, 28, 22, 0)
    schedule = oncall.Schedule(
        rotation=rotation(),
        business_hours=hours,
        outside_hours_user_id=D,
        overrides=(oncall.Window(user_id=A, starts_at=start, ends_at=start + timedelta(hours=30)),),
    )
    since, until = local(MADRID, 2026, 3, 27, 0, 0), local(MADRID, 2026, 4, 1, 0, 0)
    shifts = oncall.shifts_between(schedule, since, until)
    assert shifts[0].starts_at == since and shifts[-1].ends_at == until
    for earlier, later in zip(shifts, shifts[1:], strict=False):
        assert earlier.ends_at == later.starts_at
        assert (earlier.user_id, earlier.source) != (later.user_id, later.source)
    probe = since
    while probe < until:
        shift = next(item for item in shifts if item.starts_at <= probe < item.ends_at)
        assert shift.user_id == oncall.on_call_at(schedule, probe)
        probe += timedelta(minutes=30)
