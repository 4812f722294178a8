"""Reads for escalation: who may see which request, the policy that applies, who a step reaches."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.models import Role, User
from crisisdesk.roles import user_role
from escalation.models import (
    DEFAULT_LEVEL_FACTORS,
    PENDING_STATUSES,
    Answer,
    Department,
    EscalationEvent,
    EscalationNotification,
    EscalationPolicy,
    EscalationRequest,
    NotificationState,
    StepKind,
)
from escalation.selectors_oncall import on_call_person
from inbox import hooks

DIRECTOR_GENERAL_DEPARTMENT_SLUG = "direccion-general"


def department_ids_for_user(user: User) -> list[int]:
    """Departments whose live group the user joins: those they head or belong to."""
    return list(
        Department.objects.filter(Q(heads=user) | Q(members=user)).values_list("id", flat=True).distinct()
    )


def departments_for_user(*, user: User) -> QuerySet[Department]:
    """The departments a user answers for: heads and members their own, directors and admins all."""
    role = user_role(user)
    if role in (Role.DIRECTOR, Role.ADMIN):
        return Department.objects.all()
    if role == Role.DEPARTMENT_HEAD:
        return Department.objects.filter(Q(heads=user) | Q(members=user)).distinct()
    return Department.objects.none()


def escalation_requests_visible(*, user: User) -> QuerySet[EscalationRequest]:
    """Heads see their departments' requests; community managers their team's (all); directors all."""
    queryset = EscalationRequest.objects.select_related("department", "raised_by", "acknowledged_by")
    role = user_role(user)
    if role in (Role.DIRECTOR, Role.ADMIN, Role.COMMUNITY_MANAGER):
        return queryset
    if role == Role.DEPARTMENT_HEAD:
        return queryset.filter(department_id__in=department_ids_for_user(user))
    return queryset.none()


def escalation_request_for(*, user: User, request_id: int) -> EscalationRequest | None:
    """One visible request with its timeline and answers, or None (the caller answers 404)."""
    return (
        escalation_requests_visible(user=user)
        .prefetch_related(
            "mentions__author",
            Prefetch("answers", queryset=Answer.objects.select_related("author")),
            Prefetch("events", queryset=EscalationEvent.objects.select_related("actor")),
        )
        .filter(pk=request_id)
        .first()
    )


def escalation_request_page(*, request_id: int) -> EscalationRequest | None:
    """One request with its timeline, answers and mentions, for the page its signed link opens.

    No visibility filter: the link is scoped to this request, and the caller checks who acts."""
    return (
        EscalationRequest.objects.select_related("department", "raised_by", "acknowledged_by")
        .prefetch_related(
            Prefetch("answers", queryset=Answer.objects.select_related("author")),
            Prefetch("events", queryset=EscalationEvent.objects.select_related("actor")),
        )
        .filter(pk=request_id)
        .first()
    )


def escalation_desk(*, user: User, limit: int = 100) -> QuerySet[EscalationRequest]:
    """Pending requests by urgency: open before acknowledged, then the earliest deadline first."""
    return (
        escalation_requests_visible(user=user)
        .filter(status__in=PENDING_STATUSES)
        .annotate(
            urgency=Case(When(status="open", then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .prefetch_related(
            "mentions__author",
            Prefetch("answers", queryset=Answer.objects.select_related("author")),
            Prefetch("events", queryset=EscalationEvent.objects.select_related("actor")),
        )
        .order_by("urgency", "due_at", "id")[:limit]
    )


def escalation_history(*, user: User, limit: int = 30) -> QuerySet[EscalationRequest]:
    return (
        escalation_requests_visible(user=user)
        .exclude(status__in=PENDING_STATUSES)
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("author")))
        .order_by("-created_at", "-id")[:limit]
    )


def escalations_for_mention(*, mention_id: int) -> QuerySet[EscalationRequest]:
    return (
        EscalationRequest.objects.filter(mentions=mention_id)
        .select_related("department")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("author")))
        .order_by("-created_at", "-id")
    )


def request_mention_ids(*, request: EscalationRequest) -> list[int]:
    """The ids of the mentions a request was raised from, in order (for its live events)."""
    return sorted(request.mentions.values_list("id", flat=True))


def user_may_answer(*, user: User, request: EscalationRequest) -> bool:
    """Heads and members of the request's department answer it; directors and admins answer any."""
    role = user_role(user)
    if role in (Role.DIRECTOR, Role.ADMIN):
        return True
    return role == Role.DEPARTMENT_HEAD and request.department_id in department_ids_for_user(user)


def user_for_email(*, email: str) -> User | None:
    """The one active user with this e-mail address (any case), or None: none, or several who share it."""
    if not email:
        return None
    users = list(User.objects.filter(email__iexact=email.strip(), is_active=True)[:2])
    return users[0] if len(users) == 1 else None


def user_may_raise(*, user: User) -> bool:
    return user_role(user) in (Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN)


def user_may_close(*, user: User, request: EscalationRequest) -> bool:
    return user_role(user) in (Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN) or user_may_answer(
        user=user, request=request
    )


