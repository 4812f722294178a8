"""The Content-Security-Policy header: django-csp's policy from settings, plus this host's websocket origin."""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """Adds `ws://host` or `wss://host` to connect-src for the console's socket (/ws/console/).

    'self' covers a same-origin websocket only in CSP Level 3 browsers; naming the origin keeps older ones
    working without allowing any other host. The host is the one Django validated against ALLOWED_HOSTS.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts
        scheme = "wss" if request.is_secure() else "ws"
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", ()), f"{scheme}://{host}"]
        parts.update = update
        return parts
