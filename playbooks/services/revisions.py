"""Playbook versions, the revisions a crisis review or a drill proposes, and the review itself.

Versions are immutable: an edit or an accepted revision saves the next number, and running crises
keep the version they snapshotted.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record
from crisisdesk.models import Role, User
from playbooks.content import ContentInvalid, content_clean, content_diff
from playbooks.errors import CrisisError
from playbooks.models import (
    Crisis,
    CrisisEventKind,
    CrisisStatus,
    Drill,
    Playbook,
    PlaybookRevision,
    PlaybookVersion,
    RevisionStatus,
)
from playbooks.services.common import DECLARERS, PLAYBOOK_EDITORS, crisis_for_update, role_require
from playbooks.services.crises import crisis_status_set
from playbooks.services.departments import departments_unknown
from playbooks.services.drills import DRILL_LEADS
from playbooks.services.timeline import crisis_event_add


def playbook_version_create(
    *, playbook_id: int, content: dict[str, Any], actor: User | None, note: str = ""
) -> PlaybookVersion:
    """Save new content as the next version number; running crises keep the version they snapshotted."""
    if actor is not None:
        role_require(actor, PLAYBOOK_EDITORS, _("Only administrators can edit playbooks."))
    try:
        cleaned = content_clean(content)
    except ContentInvalid as error:
        raise CrisisError(error.message, **error.params) from error
    unknown = departments_unknown(cleaned["departments"])
    if unknown:
        raise CrisisError(_("Unknown departments: %(departments)s"), departments=", ".join(unknown))
    with transaction.atomic():
        playbook = Playbook.objects.select_for_update(no_key=True).filter(pk=playbook_id).first()
        if playbook is None:
            raise CrisisError(_("That playbook does not exist."))
        latest = playbook.versions.order_by("-number").first()
        if latest is not None and content_clean(latest.content) == cleaned:
            raise CrisisError(_("Nothing changed."))
        version = PlaybookVersion.objects.create(
            playbook=playbook,
            number=(latest.number if latest else 0) + 1,
            content=cleaned,
            note=note[:300],
            created_by=actor,
        )
        if cleaned["title"] and cleaned["title"] != playbook.name:
            playbook.name = cleaned["title"]
            playbook.save(update_fields=["name"])
        audit_record(actor=actor, verb="playbook.version", target=version, data={"number": version.number})
    return version


def revision_apply(content: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """A revision adds a step (and optionally a principle) to whatever the latest version says."""
    content = content_clean(content)
    step = change.get("add_step")
    if step:
        content["steps"] = [*content["steps"], step]
    principle = (change.get("add_principle") or "").strip()
    if principle:
        content["principles"] = [*content["principles"], principle]
    return content_clean(content)


def _revision_change(*, case: str, step_text: str, role: str, minutes: int, principle: str) -> dict[str, Any]:
    if not case:
        raise CrisisError(_("Describe the case the playbook did not foresee."))
    if not step_text and not principle:
        raise CrisisError(_("Propose a step or a principle to add."))
    change: dict[str, Any] = {}
    if step_text:
        change["add_step"] = {"text": step_text, "role": role, "minutes": minutes}
    if principle:
        change["add_principle"] = principle
    return change


def _revision_proposal(
    *, case: str, step_text: str, role: str, minutes: int, principle: str
) -> tuple[str, dict[str, Any]]:
    """The case, stripped, and the change it proposes; CrisisError for an empty one."""
    case = (case or "").strip()
    change = _revision_change(
        case=case, step_text=(step_text or "").strip(), role=role, minutes=minutes, principle=principle.strip()
    )
    return case, change


def _revision_record(
    *, base: PlaybookVersion, case: str, change: dict[str, Any], actor: User, **source: Any
) -> PlaybookRevision:
    """Check the change applies to `base`, then store it as proposed, from a crisis or a drill (`source`)."""
    try:
        revision_apply(base.content, change)
    except ContentInvalid as error:
        raise CrisisError(error.message, **error.params) from error
    return PlaybookRevision.objects.create(
        playbook_id=base.playbook_id, base_version=base, case=case, change=change, proposed_by=actor, **source
    )


def playbook_revision_propose(
    *,
    crisis_id: int,
    actor: User,
    case: str,
    step_text: str,
    role: str = Role.COMMUNITY_MANAGER,
    minutes: int = 0,
    principle: str = "",
) -> PlaybookRevision:
    """Record a case the manual did not foresee as a proposed change to the playbook the crisis ran."""
    role_require(actor, DECLARERS, _("Only the crisis team can propose playbook changes."))
    case, change = _revision_proposal(case=case, step_text=step_text, role=role, minutes=minutes, principle=principle)
    with transaction.atomic():
        crisis = crisis_for_update(crisis_id)
        base = crisis.playbook_version
        if base is None:
            raise CrisisError(_("This crisis ran without a playbook; edit the playbook directly."))
        revision = _revision_record(base=base, case=case, change=change, actor=actor, crisis=crisis)
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.NOTE,
            key="revision.case_recorded",
            params={"case": case[:200]},
            actor=actor,
            data={"revision": revision.pk},
        )
        audit_record(actor=actor, verb="playbook.revision.propose", target=revision)
    return revision


def playbook_revision_propose_for_drill(
    *,
    drill_id: int,
    actor: User,
    case: str,
    step_text: str,
    role: str = Role.COMMUNITY_MANAGER,
    minutes: int = 0,
    principle: str = "",
) -> PlaybookRevision:
    """Record what a drill showed as a proposed change to the drill's playbook, against its latest version."""
    role_require(actor, DRILL_LEADS, _("Only administrators and directors can run drills."))
    case, change = _revision_proposal(case=case, step_text=step_text, role=role, minutes=minutes, principle=principle)
    with transaction.atomic():
        drill = Drill.objects.select_for_update(no_key=True).filter(pk=drill_id).first()
        if drill is None:
            raise CrisisError(_("That drill does not exist."))
        base = (
            PlaybookVersion.objects.filter(playbook_id=drill.playbook_id).order_by("-number").first()
            if drill.playbook_id is not None
            else None
        )
        if base is None:
            raise CrisisError(_("This drill ran without a playbook; edit the playbook directly."))
        revision = _revision_record(base=base, case=case, change=change, actor=actor, drill=drill)
        audit_record(actor=actor, verb="playbook.revision.propose", target=revision, data={"drill": drill.pk})
    return revision


