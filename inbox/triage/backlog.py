"""The model tier's refine queue, kept in PostgreSQL: claimed by priority, leased, shed when too long.

Ingestion marks each new mention `triage_refine="pending"` in its own INSERT, so the queue is as
durable as the mentions and needs no broker message to exist: a wake-up message (after commit) and a
beat every few seconds only say "drain now". A drain claims the highest-priority pending mentions
with `FOR UPDATE SKIP LOCKED` and leases them (`triage_refine_claimed_until`), so two workers never
refine the same mention at once and a worker that dies leaves its claim to expire. When more than
`TRIAGE_REFINE_BACKLOG_MAX` mentions wait, the lowest-priority ones under `TRIAGE_REFINE_SHED_BELOW`
keep the fast tier's labels, marked shed with the reason "Model skipped: backlog"; higher priority
is shed only past five times the bound, the lowest first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Func, JSONField, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from crisisdesk.audit import audit_record_many
from crisisdesk.locks import session_locks_release, session_locks_try
from inbox.models import Intake, Mention, TriageRefine
from inbox.triage import model_tier
from inbox.triage.services import mentions_triage_refine

R_SHED = gettext_noop("Model skipped")
SHED_REASON = f"{R_SHED}: backlog"
CLAIM_BATCH = 128
# A claim is leased this long (far more than a batch takes). A drain task works a few seconds, then hands the
# worker process back and asks for the next drain: a worker serving every queue (docker-compose's) must not
# leave the intake waiting behind the model tier (bench/crisis.py found ingestion starved with 20 s drains).
LEASE_SECONDS = 120
DRAIN_SECONDS = 3.0
# Ingestion comes first: while this many pushed deliveries wait to be stored (about 250 mentions), a drain
# refines one small batch and hands the worker back. A mention not yet in the inbox is worse than one with
# the fast tier's label; with the model tier draining freely, a crisis's intake grew without bound.
YIELD_TO_INTAKE_ROWS = 10
YIELD_BATCH = 16
HARD_BOUND_TIMES = 5


@dataclass(frozen=True)
class DrainReport:
    claimed: int = 0
    refined: int = 0
    shed: int = 0
    batches: int = 0
    out_of_time: bool = False  # stopped for its time budget, not because the queue was empty
    yielded: bool = False  # stopped after a small batch because the intake is behind
    busy: bool = False  # every drainer's slot was taken: another process is draining


def _claimable(now) -> Q:
    return Q(triage_refine=TriageRefine.PENDING) & (
        Q(triage_refine_claimed_until__isnull=True) | Q(triage_refine_claimed_until__lt=now)
    )


def mentions_refine_claim(*, limit: int = CLAIM_BATCH, lease_seconds: int | None = None) -> list[int]:
    """Lease up to `limit` pending mentions, highest priority first (then oldest); returns their ids.

    Rows another transaction is claiming are skipped (SKIP LOCKED) and rows under a live lease are not
    claimable, so concurrent workers get disjoint sets. A lease that expires makes the rows claimable again.
    """
    now = timezone.now()
    lease = timedelta(seconds=LEASE_SECONDS if lease_seconds is None else lease_seconds)
    with transaction.atomic():
        ids = list(
            Mention.objects.filter(_claimable(now))
            .order_by("-priority", "id")
            .select_for_update(no_key=True, skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Mention.objects.filter(pk__in=ids).update(triage_refine_claimed_until=now + lease)
    return ids


def mentions_refine_release(*, mention_ids: list[int]) -> int:
    """Take the claimed mentions out of the queue (refined, or refined before by someone else)."""
    return Mention.objects.filter(pk__in=mention_ids, triage_refine=TriageRefine.PENDING).update(
        triage_refine="", triage_refine_claimed_until=None
    )


def mentions_refine_shed(*, bound: int | None = None, keep_priority: int | None = None) -> int:
    """Over the bound, mark the lowest-priority pending mentions under the floor as shed; returns how many.

    They keep the fast tier's labels, with the reason "Model skipped: backlog" and tier "fast"; audited as
    `mention.triage_shed`. Mentions at or above the floor are shed only past HARD_BOUND_TIMES the bound,
    the lowest first: a crisis of urgent mentions arrives faster than the model reads (15 ms of CPU
    each), and a queue that only grows is refined by nobody. Never one under a live claim.
    """
    bound = settings.TRIAGE_REFINE_BACKLOG_MAX if bound is None else bound
    floor = settings.TRIAGE_REFINE_SHED_BELOW if keep_priority is None else keep_priority
    pending = Mention.objects.filter(triage_refine=TriageRefine.PENDING).count()
    if pending <= bound:
        return 0
    shed = _shed(pending=pending, count=pending - bound, below=floor)
    if pending - shed > HARD_BOUND_TIMES * bound:
        shed += _shed(pending=pending, count=pending - shed - HARD_BOUND_TIMES * bound, below=None)
    return shed


def _shed(*, pending: int, count: int, below: int | None) -> int:
    """One UPDATE of the victims: in a crisis a run sheds thousands, and a bulk update of each row's reasons
    (a CASE per row) cost the worker as much as ingesting them."""
    now = timezone.now()
    with transaction.atomic():
        candidates = Mention.objects.filter(_claimable(now))
        if below is not None:
            candidates = candidates.filter(priority__lt=below)
        victims = list(
            candidates.order_by("priority", "id")
            .select_for_update(no_key=True, skip_locked=True)
            .values_list("id", flat=True)[:count]
        )
        Mention.objects.filter(pk__in=victims).update(
            triage_refine=TriageRefine.SHED, triage_reasons=JsonListAppend("triage_reasons", SHED_REASON)
        )
        audit_record_many(
            actor=None,
            verb="mention.triage_shed",
            targets=[Mention(pk=mention_id) for mention_id in victims],
            data={"pending": pending},
        )
    return len(victims)


class JsonListAppend(Func):
    """A JSON list column with one string appended, in the database: PostgreSQL's jsonb `||`, SQLite's
    json_insert (the embedded mode)."""

    output_field = JSONField()

    def __init__(self, column: str, value: str) -> None:
        self.value = value
        super().__init__(F(column))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.source_expressions[0])
        return f"({column} || %s::jsonb)", (*params, json.dumps([self.value]))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.source_expressions[0])
        return f"json_insert({column}, '$[#]', %s)", (*params, self.value)


def mentions_refine_drain(*, seconds: float | None = None, batch: int = CLAIM_BATCH) -> DrainReport:
    """Shed if over the bound, then refine claimed batches until the queue is empty or the time is up.

    At most TRIAGE_REFINE_DRAINERS drains run at once; another returns at once (`busy`). Claims are disjoint,
    so parallel drains never refine a mention twice. Does nothing while the model tier is unavailable: the
    mentions stay pending (and are shed over the bound) until it is back.
    """
    if not model_tier().available():
        return DrainReport(shed=mentions_refine_shed())
    with _drainer_slot() as slot:
        if slot is None:
            return DrainReport(busy=True)
        return _drain(seconds=DRAIN_SECONDS if seconds is None else seconds, batch=batch)


# The advisory-lock space of the drainers' slots (crisisdesk.locks.session_locks_try).
DRAINER_LOCKS = 0x5245464E


@contextmanager
def _drainer_slot() -> Iterator[int | None]:
    """One of TRIAGE_REFINE_DRAINERS slots, or None when every slot is another process's: a wake-up and the
    beat's drain arriving together must not put both of a worker's processes on the model."""
    free = session_locks_try(DRAINER_LOCKS, list(range(settings.TRIAGE_REFINE_DRAINERS)))
    mine, spare = free[:1], free[1:]
    if spare:
        session_locks_release(DRAINER_LOCKS, spare)
    try:
        yield mine[0] if mine else None
    finally:
        if mine:
            session_locks_release(DRAINER_LOCKS, mine)


def _drain(*, seconds: float, batch: int) -> DrainReport:
    budget = seconds
    started = time.monotonic()
    claimed = refined = shed = batches = 0
    out_of_time = False
    yielded = False
    while True:
        shed += mentions_refine_shed()
        yielded = intake_behind()
        ids = mentions_refine_claim(limit=min(batch, YIELD_BATCH) if yielded else batch)
        if not ids:
            break
        claimed += len(ids)
        batches += 1
        refined += mentions_triage_refine(mention_ids=ids)
        mentions_refine_release(mention_ids=ids)
        if yielded:
            break
        if time.monotonic() - started >= budget:
            out_of_time = True
            break
    return DrainReport(
        claimed=claimed, refined=refined, shed=shed, batches=batches, out_of_time=out_of_time, yielded=yielded
    )


def intake_behind() -> bool:
    """Whether at least YIELD_TO_INTAKE_ROWS pushed deliveries wait to be stored (a bounded count, indexed)."""
    waiting = Intake.objects.filter(processed_at__isnull=True).order_by().values("pk")[:YIELD_TO_INTAKE_ROWS]
    return waiting.count() >= YIELD_TO_INTAKE_ROWS
