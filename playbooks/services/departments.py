"""The departments a playbook names: asked to inform when a crisis is declared, checked when edited."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext

from crisisdesk.models import User
from escalation.models import Department
from escalation.services import EscalationError, escalation_request_create
from escalation.services.delivery import brand_language
from playbooks.errors import CrisisError
from playbooks.models import Crisis, CrisisEventKind
from playbooks.services.timeline import crisis_event_add


def crisis_departments_ask(*, crisis: Crisis, departments: list[str], actor: User, mention_ids: list[int]) -> None:
    """Ask each department the playbook names to inform, through the escalation service.

    A department the playbook names but that does not exist is noted on the timeline; one the
    escalation service refuses makes the whole declaration fail (`CrisisError`).
    """
    if not departments:
        return
    found = {department.slug: department for department in Department.objects.filter(slug__in=departments)}
    # The question is written to a department, not to the declarer: in the brand's language.
    with translation.override(brand_language()):
        question = gettext(
            "Crisis declared: %(title)s (level %(level)s). Tell the community team what you know, "
            "what we may say publicly and when you expect the next update."
        ) % {"title": crisis.title, "level": crisis.level}
    for slug in departments:
        department = found.get(slug)
        if department is None:
            crisis_event_add(
                crisis=crisis,
                kind=CrisisEventKind.ESCALATION,
                key="escalation.unknown_department",
                params={"department": slug},
                actor=actor,
            )
            continue
        try:
            request = escalation_request_create(
                raised_by=actor,
                department=department,
                question=question,
                mention_ids=tuple(mention_ids),
                crisis_id=crisis.pk,
                now=crisis.declared_at,
            )
        except EscalationError as error:
            raise CrisisError("%(department)s: %(reason)s", department=department.name, reason=error) from error
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.ESCALATION,
            key="escalation.sent",
            params={"department": department.name},
            actor=actor,
            data={"department": slug, "request": request.pk},
        )


def departments_unknown(slugs: list[str]) -> list[str]:
    """The slugs that name no department, in the order given."""
    known = set(Department.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    return [slug for slug in slugs if slug not in known]
