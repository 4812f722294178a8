import secrets

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record
from crisisdesk.models import (
    AuditEvent,
    Heartbeat,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from crisisdesk.webhooks import webhook_url_problem


@admin.register(User)
class CrisisDeskUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("Crisis Desk", {"fields": ("role", "signature", "language", "is_on_duty")}),)
    list_display = ("username", "first_name", "last_name", "role", "is_on_duty", "is_active")
    list_filter = ("role", "is_on_duty", "is_active")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail is read-only for everyone, administrators included."""

    list_display = ("created_at", "actor", "verb", "target_type", "target_id")
    list_filter = ("verb", "target_type")
    search_fields = ("target_id", "verb")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "seen_at")


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
