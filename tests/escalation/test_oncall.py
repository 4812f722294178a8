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


# --- the rows, the chain, the pages, the feed and the API -----------------------------------------

import icalendar  # noqa: E402
from django.core import mail  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone as django_timezone  # noqa: E402

from escalation import selectors_oncall, services  # noqa: E402
from escalation.models import EventKind  # noqa: E402
from escalation.models_oncall import (  # noqa: E402
    BusinessHours,
    OnCallMember,
    OnCallOverride,
    OnCallRotation,
    OutOfOffice,
)
from escalation.oncall_feed import feed_token_make  # noqa: E402
from tests import factories  # noqa: E402
from tests.escalation.conftest import T0, at  # noqa: E402


@pytest.fixture
def frozen_now(monkeypatch):
    """The pages read the clock through `django.utils.timezone.now`; the tests set it."""
    return monkeypatch


@pytest.fixture
def engineers(department):
    people = [
        factories.UserFactory(role="department_head", username=name, first_name=first, last_name="Ruiz")
        for name, first in (("irene", "Irene"), ("jorge", "Jorge"), ("kike", "Kike"))
    ]
    department.members.add(*people)
    return people


@pytest.fixture
def rotation_rows(department, engineers):
    """Técnica: daily from Monday 2 March 2026, 09:00 Madrid (08:00 UTC), Irene → Jorge → Kike."""
    rotation = OnCallRotation.objects.create(
        department=department,
        frequency="daily",
        handoff_time=time(9, 0),
        time_zone="Europe/Madrid",
        starts_on=date(2026, 3, 2),
    )
    OnCallMember.objects.bulk_create(
        [OnCallMember(rotation=rotation, user=person, position=index) for index, person in enumerate(engineers)]
    )
    return rotation


@pytest.mark.django_db
def test_the_selector_reads_rotation_override_hours_and_out_of_office(department, engineers, rotation_rows):
    irene, jorge, kike = engineers
    current = selectors_oncall.department_on_call(department=department, now=T0)
    assert current.user == irene and current.source == "rotation"
    assert current.until == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    OnCallOverride.objects.create(rotation=rotation_rows, user=kike, starts_at=at(0), ends_at=at(3600))
    assert selectors_oncall.department_on_call(department=department, now=at(10)).user == kike
    OutOfOffice.objects.create(user=kike, deputy=jorge, starts_at=at(0), ends_at=at(600))
    current = selectors_oncall.department_on_call(department=department, now=at(10))
    assert (current.user, current.scheduled) == (jorge, kike)
    BusinessHours.objects.create(rotation=rotation_rows, weekday=0, opens_at=time(9, 0), closes_at=time(18, 0))
    rotation_rows.outside_hours_user = kike
    rotation_rows.save()
    evening = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)  # 20:00 in Madrid
    assert selectors_oncall.department_on_call(department=department, now=evening).user == kike


@pytest.mark.django_db
def test_the_chain_tells_whoever_is_on_call(
    people, department, chain_policy, mention, engineers, rotation_rows, django_capture_on_commit_callbacks
):
    jorge = engineers[1]
    OnCallOverride.objects.create(rotation=rotation_rows, user=jorge, starts_at=at(-60), ends_at=at(600))
    with django_capture_on_commit_callbacks(execute=True):
        request = services.escalation_request_create(
            raised_by=people["cm"], department=department, question="¿Avería?", mention_ids=[mention.pk], now=at(0)
        )
    notified = request.events.get(kind=EventKind.NOTIFIED)
    assert notified.data["recipient_ids"] == [jorge.pk]
    assert [message.to for message in mail.outbox] == [[jorge.email]]


@pytest.mark.django_db
def test_without_a_rotation_the_chain_keeps_the_person_on_duty_unless_they_are_away(
    people, department, chain_policy, mention, django_capture_on_commit_callbacks
):
    owner, head = people["owner"], people["head"]
    with django_capture_on_commit_callbacks(execute=True):
        first = services.escalation_request_create(
            raised_by=people["cm"], department=department, question="¿Uno?", mention_ids=[mention.pk], now=at(0)
        )
    assert first.events.get(kind=EventKind.NOTIFIED).data["recipient_ids"] == [owner.pk]
    OutOfOffice.objects.create(user=owner, deputy=head, starts_at=at(0), ends_at=at(3600))
    with django_capture_on_commit_callbacks(execute=True):
        second = services.escalation_request_create(
            raised_by=people["cm"], department=department, question="¿Dos?", mention_ids=[mention.pk], now=at(10)
        )
    assert second.events.get(kind=EventKind.NOTIFIED).data["recipient_ids"] == [head.pk]


