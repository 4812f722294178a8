"""Pages every role shares: login, the role's start page, the language switch, /healthz and /metrics."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from crisisdesk.clientip import client_ip
from crisisdesk.metrics import metrics_exposition
from crisisdesk.models import Role
from crisisdesk.roles import EVERYONE, SignedInRequest, public, roles_required, start_url_for, user_role
from crisisdesk.selectors import health_report


class LoginView(auth_views.LoginView):
    """Failed and held logins are counted and answered by `crisisdesk.login_policy` (django-axes)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True


login_view = public(LoginView.as_view())
logout_view = public(auth_views.LogoutView.as_view())


@roles_required(*EVERYONE)
def start(request: HttpRequest) -> HttpResponse:
    return redirect(start_url_for(request.user))


@require_POST
@roles_required(*EVERYONE)
def language_set(request: SignedInRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language not in {"es", "en"}:
        return JsonResponse({"language": "Choose 'es' or 'en'."}, status=400)
    request.user.language = language
    request.user.save(update_fields=["language"])
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = start_url_for(request.user)
    return redirect(next_url)


def health_details_allowed(request: HttpRequest) -> bool:
    """The parts of /healthz name the database, the channel layer and error text: only for the monitoring
    token (`Authorization: Bearer <HEALTHZ_TOKEN>`, compared in constant time) or a signed-in administrator."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    if settings.HEALTHZ_TOKEN and scheme.lower() == "bearer" and credential:
        return constant_time_compare(credential.strip(), settings.HEALTHZ_TOKEN)
    return user_role(request.user) == Role.ADMIN


@public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 `{"status": "ok"}` or 503 `{"status": "failing"}` for anyone; the parts only for monitoring."""
    healthy, parts = health_report()
    body = {"status": "ok" if healthy else "failing"}
    if health_details_allowed(request):
        body.update(parts)
    return JsonResponse(body, status=200 if healthy else 503)


def metrics_allowed(request: HttpRequest) -> bool:
    """/metrics is for Prometheus only: `Authorization: Bearer <METRICS_TOKEN>` (constant-time), or a client
    address (as `crisisdesk.clientip` reads it) inside METRICS_ALLOWED_NETWORKS. With neither set, no one."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    if settings.METRICS_TOKEN and scheme.lower() == "bearer" and credential:
        return constant_time_compare(credential.strip(), settings.METRICS_TOKEN)
    if not settings.METRICS_ALLOWED_NETWORKS:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in settings.METRICS_ALLOWED_NETWORKS)


@public
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text exposition (crisisdesk.metrics); 403 for anyone `metrics_allowed` refuses."""
    if not metrics_allowed(request):
        return JsonResponse({"detail": "Metrics are for the monitoring system."}, status=403)
    return HttpResponse(metrics_exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
