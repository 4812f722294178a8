"""How quickly each department acknowledges and answers: p50/p90, late answers, missed promises.

Over the requests raised in the last 7, 30 or 90 days (or those of one crisis):

- time to acknowledge: from raising to the first of acknowledgement or answer (an answer
  acknowledges too), over the requests that got either;
- time to answer: from raising to the first answer, over the answered requests;
- answered late: answers given after the request's deadline (`due_at`), and their share;
- overdue unanswered: requests past their deadline with no answer (pending, or closed unanswered);
- promised times missed: requests whose department promised an answer time (`promised_at`) and
  answered after it, or not at all while it has passed. Until `EscalationRequest` has that field
  (issue #18, acknowledgement with a promise) this is None and shown as "—".

A drill's requests (`is_drill`) stay out of the windows' figures; the drill's results page scores them
with the same `department_figures`. Percentiles interpolate linearly between the nearest ranks
(PostgreSQL's `percentile_cont`).
Directors, admins and community managers see every department; a department head only theirs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from crisisdesk.models import User
from escalation.models import EscalationRequest
from escalation.selectors_oncall import on_call_departments_for

WINDOWS_DAYS = (7, 30, 90)
DEFAULT_WINDOW_DAYS = 30


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` (0–1) percentile with linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Responsiveness:
    department_id: int
    department: str
    requests: int
    acknowledged: int
    acknowledge_p50_seconds: float | None
    acknowledge_p90_seconds: float | None
    answered: int
    answer_p50_seconds: float | None
    answer_p90_seconds: float | None
    answered_late: int
    late_share: float | None
    overdue_unanswered: int
    promised_missed: int
    acknowledge_worst_seconds: float | None = None
    answer_worst_seconds: float | None = None


def _promise_missed(item: Any, now: datetime) -> bool:
    promised = item.promised_at
    if promised is None:
        return False
    return (item.answered_at or now) > promised


def department_figures(
    *, department_id: int, name: str, requests: Iterable[EscalationRequest], now: datetime
) -> Responsiveness:
    """The figures of one department's requests (pure over the rows given)."""
    rows = list(requests)
    acknowledge = [
        (min(moment for moment in (item.acknowledged_at, item.answered_at) if moment) - item.created_at).total_seconds()
        for item in rows
        if item.acknowledged_at or item.answered_at
    ]
    answered = [item for item in rows if item.answered_at]
    answer = [(item.answered_at - item.created_at).total_seconds() for item in answered if item.answered_at]
    late = sum(1 for item in answered if item.answered_at and item.answered_at > item.due_at)
    return Responsiveness(
        department_id=department_id,
        department=name,
        requests=len(rows),
        acknowledged=len(acknowledge),
        acknowledge_p50_seconds=percentile(acknowledge, 0.5),
        acknowledge_p90_seconds=percentile(acknowledge, 0.9),
        answered=len(answered),
        answer_p50_seconds=percentile(answer, 0.5),
        answer_p90_seconds=percentile(answer, 0.9),
        answered_late=late,
        late_share=late / len(answered) if answered else None,
        overdue_unanswered=sum(1 for item in rows if not item.answered_at and item.due_at <= now),
        promised_missed=sum(1 for item in rows if _promise_missed(item, now)),
        acknowledge_worst_seconds=percentile(acknowledge, 1.0),
        answer_worst_seconds=percentile(answer, 1.0),
    )


def window_days(value: str | None) -> int:
    """The window asked for (7, 30 or 90 days); anything else is the default 30."""
    return int(value) if value in {str(days) for days in WINDOWS_DAYS} else DEFAULT_WINDOW_DAYS


def department_responsiveness(
    *, user: User, days: int | None = DEFAULT_WINDOW_DAYS, crisis_id: int | None = None, now: datetime | None = None
) -> list[Responsiveness]:
    """Per visible department, the figures over the last `days` days (or over one crisis's requests)."""
    now = now or timezone.now()
    departments = list(on_call_departments_for(user=user).order_by("name"))
    scope = Q(department__in=departments)
    if crisis_id is not None:
        scope &= Q(crisis_id=crisis_id)
    else:
        scope &= Q(is_drill=False)  # a drill's requests are scored on its own page, never in the real figures
    if days is not None:
        scope &= Q(created_at__gte=now - timedelta(days=days), created_at__lte=now)
    by_department: dict[int, list[EscalationRequest]] = {department.pk: [] for department in departments}
    for item in EscalationRequest.objects.filter(scope).only(*_columns()):
        by_department[item.department_id].append(item)
    figures = [
        department_figures(
            department_id=department.pk, name=department.name, requests=by_department[department.pk], now=now
        )
        for department in departments
    ]
    return [row for row in figures if row.requests] if crisis_id is not None else figures


def _columns() -> list[str]:
    return ["department_id", "created_at", "due_at", "acknowledged_at", "answered_at", "promised_at"]


CSV_HEADER = (
    "department",
    "days",
    "requests",
    "acknowledged",
    "acknowledge_p50_seconds",
    "acknowledge_p90_seconds",
    "answered",
    "answer_p50_seconds",
    "answer_p90_seconds",
    "answered_late",
    "late_share",
    "overdue_unanswered",
    "promised_missed",
)


def responsiveness_csv_rows(rows: list[Responsiveness], *, days: int | None) -> list[list[object]]:
    """The header and one row per department; empty figures (and the days of a crisis's table) are empty cells."""

    def cell(value: float | int | None) -> object:
        if value is None:
            return ""
        return round(value, 1) if isinstance(value, float) else value

    body = [
        [
            row.department,
            "" if days is None else days,
            row.requests,
            row.acknowledged,
            cell(row.acknowledge_p50_seconds),
            cell(row.acknowledge_p90_seconds),
            row.answered,
            cell(row.answer_p50_seconds),
            cell(row.answer_p90_seconds),
            row.answered_late,
            "" if row.late_share is None else round(row.late_share, 3),
            row.overdue_unanswered,
            cell(row.promised_missed),
        ]
        for row in rows
    ]
    return [list(CSV_HEADER), *body]

