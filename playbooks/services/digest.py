"""The directors' weekly digest: written once per ISO week, sent once to each director, retried on failure."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from crisisdesk.audit import audit_record
from crisisdesk.models import Role, User
from playbooks.digest import (
    MAX_ATTACHED_PDFS,
    IsoWeek,
    iso_week_before,
    report_pdf_name,
    weekly_digest_figures,
    weekly_digest_message,
)
from playbooks.models import WeeklyDigest, WeeklyDigestDelivery
from playbooks.models_digest import WeeklyDigestDeliveryState as State
from playbooks.report import crisis_report
from playbooks.report_pdf import report_pdf

logger = logging.getLogger(__name__)

MAX_TRIES = 5
# A claim older than this was taken by a worker that died mid-send: it may be sent once more.
STALE_CLAIM = timedelta(minutes=10)


def weekly_digest_record(*, week: IsoWeek) -> WeeklyDigest | None:
    """Write the week's digest and one pending delivery per active director with an address; None when the
    week's row already exists (another beat, or an earlier run, wrote it: the unique week decides)."""
    with transaction.atomic():
        digest, created = WeeklyDigest.objects.get_or_create(
            week=week.label, defaults={"starts_at": week.starts_at, "ends_at": week.ends_at}
        )
        if not created:
            return None
        directors = User.objects.filter(role=Role.DIRECTOR, is_active=True).exclude(email="").order_by("pk")
        WeeklyDigestDelivery.objects.bulk_create(
            [WeeklyDigestDelivery(digest=digest, recipient=user, address=user.email) for user in directors]
        )
        audit_record(
            actor=None, verb="digest.weekly", target=digest, data={"to": [user.pk for user in directors]}
        )
    return digest


def _attachments(figures, user: User, cache: dict[tuple[int, str], bytes]) -> list[tuple[str, bytes]]:
    """The PDFs of the crises resolved in the week, in the director's language (rendered once per language)."""
    language = user.language or settings.LANGUAGE_CODE
    files = []
    for item in figures.resolved[:MAX_ATTACHED_PDFS]:
        key = (item.crisis.pk, language)
        if key not in cache:
            with translation.override(language):
                report = crisis_report(crisis_id=item.crisis.pk, user=user)
                cache[key] = report_pdf(report, base_url=settings.PUBLIC_BASE_URL) if report else b""
        if cache[key]:
            files.append((report_pdf_name(item.crisis), cache[key]))
    return files


def _claim(delivery_id: int, now: datetime) -> bool:
    due = (
        Q(state=State.PENDING)
        | Q(state=State.FAILED, tries__lt=MAX_TRIES)
        | Q(state=State.SENDING, claimed_at__lte=now - STALE_CLAIM)
    )
    return bool(WeeklyDigestDelivery.objects.filter(due, pk=delivery_id).update(state=State.SENDING, claimed_at=now))


def weekly_digest_deliver(*, delivery_id: int, cache: dict[tuple[int, str], bytes], now: datetime) -> bool:
    """Send one delivery if this call claims it; True if it went out. A transport error is recorded."""
    if not _claim(delivery_id, now):
        return False
    delivery = WeeklyDigestDelivery.objects.select_related("digest", "recipient").get(pk=delivery_id)
    user, digest = delivery.recipient, delivery.digest
    week = IsoWeek(label=digest.week, starts_at=digest.starts_at, ends_at=digest.ends_at)
    try:
        figures = weekly_digest_figures(week=week, user=user)
        weekly_digest_message(figures=figures, user=user, attachments=_attachments(figures, user, cache)).send()
    except Exception as error:  # any rendering or transport error is recorded and retried, never fatal
        logger.warning("Weekly digest %s to %s failed: %s", digest.week, delivery.address, error)
        WeeklyDigestDelivery.objects.filter(pk=delivery_id).update(
            state=State.FAILED, tries=delivery.tries + 1, error=f"{type(error).__name__}: {error}"[:2000]
        )
        return False
    WeeklyDigestDelivery.objects.filter(pk=delivery_id).update(
        state=State.SENT, tries=delivery.tries + 1, error="", sent_at=timezone.now()
    )
    return True


def weekly_digest_send(*, now: datetime | None = None) -> int:
    """Beat: the digest of the ISO week before `now`, e-mailed to each director once; returns how many went out.

    Safe to run twice and from two beats at once: the week's row is written once (its unique key), and each
    delivery is sent only by the call whose conditional update claims it. A later run of the same week sends
    only what failed (up to `MAX_TRIES` tries) or what a dead worker left claimed.
    """
    now = now or timezone.now()
    week = iso_week_before(now)
    weekly_digest_record(week=week)
    pending = WeeklyDigestDelivery.objects.filter(digest__week=week.label).exclude(state=State.SENT)
    cache: dict[tuple[int, str], bytes] = {}
    return sum(
        weekly_digest_deliver(delivery_id=pk, cache=cache, now=now)
        for pk in pending.order_by("pk").values_list("pk", flat=True)
    )
