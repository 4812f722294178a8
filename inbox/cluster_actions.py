"""What a community manager does to a whole crisis cluster: answer it once, hide it, assign it, close it.

Answering writes one `ClusterReply` per distinct author (on their latest visible mention), each body
personalised (`{nombre}`, `{zona}`), and schedules them within the channel's rate limit
(`settings.REPLY_RATE_LIMITS`): reply i of a channel goes out one interval after the channel's previous
scheduled reply, whichever cluster it came from. The rows are the schedule: no message waits for a
slot. A beat every few seconds (and a wake-up after the answer, for the slot due at once) claims the
due rows and hands each to `reply_queue`, which signs it with the sender's signature, audits it and
sends it. The (cluster, author) unique constraint, the claim's SKIP LOCKED and the state guard make
answering twice, or two claims at once, reply to nobody twice.

Hiding and assigning reuse `mention_hide` and `mention_assign` mention by mention (each audited, each
pushed live) and keep the outcome per mention on the `ClusterAction`. Escalating a cluster belongs to
the escalation app (the inbox imports neither escalation nor playbooks).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import Role, User
from crisisdesk.roles import user_role
from inbox import services
from inbox.cluster_models import (
    ClusterAction,
    ClusterActionKind,
    ClusterReply,
    ClusterReplyState,
    ClusterStatus,
    MentionCluster,
)
from inbox.models import OPEN_STATUSES, Mention, ReplyState

logger = logging.getLogger(__name__)

DEFAULT_RATE_LIMIT = (60, 60)
ZONE_KEYS = ("zona", "zone", "location", "place", "city", "region")
MAX_BODY = 5000
SLOT_LOCK_NAMESPACE = 7171  # pg_advisory_xact_lock(namespace, channel id): one slot planner per channel
# A claim takes the due rows in chunks of SEND_CHUNK (one transaction each) and at most SEND_LIMIT a run;
# the next beat, 5 s later, takes the rest.
SEND_CHUNK = 50
SEND_LIMIT = 500


def reply_rate_limit(kind: str) -> tuple[int, int]:
    """(replies, seconds) allowed on a platform, from `settings.REPLY_RATE_LIMITS`."""
    limits = getattr(settings, "REPLY_RATE_LIMITS", {})
    replies, seconds = limits.get(kind, DEFAULT_RATE_LIMIT)
    return max(1, int(replies)), max(1, int(seconds))


def reply_interval(kind: str) -> timedelta:
    replies, seconds = reply_rate_limit(kind)
    return timedelta(seconds=seconds / replies)


def mention_zone(mention: Mention) -> str:
    """Where the mention says it is from, if the platform sent it: a zone, place or author location."""
    raw = mention.raw if isinstance(mention.raw, dict) else {}
    sources = [raw, *(raw.get(key) for key in ("user", "author", "account", "from"))]
    for source in sources:
        if not isinstance(source, dict):
            continue
        for key in ZONE_KEYS:
            value = source.get(key)
            if isinstance(value, dict):
                value = value.get("full_name") or value.get("name")
            if isinstance(value, str) and value.strip():
                return value.strip()[:80]
    return ""


def cluster_reply_body(*, template: str, mention: Mention, zone_fallback: str) -> str:
    """The approved answer for this person: `{nombre}` is their name (or @handle), `{zona}` their zone
    or the fallback. Other braces are kept as written, as in signatures."""
    author = mention.author
    name = author.display_name or f"@{author.handle or author.external_id}"
    zone = mention_zone(mention) or zone_fallback
    return template.replace("{nombre}", name).replace("{zona}", zone).strip()


def _require_actor(actor: User) -> None:
    if user_role(actor) not in (Role.COMMUNITY_MANAGER, Role.ADMIN):
        raise services.InboxError(_("Only community managers may act on clusters."))


def _cluster_for_update(cluster_id: int) -> MentionCluster:
    cluster = (
        MentionCluster.objects.select_for_update(no_key=True, of=("self",))
        .select_related("channel")
        .filter(pk=cluster_id)
        .first()
    )
    if cluster is None:
        raise services.MentionNotFound(_("That cluster does not exist."))
    return cluster


def cluster_answer(
    *, cluster_id: int, actor: User, body: str, zone_fallback: str = "", now: datetime | None = None
) -> ClusterAction:
    """Answer a cluster with one approved text: one personalised, signed reply per author not yet answered.

    Authors already answered in this cluster (by any earlier answer) are skipped. Sends are spaced by
    the channel's rate limit. Audited as "cluster.answer"; the returned action tracks the progress.
    """
    _require_actor(actor)
    body = (body or "").strip()
    if not body:
        raise services.InboxError(_("The answer is empty."))
    if len(body) > MAX_BODY:
        raise services.InboxError(_("The answer is longer than 5,000 characters."))
    zone_fallback = (zone_fallback or "").strip() or _("your area")
    now = now or timezone.now()
    with transaction.atomic():
        cluster = _cluster_for_update(cluster_id)
        if cluster.status == ClusterStatus.CLOSED:
            raise services.InboxError(_("This cluster is closed."))
        latest = _latest_mention_per_author(cluster)
        slots = _slots(channel_id=cluster.channel_id, kind=cluster.channel.kind, count=len(latest), now=now)
        action = ClusterAction.objects.create(
            cluster=cluster, kind=ClusterActionKind.ANSWER, actor=actor, body=body, total=len(latest)
        )
        replies = ClusterReply.objects.bulk_create(
            [
                ClusterReply(
                    action=action,
                    cluster=cluster,
                    channel_id=cluster.channel_id,
                    author_id=mention.author_id,
                    mention=mention,
                    body=cluster_reply_body(template=body, mention=mention, zone_fallback=zone_fallback)[:MAX_BODY],
                    scheduled_at=slot,
                )
                for mention, slot in zip(latest, slots, strict=True)
            ]
        )
        if not replies:
            action.finished_at = now
            action.save(update_fields=["finished_at"])
        cluster.status = ClusterStatus.ANSWERED
        cluster.save(update_fields=["status"])
        audit_record(
            actor=actor, verb="cluster.answer", target=cluster, data={"action": action.pk, "total": len(replies)}
        )
        if replies and replies[0].scheduled_at <= now:
            transaction.on_commit(_sends_wake)
    return action


def _latest_mention_per_author(cluster: MentionCluster) -> list[Mention]:
    """Each author's latest visible mention in the cluster, for authors not answered in it yet: one query."""
    answered = ClusterReply.objects.filter(cluster=cluster).values("author_id")
    return list(
        Mention.objects.filter(cluster=cluster, is_hidden=False)
        .exclude(author_id__in=answered)
        .select_related("author")
        .order_by("author_id", "-posted_at", "-pk")
        .distinct("author_id")
    )