def revision_preview(revision: PlaybookRevision) -> tuple[PlaybookVersion, dict[str, Any], list[str]]:
    """What accepting would produce against the latest version, with the diff lines."""
    latest = revision.playbook.versions.order_by("-number").first()
    if latest is None:  # a revision is proposed against a version, and versions are never deleted
        latest = revision.base_version
    proposed = revision_apply(latest.content, revision.change)
    diff = content_diff(
        latest.content, proposed, old_label=f"v{latest.number}", new_label=f"v{latest.number + 1}"
    )
    return latest, proposed, diff


def playbook_revision_accept(*, revision_id: int, actor: User) -> PlaybookVersion:
    """An admin accepts a proposed revision: the latest version plus the change becomes a new version."""
    role_require(actor, PLAYBOOK_EDITORS, _("Only administrators can accept playbook revisions."))
    with transaction.atomic():
        revision = _revision_for_decision(revision_id)
        _latest, proposed, _diff = revision_preview(revision)
        version = playbook_version_create(
            playbook_id=revision.playbook_id,
            content=proposed,
            actor=actor,
            note=f"Revision #{revision.pk}: {revision.case[:200]}",
        )
        revision.resulting_version = version
        _revision_decide(revision, status=RevisionStatus.ACCEPTED, actor=actor, data={"version": version.pk})
    return version


def playbook_revision_reject(*, revision_id: int, actor: User) -> PlaybookRevision:
    role_require(actor, PLAYBOOK_EDITORS, _("Only administrators can reject playbook revisions."))
    with transaction.atomic():
        revision = _revision_for_decision(revision_id)
        _revision_decide(revision, status=RevisionStatus.REJECTED, actor=actor)
    return revision


def _revision_for_decision(revision_id: int) -> PlaybookRevision:
    revision = PlaybookRevision.objects.select_for_update(no_key=True).filter(pk=revision_id).first()
    if revision is None:
        raise CrisisError(_("That revision does not exist."))
    if revision.status != RevisionStatus.PROPOSED:
        raise CrisisError(_("This revision has already been decided."))
    return revision


def _revision_decide(
    revision: PlaybookRevision, *, status: str, actor: User, data: dict[str, Any] | None = None
) -> None:
    revision.status = status
    revision.decided_by = actor
    revision.decided_at = timezone.now()
    revision.save(update_fields=["status", "decided_by", "decided_at", "resulting_version"])
    verb = "playbook.revision.accept" if status == RevisionStatus.ACCEPTED else "playbook.revision.reject"
    audit_record(actor=actor, verb=verb, target=revision, data=data or {})


def crisis_review_complete(*, crisis_id: int, actor: User, notes: str = "") -> Crisis:
    """Close the review of a resolved crisis, keeping the notes."""
    crisis = crisis_status_set(
        crisis_id=crisis_id,
        actor=actor,
        status=CrisisStatus.REVIEWED,
        allowed_from=(CrisisStatus.RESOLVED,),
        stamp="reviewed_at",
        now=None,
    )
    if notes.strip():
        Crisis.objects.filter(pk=crisis.pk).update(review_notes=notes.strip())
        crisis.review_notes = notes.strip()
    return crisis

