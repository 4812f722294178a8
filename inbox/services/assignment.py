"""Who answers a mention: assigning by hand, taking over, the round-robin auto-assignment and the
return of what nobody answered in time."""

from __future__ import annotations

import heapq
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import AuditEvent, Role, User
from crisisdesk.realtime import group_for_role, group_for_user, publish_on_commit
from inbox import events
from inbox.models import OPEN_STATUSES, Mention, MentionStatus
from inbox.services.common import (
    InboxError,
    _mention_for_update,
    _publish_changed,
    _publish_changed_many,
    _require_console_staff,
    assign_cap,
    return_after,
)

# (open mentions, last assigned, manager id, manager): the heap's order is who is served next.
ManagerSlot = tuple[int, datetime, int, User]


def mention_assign(*, mention_id: int, assignee: User | None, actor: User) -> Mention:
    """Assign (or unassign with None) a mention. Audited as "mention.assign"; pushes `mention.changed`."""
    _require_console_staff(actor)
    if assignee is not None and (assignee.role != Role.COMMUNITY_MANAGER or not assignee.is_active):
        raise InboxError(_("Mentions can only be assigned to active community managers."))
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        previous = mention.assignee_id
        mention.assignee = assignee
        mention.assigned_at = timezone.now() if assignee else None
        if mention.status in (MentionStatus.NEW, MentionStatus.ASSIGNED):
            mention.status = MentionStatus.ASSIGNED if assignee else MentionStatus.NEW
        mention.save(update_fields=["assignee", "assigned_at", "status"])
        audit_record(
            actor=actor,
            verb="mention.assign",
            target=mention,
            data={"assignee": assignee.pk if assignee else None, "from": previous},
        )
        _publish_changed(mention, "assigned")
    return mention


def mention_take_over(*, mention_id: int, actor: User) -> Mention:
    """Take a colleague's mention explicitly, so that only one person answers. Audited as "mention.take_over".

    Idempotent: taking over one's own mention changes nothing and records nothing.
    """
    _require_console_staff(actor)
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if mention.assignee_id == actor.pk:
            return mention
        previous = mention.assignee_id
        mention.assignee = actor
        mention.assigned_at = timezone.now()
        if mention.status == MentionStatus.NEW:
            mention.status = MentionStatus.ASSIGNED
        mention.save(update_fields=["assignee", "assigned_at", "status"])
        audit_record(actor=actor, verb="mention.take_over", target=mention, data={"from": previous})
        _publish_changed(mention, "taken_over")
        if previous:
            publish_on_commit([group_for_user(previous)], events.mention_changed(mention, change="taken_over"))
    return mention


def mentions_auto_assign(*, limit: int = 50) -> int:
    """Hand the highest-priority unassigned new mentions round-robin to the community managers on duty.

    Nobody gets more than `INBOX_ASSIGN_CAP` open mentions; the least loaded person is served first
    (ties: whoever was assigned longest ago). Locks the managers, then the mentions, so two runs
    cannot both fill the same person past the cap. Returns how many mentions were assigned; each is
    audited as "mention.assign" (actor None, "auto": true) and pushed as `mention.changed`.
    """
    cap = assign_cap()
    if limit <= 0 or cap <= 0:
        return 0
    with transaction.atomic():
        managers = list(
            User.objects.select_for_update(no_key=True)
            .filter(role=Role.COMMUNITY_MANAGER, is_active=True, is_on_duty=True)
            .order_by("pk")
        )
        if not managers:
            return 0
        queue = _managers_queue(managers=managers, cap=cap)
        capacity = sum(cap - slot[0] for slot in queue)
        if not queue or capacity <= 0:
            return 0
        mentions = list(
            Mention.objects.select_for_update(
                no_key=True, skip_locked=connection.features.has_select_for_update_skip_locked
            )
            .filter(status=MentionStatus.NEW, assignee__isnull=True, is_hidden=False)
            .order_by("-priority", "received_at", "pk")[: min(limit, capacity)]
        )
        _mentions_hand_out(mentions=mentions, queue=queue, cap=cap)
        Mention.objects.bulk_update(mentions, ["assignee", "assigned_at", "status"])
        _auto_assignments_record(mentions)
    return len(mentions)


