"""Holding lines: the fallback answers a department approves in calm times, per topic.

When a request's deadline passes with no answer, the composer offers the department's active,
approved lines for the mention's topic (`escalation.holding_lines`), so the community manager can
publish something the department stands behind instead of silence.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class HoldingLine(models.Model):
    """One approved fallback answer for one topic: a category (`complaint`…) or a free text ("fibra")."""

    department = models.ForeignKey(
        "escalation.Department", on_delete=models.CASCADE, related_name="holding_lines", verbose_name=_("department")
    )
    topic = models.CharField(
        _("topic"),
        max_length=80,
        help_text=_("A mention category (complaint, question…) or a word the mention's text contains."),
    )
    text = models.TextField(_("text"), max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["department", "topic", "id"]
        indexes = [models.Index(fields=["department", "active"], name="holding_line_department")]

    def __str__(self) -> str:
        return f"{self.department} · {self.topic}"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None
