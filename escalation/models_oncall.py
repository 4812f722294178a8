"""Who is on call for a department: its rotation, the overrides, business hours, out-of-office.

The rows only hold the schedule; who is on call at an instant is decided by the pure
`escalation.oncall.on_call_at`, which `escalation.selectors_oncall` feeds from these rows. The
module is imported by `escalation.models`, so Django registers these models with the app.
"""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """An IANA zone name the zone database knows (Europe/Madrid, America/Mexico_City…)."""
    if value not in _zone_names():
        raise ValidationError(_("%(zone)s is not an IANA time zone."), params={"zone": value})


class RotationFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OnCallRotation(models.Model):
    """A department's rotation: its members take turns, handing off at a wall-clock time in its zone."""

    department = models.OneToOneField(
        "escalation.Department", on_delete=models.CASCADE, related_name="rotation", verbose_name=_("department")
    )
    frequency = models.CharField(
        _("frequency"), max_length=8, choices=RotationFrequency.choices, default=RotationFrequency.WEEKLY
    )
    handoff_time = models.TimeField(_("hand-off time"), help_text=_("Local wall-clock time in the rotation's zone."))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Madrid", validators=[validate_time_zone]
    )
    starts_on = models.DateField(
        _("starts on"), help_text=_("The first member's first shift starts on this day at the hand-off time.")
    )
    outside_hours_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("on call outside business hours"),
        help_text=_("Used only when business hours are set; empty means the department heads outside them."),
    )

    class Meta:
        verbose_name = _("on-call rotation")
        verbose_name_plural = _("on-call rotations")

    def __str__(self) -> str:
        return str(_("On-call rotation of %(department)s") % {"department": self.department})


class OnCallMember(models.Model):
    rotation = models.ForeignKey(OnCallRotation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        ordering = ["rotation", "position"]
        verbose_name = _("rotation member")
        verbose_name_plural = _("rotation members")
        constraints = [models.UniqueConstraint(fields=["rotation", "position"], name="oncall_member_unique_position")]

    def __str__(self) -> str:
        return f"{self.position}. {self.user}"


class OnCallOverride(models.Model):
    """Someone covers the rotation for a window (a swap, a holiday cover)."""

    rotation = models.ForeignKey(OnCallRotation, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    class Meta:
        ordering = ["rotation", "starts_at", "id"]
        verbose_name = _("on-call override")
        verbose_name_plural = _("on-call overrides")
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="oncall_override_order")]

    def __str__(self) -> str:
        return f"{self.user}: {self.starts_at:%Y-%m-%d %H:%M} → {self.ends_at:%Y-%m-%d %H:%M}"


class BusinessHours(models.Model):
    """One weekday's hours, in the rotation's zone; outside all of them the outside-hours person is on call."""

    rotation = models.ForeignKey(OnCallRotation, on_delete=models.CASCADE, related_name="business_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("from"))
    closes_at = models.TimeField(_("to"))

    class Meta:
        ordering = ["rotation", "weekday", "opens_at"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="business_hours_order"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="business_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class OutOfOffice(models.Model):
    """A person away for a window, and who answers for them wherever they would be on call."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences", verbose_name=_("person")
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("deputy")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("out of office")
        verbose_name_plural = _("out of office")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="out_of_office_order"),
            models.CheckConstraint(condition=~Q(deputy=F("user")), name="out_of_office_other_deputy"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.deputy}"
