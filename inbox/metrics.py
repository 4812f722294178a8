"""What the inbox reports to /metrics, read when Prometheus scrapes (crisisdesk.metrics): each one indexed read.

Registered in `InboxConfig.ready()`.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from crisisdesk.metrics import ScrapeGauge, scrape_gauge_register
from inbox.models import DeadLetter, Intake, Mention, TriageRefine

DEAD_LETTER_WINDOW = timedelta(hours=24)


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
    """Mentions waiting in the model tier's refine queue (`triage_refine` pending, its partial index)."""
    return float(Mention.objects.filter(triage_refine=TriageRefine.PENDING).count())


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
