"""The weekly digest's figures and its e-mail, for one director in their language (reads only).

A week is an ISO week in the desk's time zone, Monday 00:00 to the next Monday. The crises are the ones
open at any moment of it, each with its level, status, duration and the link to its report; the volume
and sentiment come from the minute rollups; first responses are counted over every mention received in
the week, the unanswered included (`playbooks.report.delays_over_all`); overdue escalations are the
requests raised in the week still unanswered past their deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, F, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisisdesk.models import User
from crisisdesk.text import header_safe
from escalation.responsiveness import Responsiveness, department_responsiveness
from inbox.models import Mention, MentionMinuteStat
from playbooks.models import Crisis
from playbooks.report import Delays, delays_over_all

MAX_ATTACHED_PDFS = 5


@dataclass(frozen=True)
class IsoWeek:
    label: str
    starts_at: datetime
    ends_at: datetime


def iso_week_before(now: datetime) -> IsoWeek:
    """The last complete ISO week before `now` (the digest sent on a Monday is about the week just ended)."""
    local = timezone.localtime(now)
    this_monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = this_monday - timedelta(days=7)
    year, week, _weekday = monday.isocalendar()
    starts = timezone.make_aware(monday.replace(tzinfo=None))
    ends = timezone.make_aware(this_monday.replace(tzinfo=None))
    return IsoWeek(label=f"{year}-W{week:02d}", starts_at=starts, ends_at=ends)


@dataclass(frozen=True)
class DigestCrisis:
    crisis: Crisis
    duration_seconds: float
    resolved_in_week: bool
    report_url: str
    pdf_url: str

    @property
    def pdf_name(self) -> str:
        return report_pdf_name(self.crisis)


@dataclass
class DigestFigures:
    week: IsoWeek
    crises: list[DigestCrisis] = field(default_factory=list)
    volume: int = 0
    negative_share: float | None = None
    positive_share: float | None = None
    first_response: Delays = field(default_factory=lambda: delays_over_all([], total=0))
    departments: list[Responsiveness] = field(default_factory=list)

    @property
    def overdue_escalations(self) -> int:
        return sum(row.overdue_unanswered for row in self.departments)

    @property
    def resolved(self) -> list[DigestCrisis]:
        return [item for item in self.crises if item.resolved_in_week]


def _absolute(name: str, crisis_id: int) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse(name, args=[crisis_id])}"


def _week_crises(week: IsoWeek) -> list[DigestCrisis]:
    crises = Crisis.objects.filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=week.starts_at),
        detected_at__lt=week.ends_at,
        declared_at__isnull=False,
    ).order_by("-level", "declared_at", "pk")
    rows = []
    for crisis in crises:
        start = crisis.declared_at or crisis.detected_at
        end = min(crisis.resolved_at or week.ends_at, week.ends_at)
        rows.append(
            DigestCrisis(
                crisis=crisis,
                duration_seconds=max(0.0, (end - start).total_seconds()),
                resolved_in_week=bool(crisis.resolved_at and week.starts_at <= crisis.resolved_at < week.ends_at),
                report_url=_absolute("playbooks:crisis_report", crisis.pk),
                pdf_url=_absolute("playbooks:crisis_report_pdf", crisis.pk),
            )
        )
    return rows


def _week_first_responses(week: IsoWeek) -> Delays:
    mentions = Mention.objects.filter(received_at__gte=week.starts_at, received_at__lt=week.ends_at)
    total = mentions.aggregate(count=Count("pk"))["count"] or 0
    delays = (
        mentions.filter(first_response_at__isnull=False)
        .annotate(delay=F("first_response_at") - F("received_at"))
        .values_list("delay", flat=True)
    )
    return delays_over_all([delay.total_seconds() for delay in delays], total=total)


def weekly_digest_figures(*, week: IsoWeek, user: User) -> DigestFigures:
    """The week's figures as `user` (a director) sees them."""
    figures = DigestFigures(week=week, crises=_week_crises(week))
    totals = MentionMinuteStat.objects.filter(
        topic="", minute__gte=week.starts_at, minute__lt=week.ends_at
    ).aggregate(volume=Sum("volume"), negative=Sum("negative"), positive=Sum("positive"))
    figures.volume = totals["volume"] or 0
    if figures.volume:
        figures.negative_share = (totals["negative"] or 0) / figures.volume
        figures.positive_share = (totals["positive"] or 0) / figures.volume
    figures.first_response = _week_first_responses(week)
    figures.departments = [
        row
        for row in department_responsiveness(user=user, days=7, now=week.ends_at)
        if row.requests
    ]
    return figures


def weekly_digest_message(
    *, figures: DigestFigures, user: User, attachments: list[tuple[str, bytes]]
) -> EmailMultiAlternatives:
    """The e-mail to `user` in their language (the desk's default when they chose none): text and HTML."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "figures": figures,
            "user": user,
            "attached": {name for name, _content in attachments},
            "base_url": settings.PUBLIC_BASE_URL,
        }
        subject = header_safe(_("Weekly crisis digest: week %(week)s") % {"week": figures.week.label}, limit=255)
        message = EmailMultiAlternatives(
            subject, render_to_string("playbooks/email/weekly_digest.txt", context), None, [user.email]
        )
        message.attach_alternative(render_to_string("playbooks/email/weekly_digest.html", context), "text/html")
    for name, content in attachments:
        message.attach(name, content, "application/pdf")
    return message


def report_pdf_name(crisis: Crisis) -> str:
    return f"crisis-{crisis.pk}-report.pdf"