def _managers_queue(*, managers: list[User], cap: int) -> list[ManagerSlot]:
    """The managers below the cap as a heap: least loaded first, then whoever was assigned longest ago."""
    loads = dict(
        Mention.objects.filter(assignee__in=managers, status__in=OPEN_STATUSES)
        .values("assignee")
        .annotate(open=Count("pk"))
        .values_list("assignee", "open")
    )
    last_assigned = dict(
        Mention.objects.filter(assignee__in=managers, assigned_at__isnull=False)
        .values("assignee")
        .annotate(last=Max("assigned_at"))
        .values_list("assignee", "last")
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    queue: list[ManagerSlot] = [
        (loads.get(manager.pk, 0), last_assigned.get(manager.pk) or epoch, manager.pk, manager)
        for manager in managers
        if loads.get(manager.pk, 0) < cap
    ]
    heapq.heapify(queue)
    return queue


def _mentions_hand_out(*, mentions: list[Mention], queue: list[ManagerSlot], cap: int) -> None:
    """Give each mention to the manager at the top of the heap, who goes back in while below the cap."""
    now = timezone.now()
    sequence = 0
    for mention in mentions:
        load, _last, pk, manager = heapq.heappop(queue)
        mention.assignee = manager
        mention.assigned_at = now
        mention.status = MentionStatus.ASSIGNED
        sequence += 1
        if load + 1 < cap:
            # A later "last assigned" sends this person to the back of equally loaded colleagues.
            heapq.heappush(queue, (load + 1, now + timedelta(microseconds=sequence), pk, manager))


def _auto_assignments_record(mentions: list[Mention]) -> None:
    """Audit every automatic assignment in one INSERT and push each mention's change."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=None,
                verb="mention.assign",
                target_type=Mention._meta.label_lower,
                target_id=str(mention.pk),
                data={"assignee": mention.assignee_id, "auto": True},
            )
            for mention in mentions
        ]
    )
    _publish_changed_many(mentions, "assigned")


def mentions_return_unanswered(*, now: datetime | None = None) -> int:
    """Put back in the queue the assigned mentions nobody answered within `INBOX_RETURN_MINUTES`.

    Each goes back to "new" without an assignee, is audited as "mention.returned", and the team lead
    (group `role.director`) and the former assignee are told with `mention.returned`. Safe to run
    twice: a returned mention is no longer "assigned", so a second sweep finds nothing.
    """
    now = now or timezone.now()
    cutoff = now - return_after()
    with transaction.atomic():
        stale = list(
            Mention.objects.select_for_update(
                no_key=True, skip_locked=connection.features.has_select_for_update_skip_locked, of=("self",)
            )
            .filter(status=MentionStatus.ASSIGNED, assignee__isnull=False, assigned_at__lte=cutoff)
            .select_related("assignee")
            .order_by("pk")
        )
        for mention in stale:
            previous = mention.assignee
            assert previous is not None  # the query asks for an assignee
            mention.status = MentionStatus.NEW
            mention.assignee = None
            mention.assigned_at = None
            audit_record(
                actor=None,
                verb="mention.returned",
                target=mention,
                data={"from": previous.pk, "minutes": int(return_after().total_seconds() // 60)},
            )
            publish_on_commit(
                [group_for_role(Role.DIRECTOR), group_for_user(previous.pk)],
                events.mention_returned(
                    mention, previous_assignee_id=previous.pk, previous_assignee=events.person_name(previous)
                ),
            )
        Mention.objects.bulk_update(stale, ["status", "assignee", "assigned_at"])
        _publish_changed_many(stale, "returned")
    return len(stale)