def _slots(*, channel_id: int, kind: str, count: int, now: datetime) -> list[datetime]:
    """`count` send times one rate-limit interval apart, after the channel's last scheduled reply."""
    if count == 0:
        return []
    interval = reply_interval(kind)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SLOT_LOCK_NAMESPACE, channel_id])
    last = ClusterReply.objects.filter(channel_id=channel_id).aggregate(last=Max("scheduled_at"))["last"]
    start = now if last is None else max(now, last + interval)
    return [start + interval * index for index in range(count)]


def _sends_wake() -> None:
    """The first slot is due now: claim it at once rather than at the next beat."""
    # why: the tasks module imports this one
    from inbox.tasks import cluster_replies_send_due

    cluster_replies_send_due.delay()


def cluster_replies_send_due(*, now: datetime | None = None, chunk: int = SEND_CHUNK, limit: int = SEND_LIMIT) -> int:
    """Deliver the scheduled cluster replies whose slot has come, oldest first; returns how many were claimed.

    Each chunk is locked with `FOR UPDATE SKIP LOCKED` and delivered in the claim's transaction, so a
    concurrent claim passes those rows by, and once committed finds them no longer "scheduled".
    """
    now = now or timezone.now()
    claimed = 0
    while claimed < limit:
        size = min(chunk, limit - claimed)
        with transaction.atomic():
            row_ids = list(
                ClusterReply.objects.filter(state=ClusterReplyState.SCHEDULED, scheduled_at__lte=now)
                .order_by("scheduled_at", "pk")
                .select_for_update(no_key=True, skip_locked=True)
                .values_list("pk", flat=True)[:size]
            )
            for row_id in row_ids:
                _deliver_or_fail(row_id)
        claimed += len(row_ids)
        if len(row_ids) < size:
            break
    return claimed


def _deliver_or_fail(cluster_reply_id: int) -> None:
    """One row of a claim: an unexpected error fails that row only, so it cannot hold back the rows behind
    it at every beat; a lost database is raised, and the whole chunk waits for the next beat."""
    try:
        with transaction.atomic():
            cluster_reply_deliver(cluster_reply_id=cluster_reply_id)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.exception("Cluster reply %s could not be delivered", cluster_reply_id)
        row = ClusterReply.objects.filter(pk=cluster_reply_id, state=ClusterReplyState.SCHEDULED).first()
        if row is not None:
            row.state, row.error = ClusterReplyState.FAILED, _("The reply could not be sent.")
            row.save(update_fields=["state", "error"])
            cluster_action_tally(action_id=row.action_id)


