"""A brand's vocabulary: the topics triage tags its mentions with, and the terms detection watches.

Edited on a page (`playbooks.views.vocabulary`); read once per ingested batch (`inbox.vocabulary`).
Nothing here is telecom-specific: the demo brand's words are demo data (`inbox/demo.py`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BrandVocabulary(models.Model):
    """One brand's topics ([{"name", "crisis_type", "terms": [...]}]) and watch terms ([...])."""

    brand = models.CharField(_("brand"), max_length=80, unique=True)
    topics = models.JSONField(default=list, blank=True)
    watch_terms = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["brand"]
        verbose_name_plural = "brand vocabularies"

    def __str__(self) -> str:
        return self.brand
