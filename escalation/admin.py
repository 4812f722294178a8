"""Administrators edit departments and policies here; requests are read-only (services change them)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from escalation import admin_oncall as admin_oncall  # registers the on-call schedule's admin
from escalation.models import (
    Answer,
    Department,
    EscalationEvent,
    EscalationNotification,
    EscalationPolicy,
    EscalationRequest,
    EscalationStep,
    HoldingLine,
    InboundMail,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "on_duty", "email")
    filter_horizontal = ("heads", "members")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(HoldingLine)
class HoldingLineAdmin(admin.ModelAdmin):
    list_display = ("department", "topic", "active", "approved_by", "approved_at")
    list_filter = ("active", "department")
    search_fields = ("topic", "text")
    raw_id_fields = ("created_by", "approved_by")


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 1
    ordering = ("order",)


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "department", "is_default", "answer_within_seconds", "reminder_fraction")
    list_filter = ("is_default",)
    inlines = [EscalationStepInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = EscalationEvent
    fields = ("created_at", "kind", "step_index", "attempt", "actor", "data")
    readonly_fields = fields


class AnswerInline(ReadOnlyInline):
    model = Answer
    fields = ("created_at", "author", "text", "is_approved_wording")
    readonly_fields = fields


class NotificationInline(ReadOnlyInline):
    model = EscalationNotification
    fields = ("created_at", "step_index", "attempt", "recipient", "medium", "state", "error", "sent_at")
    readonly_fields = fields


@admin.register(EscalationRequest)
class EscalationRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "department", "status", "current_step", "due_at", "raised_by", "created_at")
    list_filter = ("status", "department")
    search_fields = ("question",)
    inlines = [AnswerInline, EventInline, NotificationInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(EscalationNotification)
class EscalationNotificationAdmin(admin.ModelAdmin):
    """Every escalation message and its fate: failed ones show their error and their next try."""

    list_display = ("id", "request", "step_index", "recipient", "medium", "state", "tries", "retry_at", "error")
    list_filter = ("state", "medium")
    search_fields = ("recipient", "error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    """Every reply received by e-mail, answered or refused with its reason and the message as it came."""

    list_display = ("id", "received_at", "source", "sender", "request", "outcome", "reason")
    list_filter = ("outcome", "reason", "source")
    search_fields = ("sender", "subject", "message_id")
    readonly_fields = ("answer", "author", "request")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
