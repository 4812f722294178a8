"""The on-call schedule in the admin: a department's rotation with its members, overrides and
business hours inline, and people's out-of-office windows.

Administrators and directors edit every rotation; a department head with admin access (staff,
with the model permissions) sees and edits only the rotations of departments they head.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from crisisdesk.models import Role
from crisisdesk.roles import user_role
from escalation.models import Department
from escalation.models_oncall import BusinessHours, OnCallMember, OnCallOverride, OnCallRotation, OutOfOffice


def _sees_all(request: HttpRequest) -> bool:
    return user_role(request.user) in (Role.ADMIN, Role.DIRECTOR)


class OnCallMemberInline(admin.TabularInline):
    model = OnCallMember
    extra = 1
    ordering = ("position",)


class OnCallOverrideInline(admin.TabularInline):
    model = OnCallOverride
    extra = 0


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


@admin.register(OnCallRotation)
class OnCallRotationAdmin(admin.ModelAdmin):
    list_display = ("department", "frequency", "handoff_time", "time_zone", "starts_on", "outside_hours_user")
    inlines = [OnCallMemberInline, OnCallOverrideInline, BusinessHoursInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OnCallRotation]:
        queryset = super().get_queryset(request).select_related("department")
        return queryset if _sees_all(request) else queryset.filter(department__heads=request.user.pk)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name == "department" and not _sees_all(request):
            kwargs["queryset"] = Department.objects.filter(heads=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(OutOfOffice)
class OutOfOfficeAdmin(admin.ModelAdmin):
    list_display = ("user", "deputy", "starts_at", "ends_at")
    list_filter = ("starts_at",)
    search_fields = ("user__username", "deputy__username")
