"""A drill's scores: each department's time to acknowledge and to answer its requests, and what they teach.

The figures are `escalation.responsiveness.department_figures` over the drill's requests (never
recomputed here), with the worst times and the misses (requests never acknowledged or never answered)
beside them, and what the chain allowed: the first step's wait (to acknowledge) and the deadline (to
answer), read from each request's policy snapshot. `drill_findings` turns them into sentences for a
playbook revision; `drill_comparison` sets them beside the previous drill of the same playbook.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from statistics import median
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from escalation.models import EscalationRequest
from escalation.responsiveness import department_figures
from escalation.services import chain
from playbooks.models_drills import Drill, DrillStatus


@dataclass(frozen=True)
class DepartmentScore:
    department: str
    requests: int
    acknowledged: int
    acknowledge_median_seconds: float | None
    acknowledge_worst_seconds: float | None
    answered: int
    answer_median_seconds: float | None
    answer_worst_seconds: float | None
    acknowledge_misses: int
    answer_misses: int
    allowed_acknowledge_seconds: float | None
    allowed_answer_seconds: float | None

    @property
    def minutes(self) -> dict[str, float | None]:
        """The times in minutes (one decimal), for the results page."""
        return {
            "acknowledge_median": _in_minutes(self.acknowledge_median_seconds),
            "acknowledge_worst": _in_minutes(self.acknowledge_worst_seconds),
            "answer_median": _in_minutes(self.answer_median_seconds),
            "answer_worst": _in_minutes(self.answer_worst_seconds),
            "allowed_acknowledge": _in_minutes(self.allowed_acknowledge_seconds),
            "allowed_answer": _in_minutes(self.allowed_answer_seconds),
        }

    @property
    def acknowledged_late(self) -> bool:
        return _over(self.acknowledge_worst_seconds, self.allowed_acknowledge_seconds)

    @property
    def answered_late(self) -> bool:
        return _over(self.answer_worst_seconds, self.allowed_answer_seconds)


def _in_minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _over(value: float | None, allowed: float | None) -> bool:
    return value is not None and allowed is not None and value > allowed


def drill_requests(drill: Drill) -> QuerySet[EscalationRequest]:
    """The drill's requests: drill-tagged, about its channel's mentions or in its workspace's crises."""
    scope = Q(crisis__brand=drill.workspace_brand) if drill.workspace_brand else Q(pk__in=[])
    if drill.channel_id is not None:
        scope |= Q(mentions__channel_id=drill.channel_id)
    ids = EscalationRequest.objects.filter(scope, is_drill=True).values("pk")
    return EscalationRequest.objects.filter(pk__in=ids).select_related("department").order_by("department__name", "pk")


def _allowed_acknowledge(request: EscalationRequest) -> float | None:
    snapshot = request.policy_snapshot or {}
    if not snapshot.get("steps"):
        return None
    return chain.step_wait(chain.Chain.from_snapshot(snapshot), 0).total_seconds()


def drill_scores_compute(*, drill: Drill, now: datetime) -> list[DepartmentScore]:
    """Every department asked during the drill, by name, scored at `now` (the drill's end once ended)."""
    by_department: dict[int, list[EscalationRequest]] = {}
    for request in drill_requests(drill).filter(created_at__lte=now):
        by_department.setdefault(request.department_id, []).append(request)
    scores = []
    for rows in by_department.values():
        figures = department_figures(
            department_id=rows[0].department_id, name=rows[0].department.name, requests=rows, now=now
        )
        allowed_acknowledge = [value for value in map(_allowed_acknowledge, rows) if value is not None]
        scores.append(
            DepartmentScore(
                department=figures.department,
                requests=figures.requests,
                acknowledged=figures.acknowledged,
                acknowledge_median_seconds=figures.acknowledge_p50_seconds,
                acknowledge_worst_seconds=figures.acknowledge_worst_seconds,
                answered=figures.answered,
                answer_median_seconds=figures.answer_p50_seconds,
                answer_worst_seconds=figures.answer_worst_seconds,
                acknowledge_misses=figures.requests - figures.acknowledged,
                answer_misses=figures.requests - figures.answered,
                allowed_acknowledge_seconds=median(allowed_acknowledge) if allowed_acknowledge else None,
                allowed_answer_seconds=median((row.due_at - row.created_at).total_seconds() for row in rows),
            )
        )
    return sorted(scores, key=lambda score: score.department)


