"""What escalation reports to /metrics, read when Prometheus scrapes (crisisdesk.metrics); indexed reads only.

Registered in `EscalationConfig.ready()`.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from crisisdesk.metrics import ScrapeGauge, scrape_gauge_register
from escalation.models import PENDING_STATUSES, EscalationRequest, RequestStatus

# The sweep runs every ESCALATION_SWEEP_SECONDS (5 s): a step due for longer than this means it is not running.
STEP_LATE_AFTER = timedelta(seconds=60)


def escalations_overdue() -> float:
    """Requests still pending (open or acknowledged) past their deadline (index `escalation_due`)."""
    pending_past_due = EscalationRequest.objects.filter(status__in=PENDING_STATUSES, due_at__lte=timezone.now())
    return float(pending_past_due.count())


def escalation_steps_late() -> float:
    """Open requests whose next rung is due for over a minute: the chain's clock is not being read."""
    late = timezone.now() - STEP_LATE_AFTER
    return float(EscalationRequest.objects.filter(status=RequestStatus.OPEN, next_action_at__lte=late).count())


def escalation_metrics_register() -> None:
    scrape_gauge_register(
        ScrapeGauge(
            "crisisdesk_escalations_overdue",
            "Escalation requests pending (open or acknowledged) past their deadline.",
            escalations_overdue,
        )
    )
    scrape_gauge_register(
        ScrapeGauge(
            "crisisdesk_escalation_steps_late",
            "Open escalation requests whose next step has been due for more than a minute.",
            escalation_steps_late,
        )
    )