def cluster_reply_deliver(*, cluster_reply_id: int) -> ClusterReply | None:
    """At its slot, hand one scheduled cluster reply to `reply_queue` (signed, audited, sent after commit).

    Runs once: a second claim of the row finds it no longer "scheduled". A refusal (the mention was taken
    by a colleague, the sender lost their role) marks it failed with the reason.
    """
    with transaction.atomic():
        row = (
            ClusterReply.objects.select_for_update(no_key=True, of=("self",))
            .select_related("action__actor")
            .filter(pk=cluster_reply_id, state=ClusterReplyState.SCHEDULED)
            .first()
        )
        if row is None:
            return None
        try:
            # A cluster answer was confirmed once for all its authors and is paced by its own schedule: no undo wait.
            row.reply = services.reply_queue(
                mention_id=row.mention_id, author=row.action.actor, body=row.body, undo_window=False
            )
            row.state = ClusterReplyState.QUEUED
        except services.InboxError as error:
            row.state = ClusterReplyState.FAILED
            row.error = str(error)[:2000]
        row.save(update_fields=["reply", "state", "error"])
    cluster_action_tally(action_id=row.action_id)
    return row


def cluster_action_tally(*, action_id: int) -> ClusterAction:
    """Bring an answer's counters and per-reply states up to date with the replies' delivery."""
    with transaction.atomic():
        action = ClusterAction.objects.select_for_update(no_key=True).get(pk=action_id)
        rows = ClusterReply.objects.filter(action_id=action_id)
        rows.filter(state=ClusterReplyState.QUEUED, reply__state=ReplyState.SENT).update(state=ClusterReplyState.SENT)
        rows.filter(state=ClusterReplyState.QUEUED, reply__state=ReplyState.FAILED).update(
            state=ClusterReplyState.FAILED, error=_("The platform refused the reply.")
        )
        counts = rows.aggregate(
            sent=Count("pk", filter=Q(state=ClusterReplyState.SENT)),
            failed=Count("pk", filter=Q(state=ClusterReplyState.FAILED)),
        )
        action.sent, action.failed = counts["sent"], counts["failed"]
        if action.finished_at is None and action.sent + action.failed >= action.total:
            action.finished_at = timezone.now()
        action.save(update_fields=["sent", "failed", "finished_at"])
    return action


def _each_mention(
    *, cluster: MentionCluster, actor: User, kind: str, body: str, mention_ids: list[int], act: Callable[[int], Any]
) -> ClusterAction:
    results: dict[str, str] = {}
    for mention_id in mention_ids:
        try:
            act(mention_id)
            results[str(mention_id)] = "done"
        except services.InboxError as error:
            results[str(mention_id)] = str(error)
    done = sum(value == "done" for value in results.values())
    action = ClusterAction.objects.create(
        cluster=cluster,
        kind=kind,
        actor=actor,
        body=body,
        total=len(mention_ids),
        sent=done,
        failed=len(mention_ids) - done,
        results=results,
        finished_at=timezone.now(),
    )
    audit_record(actor=actor, verb=f"cluster.{kind}", target=cluster, data={"action": action.pk, "total": len(results)})
    return action


def _cluster_get(cluster_id: int) -> MentionCluster:
    cluster = MentionCluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        raise services.MentionNotFound(_("That cluster does not exist."))
    return cluster


def cluster_hide(*, cluster_id: int, actor: User, reason: str, as_troll: bool = False) -> ClusterAction:
    """Hide every visible mention of the cluster (`mention_hide`, each audited). Audited as "cluster.hide"."""
    _require_actor(actor)
    reason = (reason or "").strip()
    if not reason:
        raise services.InboxError(_("Say why the mentions are hidden."))
    cluster = _cluster_get(cluster_id)
    ids = list(Mention.objects.filter(cluster=cluster, is_hidden=False).order_by("pk").values_list("pk", flat=True))
    return _each_mention(
        cluster=cluster,
        actor=actor,
        kind=ClusterActionKind.HIDE,
        body=reason,
        mention_ids=ids,
        act=lambda mention_id: services.mention_hide(
            mention_id=mention_id, actor=actor, reason=reason, as_troll=as_troll
        ),
    )


def cluster_assign(*, cluster_id: int, actor: User, assignee: User | None) -> ClusterAction:
    """Assign every open mention of the cluster to one person (`mention_assign`). Audited as "cluster.assign"."""
    _require_actor(actor)
    cluster = _cluster_get(cluster_id)
    ids = list(
        Mention.objects.filter(cluster=cluster, status__in=OPEN_STATUSES).order_by("pk").values_list("pk", flat=True)
    )
    return _each_mention(
        cluster=cluster,
        actor=actor,
        kind=ClusterActionKind.ASSIGN,
        body=str(assignee.pk) if assignee else "",
        mention_ids=ids,
        act=lambda mention_id: services.mention_assign(mention_id=mention_id, assignee=assignee, actor=actor),
    )


def cluster_close(*, cluster_id: int, actor: User) -> MentionCluster:
    """Close a cluster: new similar mentions open a new one. Idempotent; audited as "cluster.close"."""
    _require_actor(actor)
    with transaction.atomic():
        cluster = _cluster_for_update(cluster_id)
        if cluster.status != ClusterStatus.CLOSED:
            previous = cluster.status
            cluster.status = ClusterStatus.CLOSED
            cluster.save(update_fields=["status"])
            audit_record(actor=actor, verb="cluster.close", target=cluster, data={"from": previous})
    return cluster