def drill_scores(drill: Drill, *, now: datetime) -> list[DepartmentScore]:
    """The kept scores of an ended drill; the live ones of a running drill."""
    if drill.status == DrillStatus.ENDED and "scores" in (drill.results or {}):
        return [DepartmentScore(**row) for row in drill.results["scores"]]
    return drill_scores_compute(drill=drill, now=now)


def scores_as_json(scores: list[DepartmentScore]) -> list[dict[str, Any]]:
    return [asdict(score) for score in scores]


def _minutes(seconds: float | None) -> int:
    return round((seconds or 0) / 60)


def drill_findings(scores: list[DepartmentScore]) -> list[str]:
    """What the drill showed, one sentence per shortfall, in the active language."""
    findings = []
    for score in scores:
        name = score.department
        if score.acknowledged_late:
            findings.append(
                _("%(department)s took %(taken)d min to acknowledge; the playbook allows %(allowed)d.")
                % {"department": name, "taken": _minutes(score.acknowledge_worst_seconds),
                   "allowed": _minutes(score.allowed_acknowledge_seconds)}
            )
        if score.answered_late:
            findings.append(
                _("%(department)s took %(taken)d min to answer; the deadline was %(allowed)d.")
                % {"department": name, "taken": _minutes(score.answer_worst_seconds),
                   "allowed": _minutes(score.allowed_answer_seconds)}
            )
        if score.answer_misses:
            findings.append(
                _("%(department)s left %(missed)d of %(requests)d requests unanswered.")
                % {"department": name, "missed": score.answer_misses, "requests": score.requests}
            )
    return findings


@dataclass(frozen=True)
class ScoreComparison:
    department: str
    acknowledge_median_seconds: float | None
    previous_acknowledge_median_seconds: float | None
    answer_median_seconds: float | None
    previous_answer_median_seconds: float | None

    @property
    def minutes(self) -> dict[str, float | None]:
        return {
            "acknowledge": _in_minutes(self.acknowledge_median_seconds),
            "previous_acknowledge": _in_minutes(self.previous_acknowledge_median_seconds),
            "answer": _in_minutes(self.answer_median_seconds),
            "previous_answer": _in_minutes(self.previous_answer_median_seconds),
        }


def drill_previous(drill: Drill) -> Drill | None:
    """The last ended drill of the same playbook before this one."""
    if drill.playbook_id is None:
        return None
    return (
        Drill.objects.filter(playbook_id=drill.playbook_id, status=DrillStatus.ENDED, started_at__lt=drill.started_at)
        .exclude(pk=drill.pk)
        .order_by("-started_at", "-pk")
        .first()
    )


def drill_comparison(
    scores: list[DepartmentScore], previous: list[DepartmentScore]
) -> list[ScoreComparison]:
    """This drill's medians beside the previous drill's, department by department (either may be missing)."""
    now_by_name = {score.department: score for score in scores}
    before_by_name = {score.department: score for score in previous}
    return [
        ScoreComparison(
            department=name,
            acknowledge_median_seconds=getattr(now_by_name.get(name), "acknowledge_median_seconds", None),
            previous_acknowledge_median_seconds=getattr(before_by_name.get(name), "acknowledge_median_seconds", None),
            answer_median_seconds=getattr(now_by_name.get(name), "answer_median_seconds", None),
            previous_answer_median_seconds=getattr(before_by_name.get(name), "answer_median_seconds", None),
        )
        for name in sorted(set(now_by_name) | set(before_by_name))
    ]
