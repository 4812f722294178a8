"""Drills: start one from the archive, feed its replayed mentions, end it and keep its scores.

A drill copies a brand's stored mentions over a window onto its own channel and brand
(`inbox.drills`), each copy's time moved to `started_at + (posted_at − window_start) / compression`,
fed as that time comes by the beat (`drills_advance`) through `inbox.services.mentions_ingest`.
Each copy's external id is `drill-<drill>-<source mention>`: stored once whatever runs twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record
from crisisdesk.models import Role, User
from escalation import services as escalation_services
from inbox import services as inbox_services
from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.drills import DRILL_KIND, drill_brand, is_drill_brand
from inbox.models import BrandVocabulary, Channel, Mention
from playbooks.drill_scores import drill_requests, drill_scores_compute, scores_as_json
from playbooks.errors import CrisisError, CrisisNotFound
from playbooks.models import Crisis, Playbook
from playbooks.models_drills import MAX_COMPRESSION, MIN_COMPRESSION, Drill, DrillStatus
from playbooks.services.common import role_require

DRILL_LEADS = frozenset({Role.ADMIN, Role.DIRECTOR})
FEED_BATCH = 500
FEED_BATCHES_PER_RUN = 20
MAX_WINDOW = timedelta(hours=24)
CRISIS_LEAD_IN = timedelta(minutes=30)  # a crisis is replayed from a little before it was detected


def crisis_window(crisis: Crisis) -> tuple[datetime, datetime]:
    """The window a stored crisis is replayed over: from a little before its detection to its end."""
    start = crisis.detected_at - CRISIS_LEAD_IN
    end = crisis.resolved_at or crisis.contained_at or timezone.now()
    return start, min(max(end, start + timedelta(minutes=1)), start + MAX_WINDOW)


def drill_source_mentions(*, brand: str, start: datetime, end: datetime) -> QuerySet[Mention]:
    """The brand's real mentions posted in the window, in the order they are replayed."""
    return (
        Mention.objects.filter(channel__brand=brand, posted_at__gte=start, posted_at__lte=end)
        .exclude(channel__kind=DRILL_KIND)
        .order_by("posted_at", "pk")
    )


def _window_checked(*, brand: str, start: datetime | None, end: datetime | None, compression: float) -> None:
    if not brand or is_drill_brand(brand):
        raise CrisisError(_("Choose a brand (or a stored crisis) to replay."))
    if start is None or end is None or end <= start:
        raise CrisisError(_("The window must end after it starts."))
    if end - start > MAX_WINDOW:
        raise CrisisError(_("A drill replays at most 24 hours."))
    if not MIN_COMPRESSION <= compression <= MAX_COMPRESSION:
        raise CrisisError(_("The compression must be between 1 and 120."))


def drill_start(
    *,
    actor: User,
    compression: float,
    crisis_id: int | None = None,
    brand: str = "",
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    playbook_id: int | None = None,
    now: datetime | None = None,
) -> Drill:
    """Start replaying a stored crisis (or a brand's window) on a new drill workspace.

    Creates the drill, its channel (kind "drill", disabled for polling, publishing nowhere) and its
    brand's copy of the real brand's vocabulary, so triage reads the same topics. Audited
    "drill.start". Raises CrisisError, writing nothing, for a window with no stored mention.
    """
    role_require(actor, DRILL_LEADS, _("Only administrators and directors can run drills."))
    now = now or timezone.now()
    crisis = None
    if crisis_id is not None:
        crisis = Crisis.objects.select_related("playbook_version").filter(pk=crisis_id).first()
        if crisis is None or crisis.is_drill:
            raise CrisisNotFound(_("That crisis does not exist."))
        brand = crisis.brand
        window_start, window_end = crisis_window(crisis)
        if playbook_id is None and crisis.playbook_version is not None:
            playbook_id = crisis.playbook_version.playbook_id
    _window_checked(brand=brand, start=window_start, end=window_end, compression=compression)
    assert window_start is not None and window_end is not None  # checked just above
    total = drill_source_mentions(brand=brand, start=window_start, end=window_end).count()
    if not total:
        raise CrisisError(_("No mentions are stored for %(brand)s in that window."), brand=brand)
    if playbook_id is not None and not Playbook.objects.filter(pk=playbook_id).exists():
        raise CrisisError(_("That playbook does not exist."))
    with transaction.atomic():
        drill = Drill.objects.create(
            title=(crisis.title if crisis else f"{brand} · {timezone.localtime(window_start):%d/%m %H:%M}")[:200],
            brand=brand, source_crisis=crisis, playbook_id=playbook_id, window_start=window_start,
            window_end=window_end, compression=compression, started_by=actor, started_at=now,
            ends_at=now + (window_end - window_start) / compression, total=total,
        )
        drill.workspace_brand = drill_brand(drill_id=drill.pk, brand=brand)
        drill.channel = Channel.objects.create(
            kind=DRILL_KIND, name=f"Drill #{drill.pk} · {brand}"[:120], brand=drill.workspace_brand,
            is_enabled=False, config={"drill": drill.pk},
        )
        drill.save(update_fields=["workspace_brand", "channel"])
        vocabulary = BrandVocabulary.objects.filter(brand=brand).first()
        if vocabulary is not None:
            BrandVocabulary.objects.create(
                brand=drill.workspace_brand, topics=vocabulary.topics, watch_terms=vocabulary.watch_terms
            )
        audit_record(actor=actor, verb="drill.start", target=drill, data={"crisis": crisis_id, "total": total})
    return drill


