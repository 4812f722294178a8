from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from inbox.models import ScheduledPost
from playbooks.models import (
    Alert,
    AlertDispatch,
    AlertRoute,
    Crisis,
    CrisisNotification,
    Playbook,
    PlaybookRevision,
    PlaybookVersion,
    PublishingSuspension,
)


@admin.register(Crisis)
class CrisisAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "crisis_type", "level", "status", "declared_at"]
    list_filter = ["status", "crisis_type", "level"]
    readonly_fields = ["playbook_version", "playbook_content", "notified_at", "last_summary_at"]


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = ["name", "crisis_type", "level"]


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(admin.ModelAdmin):
    list_display = ["playbook", "number", "created_at", "created_by"]
    readonly_fields = ["playbook", "number", "content", "created_by"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["brand", "signal", "topic", "severity", "status", "started_at", "last_seen_at"]
    list_filter = ["status", "signal"]


@admin.register(PlaybookRevision)
class PlaybookRevisionAdmin(admin.ModelAdmin):
    list_display = ["playbook", "status", "created_at"]


@admin.register(CrisisNotification)
class CrisisNotificationAdmin(admin.ModelAdmin):
    """Every crisis e-mail and its fate: failed ones show their error and when they are tried again."""

    list_display = ["id", "crisis", "kind", "address", "state", "tries", "next_try_at", "error", "created_at"]
    list_filter = ["state", "kind"]
    search_fields = ["address", "error"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Seen in the admin, changed only through the calendar's services (four eyes, audit, the timeline)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScheduledPost)
class ScheduledPostAdmin(ReadOnlyAdmin):
    list_display = ["id", "channel", "scheduled_at", "status", "created_by", "approved_by", "external_id"]
    list_filter = ["status", "channel"]


@admin.register(PublishingSuspension)
class PublishingSuspensionAdmin(ReadOnlyAdmin):
    list_display = ["id", "reason", "crisis", "started_by", "started_at", "ended_at"]


@admin.register(AlertRoute)
class AlertRouteAdmin(admin.ModelAdmin):
    """Chat webhooks are write-only and encrypted: they are set on the console's route page."""

    list_display = ["name", "brand", "min_severity", "min_level", "send_email", "emit_webhook_event", "is_active"]
    list_filter = ["is_active", "brand"]
    filter_horizontal = ["users", "departments", "renotify_users"]


@admin.register(AlertDispatch)
class AlertDispatchAdmin(admin.ModelAdmin):
    list_display = ["alert", "route", "step", "next_at", "created_at"]
    readonly_fields = ["alert", "route", "route_snapshot", "step", "next_at"]