def _feed(client: Client, department, **params):
    return client.get(f"/escalation/on-call/{department.pk}/calendar.ics", params)


@pytest.mark.django_db
def test_the_ical_feed_parses_back_with_the_right_people_and_times(
    department, engineers, rotation_rows, department_head, frozen_now
):
    frozen_now.setattr(django_timezone, "now", lambda: T0)
    token = feed_token_make(user=department_head, department=department)
    response = _feed(Client(), department, token=token)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = sorted(calendar.walk("VEVENT"), key=lambda event: event.decoded("dtstart"))
    by_start = {event.decoded("dtstart"): event for event in events}
    # the shift that holds "now" began at the rotation's start, 09:00 Madrid = 08:00 UTC
    first = by_start[datetime(2026, 3, 2, 8, 0, tzinfo=UTC)]
    assert "Irene Ruiz" in str(first["summary"]) and "Técnica" in str(first["summary"])
    assert first.decoded("dtend") == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    # across the spring change (29 March) the hand-off stays at 09:00 local: 08:00 UTC, then 07:00 UTC
    march_28 = by_start[datetime(2026, 3, 28, 8, 0, tzinfo=UTC)]
    assert march_28.decoded("dtend") == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    names = ["Irene", "Jorge", "Kike"]
    assert names[(date(2026, 3, 28) - date(2026, 3, 2)).days % 3] in str(march_28["summary"])
    assert len({str(event["uid"]) for event in events}) == len(events)


@pytest.mark.django_db
def test_the_feed_wants_a_genuine_token_or_a_session(
    department, rotation_rows, department_head, other_department, client
):
    other_head = factories.UserFactory(role="department_head", username="olga")
    other_department.heads.add(other_head)
    assert _feed(Client(), department).status_code == 401
    assert _feed(Client(), department, token="forged").status_code == 404
    token = feed_token_make(user=department_head, department=department)
    assert _feed(Client(), other_department, token=token).status_code == 404  # for another department
    # a head who leaves the department loses the feed; a changed password revokes it
    department.heads.remove(department_head)
    department.members.remove(department_head)
    assert _feed(Client(), department, token=token).status_code == 404
    department.heads.add(department_head)
    assert _feed(Client(), department, token=token).status_code == 200
    department_head.set_password("another-pass-456")
    department_head.save()
    assert _feed(Client(), department, token=token).status_code == 404
    client.force_login(other_head)
    assert _feed(client, department).status_code == 404
    client.force_login(department_head)
    assert _feed(client, department).status_code == 200


@pytest.mark.django_db
def test_the_api_shows_who_is_on_call_and_a_head_sees_only_their_department(
    department, other_department, engineers, rotation_rows, department_head, community_manager, client, frozen_now
):
    frozen_now.setattr(django_timezone, "now", lambda: T0)
    client.force_login(department_head)
    body = client.get(f"/api/departments/{department.pk}/on-call/").json()
    assert body["user"]["username"] == "irene" and body["reason"] == "rotation"
    assert datetime.fromisoformat(body["until"]) == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    assert [shift["user"]["username"] for shift in body["shifts"][:3]] == ["irene", "jorge", "kike"]
    assert "/calendar.ics?token=" in body["feed_url"]
    assert client.get(f"/api/departments/{other_department.pk}/on-call/").status_code == 404
    client.force_login(community_manager)
    assert client.get(f"/api/departments/{other_department.pk}/on-call/").status_code == 200
    assert client.get(f"/api/departments/{other_department.pk}/on-call/").json()["user"] is None


@pytest.mark.django_db
def test_the_desk_and_the_on_call_page_show_who_is_on_call(
    department, other_department, engineers, rotation_rows, department_head, client, frozen_now
):
    frozen_now.setattr(django_timezone, "now", lambda: T0)
    client.force_login(department_head)
    desk = client.get("/escalation/").content.decode()
    assert 'data-testid="on-call-now"' in desk and "Irene Ruiz" in desk
    assert other_department.name not in desk
    page = client.get("/escalation/on-call/").content.decode()
    assert "Jorge Ruiz" in page and 'data-testid="feed-url"' in page
    assert other_department.name not in page


@pytest.mark.django_db
def test_the_admin_edits_rotations_with_their_inlines(admin_user, department, rotation_rows, client):
    client.force_login(admin_user)
    assert client.get("/admin/escalation/oncallrotation/").status_code == 200
    assert client.get(f"/admin/escalation/oncallrotation/{rotation_rows.pk}/change/").status_code == 200
    assert client.get("/admin/escalation/outofoffice/add/").status_code == 200
