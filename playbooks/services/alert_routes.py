"""Alert routes, written from their page: validated, chat webhooks encrypted, audited.

Only directors and admins edit routes (`ROUTE_EDITORS`): they decide who is woken up at night.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import Role, User
from escalation.models import Department
from escalation.services.messages import chat_flavour
from playbooks.errors import CrisisError
from playbooks.models import AlertRoute, CrisisType
from playbooks.services.common import role_require

ROUTE_EDITORS = frozenset({Role.DIRECTOR, Role.ADMIN})


class AlertRouteError(CrisisError):
    """A route that cannot be saved; the message says why."""


def _webhook_clean(url: str, *, flavour: str) -> str:
    """A Slack webhook must be on hooks.slack.com, a Teams one on a Workflows host, both over https:
    the server posts to these URLs, so no other host is accepted."""
    url = (url or "").strip()
    if not url:
        return ""
    if urlsplit(url).scheme != "https" or chat_flavour(url) != flavour:
        if flavour == "slack":
            raise AlertRouteError(_("The Slack webhook must be an https://hooks.slack.com/… address."))
        raise AlertRouteError(_("The Teams webhook must be the https address of a Teams Workflows webhook."))
    return url


def alert_route_save(
    *, actor: User, values: dict[str, Any], route_id: int | None = None, slack_url: str | None = None,
    teams_url: str | None = None,
) -> AlertRoute:
    """Create or update a route from cleaned form values; a webhook left as None keeps the stored one."""
    role_require(actor, ROUTE_EDITORS, _("Only directors and admins can edit alert routes."))
    unknown = set(values.get("crisis_types") or []) - set(CrisisType.values)
    if unknown:
        raise AlertRouteError(_("Unknown crisis type."))
    with transaction.atomic():
        route = AlertRoute.objects.select_for_update(no_key=True).get(pk=route_id) if route_id else AlertRoute()
        for name in ("name", "brand", "min_severity", "min_level", "crisis_types", "send_email",
                     "emit_webhook_event", "renotify_minutes", "renotify_times", "is_active"):
            if name in values:
                setattr(route, name, values[name])
        if slack_url is not None:
            route.slack_webhook_url = _webhook_clean(slack_url, flavour="slack")
        if teams_url is not None:
            route.teams_webhook_url = _webhook_clean(teams_url, flavour="teams")
        route.save()
        for name, model in (("users", User), ("departments", Department), ("renotify_users", User)):
            if name in values:
                getattr(route, name).set(model.objects.filter(pk__in=[item.pk for item in values[name]]))
        audit_record(
            actor=actor,
            verb="alert_route.create" if route_id is None else "alert_route.update",
            target=route,
            data={"name": route.name, "slack": bool(route.slack_webhook), "teams": bool(route.teams_webhook)},
        )
    return route


def alert_route_delete(*, actor: User, route_id: int) -> None:
    """Remove a route; alerts already dispatched along it keep their snapshot, but its chat channels go."""
    role_require(actor, ROUTE_EDITORS, _("Only directors and admins can edit alert routes."))
    with transaction.atomic():
        route = AlertRoute.objects.select_for_update(no_key=True).filter(pk=route_id).first()
        if route is None:
            return
        audit_record(actor=actor, verb="alert_route.delete", target=route, data={"name": route.name})
        route.delete()
