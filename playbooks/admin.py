from django.contrib import admin

from playbooks.models import Alert, Crisis, Playbook, PlaybookRevision, PlaybookVersion


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
