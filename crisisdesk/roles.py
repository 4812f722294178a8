"""Who may use what. Every page, API view and websocket declares its roles; this module enforces them.

A view is either `@roles_required(...)` (function views), a `RoleRequiredMixin` subclass with
`allowed_roles` (class views and DRF views, through `HasRole`), or explicitly `@public`. The
permission-matrix test walks the URL resolver and fails on any view that declares neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, Protocol, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from rest_framework.permissions import BasePermission

from crisisdesk.models import Role, User

EVERYONE = frozenset(Role.values)
CONSOLE_STAFF = frozenset({Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN})
MANAGERS = frozenset({Role.DIRECTOR, Role.ADMIN})

START_PAGES: dict[str | None, str] = {
    Role.COMMUNITY_MANAGER: "inbox:list",
    Role.DEPARTMENT_HEAD: "escalation:desk",
    Role.DIRECTOR: "playbooks:dashboard",
    Role.ADMIN: "playbooks:dashboard",
}


class SignedInRequest(HttpRequest):
    """A request that passed `roles_required`: its user is signed in."""

    user: User


def user_role(user) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    return user.role


def user_has_role(user, roles: Iterable[str]) -> bool:
    role = user_role(user)
    return role is not None and role in set(roles)


def start_url_for(user) -> str:
    return reverse(START_PAGES.get(user_role(user), "inbox:list"))


class DeclaredView(Protocol):
    """A view that says who may use it; the permission-matrix test reads these attributes."""

    allowed_roles: frozenset[str] | None
    is_public: bool

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def roles_required(*roles: str) -> Callable:
    """Decorate a function view: anonymous users go to login, other roles get 403."""
    allowed = frozenset(roles)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_role(request.user, allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        cast(DeclaredView, wrapped).allowed_roles = allowed
        return wrapped

    return decorator


def public(view: Callable) -> Callable:
    """Mark a view as deliberately open to anonymous users (login, health, signed webhooks)."""
    declared = cast(DeclaredView, view)
    declared.allowed_roles = None
    declared.is_public = True
    return view


class RoleRequiredMixin:
    """For class-based pages: `allowed_roles` says who may enter."""

    allowed_roles: frozenset[str] = frozenset()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_has_role(request.user, self.allowed_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class HasRole(BasePermission):
    """DRF: the view's `allowed_roles` decides; a view that declares none is closed to everyone."""

    message = "Your role may not use this endpoint."

    def has_permission(self, request, view) -> bool:
        allowed = getattr(view, "allowed_roles", None)
        if allowed is None:
            return False
        return user_has_role(request.user, allowed)
