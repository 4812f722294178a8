"""Admin for the inbox: nothing here can be deleted, and channel credentials are write-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crisisdesk.parsers import JsonDocumentInvalid, json_loads_bounded
from inbox.credentials import credentials_encrypt
from inbox.models import Author, BrandVocabulary, Channel, DeadLetter, Mention, Reply, ReplyApproval, ReplyApprovalRule


class NoDeleteAdmin(admin.ModelAdmin):
    """Mentions are hidden, never deleted; the rest is evidence of what happened."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NoDeleteAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ChannelAdminForm(forms.ModelForm):
    """`credentials` is write-only: it is never filled from the stored value, only encrypted on save."""

    credentials = forms.CharField(
        required=False,
        label=_("New credentials (JSON)"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_('Leave empty to keep the current credentials. Example: {"token": "…"}.'),
    )
    clear_credentials = forms.BooleanField(required=False, label=_("Remove the stored credentials"))

    class Meta:
        model = Channel
        fields = [
            "name",
            "kind",
            "brand",
            "base_url",
            "config",
            "signature_template",
            "is_enabled",
            "poll_interval_seconds",
            "next_poll_at",
        ]

    def clean_credentials(self) -> dict | None:
        raw = self.cleaned_data.get("credentials", "").strip()
        if not raw:
            return None
        try:
            value = json_loads_bounded(raw)
        except JsonDocumentInvalid as error:
            raise forms.ValidationError(_("Credentials must be a JSON object.")) from error
        if not isinstance(value, dict) or not value:
            raise forms.ValidationError(_("Credentials must be a non-empty JSON object."))
        return value

    def save(self, commit: bool = True) -> Channel:
        channel = super().save(commit=False)
        if self.cleaned_data.get("clear_credentials"):
            channel.credentials_encrypted = ""
        elif self.cleaned_data.get("credentials"):
            channel.credentials_encrypted = credentials_encrypt(self.cleaned_data["credentials"])
        if commit:
            channel.save()
        return channel


@admin.register(Channel)
class ChannelAdmin(NoDeleteAdmin):
    form = ChannelAdminForm
    list_display = (
        "name",
        "kind",
        "brand",
        "is_enabled",
        "consecutive_failures",
        "last_success_at",
        "has_credentials",
    )
    list_filter = ("kind", "is_enabled", "brand")
    search_fields = ("name",)
    readonly_fields = (
        "last_polled_at",
        "last_success_at",
        "last_error",
        "last_error_at",
        "consecutive_failures",
    )

    @admin.display(boolean=True, description=_("Credentials set"))
    def has_credentials(self, channel: Channel) -> bool:
        return bool(channel.credentials_encrypted)


@admin.register(Author)
class AuthorAdmin(NoDeleteAdmin):
    list_display = ("handle", "platform", "followers", "verified", "mention_count", "complaint_count")
    list_filter = ("platform", "verified")
    search_fields = ("handle", "display_name", "external_id")


@admin.register(Mention)
class MentionAdmin(ReadOnlyAdmin):
    list_display = ("id", "channel", "author", "status", "priority", "category", "is_hidden", "received_at")
    list_filter = ("status", "category", "sentiment", "is_hidden", "channel__kind")
    search_fields = ("external_id", "text")
    list_select_related = ("channel", "author")
    exclude = ("search_vector",)


@admin.register(Reply)
class ReplyAdmin(ReadOnlyAdmin):
    list_display = ("id", "mention", "author", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state",)
    list_select_related = ("mention__channel", "author")


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "source", "channel", "reason")
    list_filter = ("source",)
    search_fields = ("reason",)
    fields = ("created_at", "source", "channel", "reason", "payload")


@admin.register(BrandVocabulary)
class BrandVocabularyAdmin(NoDeleteAdmin):
    """Edited on the console's "Topics and watch terms" page, which validates and audits each change."""

    list_display = ["brand", "updated_at", "updated_by"]
    readonly_fields = ["brand", "topics", "watch_terms", "updated_at", "updated_by"]


@admin.register(ReplyApprovalRule)
class ReplyApprovalRuleAdmin(ReadOnlyAdmin):
    """Edited on the console's "Approval rule" page (/inbox/approvals/rule/), which validates each pattern
    and audits each change."""

    list_display = ["minimum_crisis_level", "enabled", "time_limit_minutes", "updated_at", "updated_by"]


@admin.register(ReplyApproval)
class ReplyApprovalAdmin(ReadOnlyAdmin):
    list_display = ["reply", "decision", "crisis_level", "requested_at", "expires_at", "decided_by", "decided_at"]
    list_filter = ["decision"]
    list_select_related = ["reply", "decided_by"]