def policy_for_department(*, department: Department) -> EscalationPolicy | None:
    """The department's default policy, else the global default, else None (the built-in chain)."""
    return (
        EscalationPolicy.objects.filter(is_default=True)
        .filter(Q(department=department) | Q(department__isnull=True))
        .prefetch_related("steps")
        .order_by(Case(When(department__isnull=True, then=Value(1)), default=Value(0)))
        .first()
    )


def step_recipients(
    *, kind: str, department_id: int, target_user_id: int | None, now: datetime | None = None
) -> list[User]:
    """The active people one step reaches, in a stable order; "the person on duty" is whoever the
    department's on-call schedule names at `now`, else its on-duty field, else a head."""
    active = User.objects.filter(is_active=True)
    if kind == StepKind.NOTIFY_DEPARTMENT_OWNER:
        if (scheduled := on_call_person(department_id=department_id, now=now)) is not None:
            return [scheduled]
        department = Department.objects.filter(pk=department_id).first()
        if department and department.on_duty_id:
            people = active.filter(pk=department.on_duty_id, is_on_duty=True)
            if people.exists():
                return list(people)
        people = active.filter(headed_departments=department_id, is_on_duty=True)
        return list(people.order_by("id")[:1]) or list(active.filter(headed_departments=department_id)[:1])
    if kind == StepKind.NOTIFY_HEADS:
        people = active.filter(headed_departments=department_id)
    elif kind == StepKind.NOTIFY_WHOLE_DEPARTMENT:
        people = active.filter(Q(headed_departments=department_id) | Q(departments=department_id))
    elif kind == StepKind.NOTIFY_USER:
        people = active.filter(pk=target_user_id) if target_user_id else active.none()
    elif kind == StepKind.NOTIFY_ROLE_DIRECTORS:
        people = active.filter(role=Role.DIRECTOR)
    elif kind == StepKind.NOTIFY_DIRECTOR_GENERAL:
        if target_user_id:
            people = active.filter(pk=target_user_id)
        else:
            people = active.filter(headed_departments__slug=DIRECTOR_GENERAL_DEPARTMENT_SLUG)
            if not people.exists():
                people = active.filter(role=Role.DIRECTOR)
    else:
        people = active.none()
    return list(people.distinct().order_by("id"))


def approved_answers_for_templates(*, limit: int = 50) -> QuerySet[Answer]:
    """Approved wordings community managers may reuse as replies, newest first."""
    return (
        Answer.objects.filter(is_approved_wording=True)
        .select_related("request__department", "author")
        .order_by("-created_at", "-id")[:limit]
    )


def answer_age(*, since: datetime, now: datetime) -> str:
    """A short age for a template's label: "5 min", "2 h", "3 d" (at least one minute)."""
    minutes = max(1, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    if minutes < 48 * 60:
        return _("%(n)d h") % {"n": minutes // 60}
    return _("%(n)d d") % {"n": minutes // (24 * 60)}


def approved_wordings_for_templates(*, limit: int) -> list[tuple[str, str]]:
    """(label, wording) of the approved answers, newest first: the inbox's reply templates. The label
    names the department and the answer's age ("Técnica answered this 2 h ago"): an old answer may
    no longer hold."""
    now = timezone.now()
    return [
        (
            _("%(department)s answered this %(age)s ago")
            % {"department": answer.request.department.name, "age": answer_age(since=answer.created_at, now=now)},
            answer.text,
        )
        for answer in approved_answers_for_templates(limit=limit)
    ]


def current_crisis_level() -> int:
    """The level of the most serious open crisis (read through playbooks' registered reader), 0 if none."""
    return hooks.crisis_reader().open_crisis_level()


def default_deadline_minutes(*, departments: list[Department]) -> dict[int, int]:
    """Each department's default deadline now: its (or the global) policy's, scaled by the crisis level."""
    level = str(current_crisis_level())
    policies = list(EscalationPolicy.objects.filter(is_default=True))
    global_policy = next((policy for policy in policies if policy.department_id is None), None)
    by_department = {policy.department_id: policy for policy in policies if policy.department_id}
    minutes = {}
    for department in departments:
        policy = by_department.get(department.pk, global_policy)
        seconds = policy.answer_within_seconds if policy else 3600
        factors = (policy.level_factors if policy else None) or DEFAULT_LEVEL_FACTORS
        minutes[department.pk] = max(1, round(seconds * float(factors.get(level, 1.0)) / 60))
    return minutes


def notifications_failed_count(*, request_ids: list[int]) -> int:
    """Messages about these requests that could not be sent (retrying or given up): "failed deliveries"."""
    if not request_ids:
        return 0
    return EscalationNotification.objects.filter(
        request_id__in=request_ids, state=NotificationState.FAILED
    ).count()


def escalations_for_author(*, author_id: int, limit: int = 10) -> QuerySet[EscalationRequest]:
    """The escalations raised about any of this author's mentions, newest first, each once."""
    return (
        EscalationRequest.objects.filter(mentions__author_id=author_id)
        .select_related("department")
        .distinct()
        .order_by("-created_at", "-id")[:limit]
    )
