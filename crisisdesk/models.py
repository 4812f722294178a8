"""What every app shares: users with their role, the audit trail and the worker heartbeat."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisdesk.text import clean_display_name, user_display_name


class Role(models.TextChoices):
    COMMUNITY_MANAGER = "community_manager", _("Community manager")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    DIRECTOR = "director", _("Director")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.COMMUNITY_MANAGER)
    signature = models.CharField(
        max_length=60,
        blank=True,
        help_text=_("Name signed under public replies; the first name when empty."),
    )
    language = models.CharField(max_length=8, blank=True, choices=[("es", "Español"), ("en", "English")])
    is_on_duty = models.BooleanField(default=True)

    @property
    def signature_name(self) -> str:
        return self.signature or self.first_name or self.username

    @property
    def display_name(self) -> str:
        """The one way the console names a person (see `crisisdesk.text.user_display_name`)."""
        return user_display_name(self)

    def clean(self) -> None:
        """Names are shown beside other people's: no bidi overrides that make one read as another."""
        super().clean()
        self.first_name = clean_display_name(self.first_name)
        self.last_name = clean_display_name(self.last_name)
        self.signature = clean_display_name(self.signature)


class AuditEvent(models.Model):
    """An append-only record of a change of state: who did what to which object, and when."""

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["target_type", "target_id", "created_at"])]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_type}#{self.target_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class Heartbeat(models.Model):
    """The last time a background process proved it was alive (read by /healthz)."""

    name = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.name
