"""Where alerts go: routes (rules by brand, severity, level and type → people and channels), and each
alert's dispatch along a route (the step it reached and when the next re-notification is due).

The messages themselves are `CrisisNotification` rows (one per alert, step, recipient and channel),
sent and retried by `playbooks.notifications`. docs/ESCALATION.md, "Alert routing".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from inbox.credentials import credentials_decrypt, credentials_encrypt
from playbooks.choices import CrisisLevel


class AlertRoute(models.Model):
    """A rule: alerts of this brand (any when blank), at least this severity and suggested level, of these
    crisis types (any when none), go to these people and departments' on-call, by these channels.

    Chat webhook URLs carry their own credential: they are stored encrypted (`inbox.credentials`).
    """

    name = models.CharField(_("name"), max_length=120)
    brand = models.CharField(_("brand"), max_length=80, blank=True, help_text=_("Blank: every brand."))
    min_severity = models.PositiveSmallIntegerField(
        _("minimum severity"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    min_level = models.PositiveSmallIntegerField(
        _("minimum suggested level"), choices=CrisisLevel.choices, default=CrisisLevel.WATCH
    )
    crisis_types = models.JSONField(_("crisis types"), default=list, blank=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("people"))
    departments = models.ManyToManyField(
        "escalation.Department", blank=True, related_name="+", verbose_name=_("departments (their on-call now)")
    )
    send_email = models.BooleanField(_("e-mail the people"), default=True)
    slack_webhook = models.TextField(blank=True, editable=False)
    teams_webhook = models.TextField(blank=True, editable=False)
    emit_webhook_event = models.BooleanField(_("send the alert.opened webhook event"), default=False)
    renotify_minutes = models.PositiveSmallIntegerField(
        _("re-notify after (minutes)"), default=10, validators=[MaxValueValidator(1440)],
        help_text=_("0: never re-notify."),
    )
    renotify_times = models.PositiveSmallIntegerField(
        _("re-notify at most (times)"), default=3, validators=[MaxValueValidator(20)]
    )
    renotify_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("re-notify instead"),
        help_text=_("Empty: the same people again."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def _url(self, stored: str) -> str:
        try:
            return str(credentials_decrypt(stored).get("url", "")) if stored else ""
        except ValueError:
            return ""

    @property
    def slack_webhook_url(self) -> str:
        return self._url(self.slack_webhook)

    @slack_webhook_url.setter
    def slack_webhook_url(self, url: str) -> None:
        self.slack_webhook = credentials_encrypt({"url": url}) if url else ""

    @property
    def teams_webhook_url(self) -> str:
        return self._url(self.teams_webhook)

    @teams_webhook_url.setter
    def teams_webhook_url(self, url: str) -> None:
        self.teams_webhook = credentials_encrypt({"url": url}) if url else ""

    def snapshot(self) -> dict[str, Any]:
        """What a dispatch keeps of the route when the alert opens, so later edits leave it alone."""
        return {
            "name": self.name,
            "users": sorted(user.pk for user in self.users.all()),
            "departments": sorted(department.pk for department in self.departments.all()),
            "email": self.send_email,
            "slack": bool(self.slack_webhook),
            "teams": bool(self.teams_webhook),
            "renotify_minutes": self.renotify_minutes,
            "renotify_times": self.renotify_times,
            "renotify_users": sorted(user.pk for user in self.renotify_users.all()),
        }


class AlertDispatch(models.Model):
    """One alert along one route: the last step sent and when the next re-notification is due.

    A timer as a row: the beat (`alerts_renotify`) claims a due step with a conditional UPDATE of
    `step`, so two sweepers never send the same step twice; acknowledging clears `next_at`.
    """

    alert = models.ForeignKey("playbooks.Alert", on_delete=models.CASCADE, related_name="dispatches")
    route = models.ForeignKey(AlertRoute, null=True, on_delete=models.SET_NULL, related_name="dispatches")
    route_snapshot = models.JSONField(default=dict)
    step = models.PositiveSmallIntegerField(default=0)
    next_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["alert", "id"]
        constraints = [models.UniqueConstraint(fields=["alert", "route"], name="alert_dispatch_once_per_route")]
        indexes = [models.Index(fields=["next_at"], name="alert_dispatch_due")]

    def __str__(self) -> str:
        return f"alert #{self.alert_id} · {self.route_snapshot.get('name', '')} · step {self.step}"
