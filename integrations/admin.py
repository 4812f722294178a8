"""Outgoing webhooks in the admin: endpoints (secret shown once) and their read-only delivery log."""

import secrets

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from integrations.services import webhook_url_problem


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "format", "min_priority", "is_active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        problem = webhook_url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """The secret is generated here and shown once, in the message after the endpoint is added."""

    form = WebhookEndpointForm
    list_display = ("__str__", "url", "format", "min_priority", "is_active", "created_at")
    list_filter = ("is_active", "format")

    def save_model(self, request, obj, form, change):
        adding = obj.pk is None
        if adding:
            obj.secret = secrets.token_hex(32)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            verb="webhook.create" if adding else "webhook.update",
            target=obj,
            data={"url": obj.url, "events": obj.events, "via": "admin"},
        )
        if adding:
            messages.warning(
                request,
                _("Signing secret for %(endpoint)s: %(secret)s — copy it now, it will not be shown again.")
                % {"endpoint": obj, "secret": obj.secret},
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only, it records what was sent and what each attempt received."""

    list_display = (
        "created_at", "endpoint", "event_type", "status", "attempts", "last_status_code", "delivered_at"
    )
    list_filter = ("status", "event_type")
    search_fields = ("event_id",)
    list_select_related = ("endpoint",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
