from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from crisisdesk.models import AuditEvent, Heartbeat, User


@admin.register(User)
class CrisisDeskUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Crisis Desk", {"fields": ("role", "signature", "language", "is_on_duty")}),
    )
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