def _copy(drill: Drill, source: Mention) -> NormalizedMention:
    """The replayed copy of one stored mention: the same words and author, its time compressed."""
    offset = (source.posted_at - drill.window_start) / drill.compression
    prefix = f"drill-{drill.pk}-"
    author = source.author
    return NormalizedMention(
        external_id=f"{prefix}{source.pk}",
        text=source.text,
        posted_at=drill.started_at + offset,
        author=NormalizedAuthor(
            external_id=f"{source.channel.kind}:{author.external_id}"[:128], handle=author.handle,
            display_name=author.display_name, followers=author.followers, verified=author.verified,
            account_created_at=author.account_created_at,
        ),
        conversation_id=f"{prefix}{source.conversation_id}"[:128] if source.conversation_id else "",
        in_reply_to_external_id=(
            f"{prefix}{source.in_reply_to_external_id}"[:128] if source.in_reply_to_external_id else ""
        ),
        language=source.language,
        raw={"drill": drill.pk, "source_mention": source.pk, "source_channel": source.channel.kind},
        engagement=source.engagement,
    )


def drill_feed(*, drill_id: int, now: datetime | None = None) -> int:
    """Store the copies whose compressed time has come (one batch); return how many were new.

    One transaction: the copies (`mentions_ingest`, idempotent on their external ids) and the cursor
    move together, under the drill's row lock, so two feeders never store a mention twice and a
    failed batch is fed again. An ended drill is fed no more.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Drill.objects.select_for_update(no_key=True, of=("self",))
        drill = locked.select_related("channel").filter(pk=drill_id).first()
        if drill is None or drill.status != DrillStatus.RUNNING or drill.channel is None:
            return 0
        replay_now = min(drill.window_start + (now - drill.started_at) * drill.compression, drill.window_end)
        due = drill_source_mentions(brand=drill.brand, start=drill.window_start, end=replay_now)
        if drill.fed_until is not None:
            due = due.filter(Q(posted_at__gt=drill.fed_until) | Q(posted_at=drill.fed_until, pk__gt=drill.fed_last_id))
        batch = list(due.select_related("author", "channel")[:FEED_BATCH])
        if not batch:
            return 0
        report = inbox_services.mentions_ingest(
            channel=drill.channel, mentions=[_copy(drill, source) for source in batch], source="drill", now=now
        )
        drill.fed_until, drill.fed_last_id = batch[-1].posted_at, batch[-1].pk
        drill.replayed += report.created
        drill.save(update_fields=["fed_until", "fed_last_id", "replayed"])
    return report.created


def drill_end(*, drill_id: int, actor: User | None, now: datetime | None = None) -> Drill:
    """End the drill (its time is up, or its lead ends it) and keep its scores; idempotent.

    Scores each department as of now (`playbooks.drill_scores`), then closes the drill's pending
    requests so their chains page nobody any more. Audited "drill.end".
    """
    if actor is not None:
        role_require(actor, DRILL_LEADS, _("Only administrators and directors can run drills."))
    now = now or timezone.now()
    with transaction.atomic():
        drill = Drill.objects.select_for_update(no_key=True).filter(pk=drill_id).first()
        if drill is None:
            raise CrisisNotFound(_("That drill does not exist."))
        if drill.status == DrillStatus.ENDED:
            return drill
        drill.status, drill.ended_at, drill.ended_by = DrillStatus.ENDED, now, actor
        drill.results = {"scores": scores_as_json(drill_scores_compute(drill=drill, now=now))}
        drill.save(update_fields=["status", "ended_at", "ended_by", "results"])
        pending = list(drill_requests(drill).exclude(status="closed").values_list("pk", flat=True))
        escalation_services.drill_requests_close(request_ids=pending, now=now)
        audit_record(actor=actor, verb="drill.end", target=drill, data={"replayed": drill.replayed})
    return drill


def drills_advance(*, now: datetime | None = None) -> int:
    """The beat's run: feed every running drill what is due, end those whose time is up. Safe twice."""
    now = now or timezone.now()
    fed = 0
    for drill_id, ends_at in Drill.objects.filter(status=DrillStatus.RUNNING).values_list("pk", "ends_at"):
        for _batch in range(FEED_BATCHES_PER_RUN):
            created = drill_feed(drill_id=drill_id, now=min(now, ends_at))
            fed += created
            if not created:
                break
        if ends_at <= now:
            drill_end(drill_id=drill_id, actor=None, now=now)
    return fed
