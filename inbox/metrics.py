"""What the inbox reports to /metrics, read when Prometheus scrapes (crisisdesk.metrics): each one indexed read.

Registered in `InboxConfig.ready()`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from crisisdesk.metrics import ScrapeGauge, scrape_gauge_register
from inbox.models import DeadLetter, Intake, Mention
from inbox.triage.fast import FastTriage

DEAD_LETTER_WINDOW = timedelta(hours=24)
# The model tier refines a batch seconds after it is stored: its backlog is among the newest mentions. Counting is
# bounded in time and in rows so that a scrape stays cheap however far behind the tier is.
REFINE_BACKLOG_WINDOW = timedelta(minutes=30)
REFINE_BACKLOG_COUNT_LIMIT = 100_000


def intakes_pending() -> float:
    """Pushed batches written to `Intake` and not processed yet (the partial index `intake_pending`)."""
    return float(Intake.objects.filter(processed_at__isnull=True).count())


def intake_oldest_pending_seconds() -> float:
    oldest = Intake.objects.filter(processed_at__isnull=True).aggregate(oldest=Min("received_at"))["oldest"]
    return 0.0 if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())


def dead_letters_last_day() -> float:
    """Items refused by ingestion in the last 24 hours (`created_at` is indexed)."""
    return float(DeadLetter.objects.filter(created_at__gte=timezone.now() - DEAD_LETTER_WINDOW).count())


def mentions_refine_backlog() -> float:
    """Mentions still at the fast tier's labels, waiting for the model tier: those of the last half hour, up to
    100,000 (walks `mention_recent` from its newest end). 0 when the model tier is off.

    The one place that says what the backlog is: a durable refine queue (a `triage_refine` column with its own
    partial index) would replace the body of this function, and nothing else."""
    if not settings.TRIAGE_MODEL_TIER:
        return 0.0
    since = timezone.now() - REFINE_BACKLOG_WINDOW
    recent = Mention.objects.filter(received_at__gte=since, triage_tier=FastTriage.name)
    return float(recent.values("id")[:REFINE_BACKLOG_COUNT_LIMIT].count())


def inbox_metrics_register() -> None:
    for gauge in (
        ScrapeGauge("crisisdesk_intakes_pending", "Pushed batches stored and not yet ingested.", intakes_pending),
        ScrapeGauge(
            "crisisdesk_intake_oldest_pending_seconds",
            "Age of the oldest pushed batch not yet ingested (0 with none).",
            intake_oldest_pending_seconds,
        ),
        ScrapeGauge(
            "crisisdesk_dead_letters_last_day", "Items ingestion refused in the last 24 hours.", dead_letters_last_day
        ),
        ScrapeGauge(
            "crisisdesk_triage_refine_backlog",
            "Mentions of the last 30 minutes still at the fast triage tier, waiting for the model tier.",
            mentions_refine_backlog,
        ),
    ):
        scrape_gauge_register(gauge)
