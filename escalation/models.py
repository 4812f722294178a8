"""Departments and the requests the community managers put to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Department(models.Model):
    """An internal area that answers community managers' questions (Técnica, Jurídico…)."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=40, unique=True)
    heads = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="headed_departments", blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="departments", blank=True)
    on_duty = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(blank=True)
    chat_webhook_url = models.URLField(blank=True, help_text="Slack- or Teams-compatible incoming webhook.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
