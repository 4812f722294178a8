"""Demo escalation policies. Idempotent: existing policies are left exactly as they are."""

from __future__ import annotations

from django.db import transaction

from escalation.models import Department, EscalationPolicy, EscalationStep, StepKind

GLOBAL_POLICY = (
    "Global: responsable → jefatura → dirección → dirección general",
    [
        (StepKind.NOTIFY_DEPARTMENT_OWNER, 10 * 60),
        (StepKind.NOTIFY_HEADS, 10 * 60),
        (StepKind.NOTIFY_ROLE_DIRECTORS, 20 * 60),
        (StepKind.NOTIFY_DIRECTOR_GENERAL, 30 * 60),
    ],
    60 * 60,
)

# Técnica answers outages: a short chain that keeps repeating until someone acknowledges.
DEPARTMENT_POLICIES = {
    "tecnica": (
        "Técnica: guardia rápida",
        [
            (StepKind.NOTIFY_DEPARTMENT_OWNER, 5 * 60),
            (StepKind.NOTIFY_WHOLE_DEPARTMENT, 5 * 60),
            (StepKind.NOTIFY_ROLE_DIRECTORS, 10 * 60),
            (StepKind.REPEAT_LAST, 10 * 60),
        ],
        30 * 60,
    ),
    "juridico": (
        "Jurídico: jefatura y dirección general",
        [
            (StepKind.NOTIFY_HEADS, 20 * 60),
            (StepKind.NOTIFY_DIRECTOR_GENERAL, 40 * 60),
        ],
        2 * 60 * 60,
    ),
}


def _policy(
    *, name: str, department: Department | None, steps: list[tuple[StepKind, int]], answer_within: int
) -> None:
    policy, created = EscalationPolicy.objects.get_or_create(
        name=name,
        defaults={"department": department, "is_default": True, "answer_within_seconds": answer_within},
    )
    if created:
        EscalationStep.objects.bulk_create(
            [
                EscalationStep(policy=policy, order=order, kind=kind, wait_seconds=wait)
                for order, (kind, wait) in enumerate(steps)
            ]
        )


@transaction.atomic
def seed() -> None:
    if not EscalationPolicy.objects.filter(department__isnull=True, is_default=True).exists():
        name, steps, answer_within = GLOBAL_POLICY
        _policy(name=name, department=None, steps=steps, answer_within=answer_within)
    for slug, (name, steps, answer_within) in DEPARTMENT_POLICIES.items():
        department = Department.objects.filter(slug=slug).first()
        if (
            department
            and not EscalationPolicy.objects.filter(department=department, is_default=True).exists()
        ):
            _policy(name=name, department=department, steps=steps, answer_within=answer_within)
