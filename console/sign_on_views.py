"""The two pages of a single sign-on: off to the company's provider, and back with its answer.

mozilla-django-oidc's views do the protocol (state, nonce and PKCE kept in the session, one use each); these
add that they exist only when single sign-on is configured (a 404 otherwise, as before it existed) and that
every refusal is the login page again with the reason and a 4xx, never a bare error page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from console.sign_on import SignOnRefused, SignOnUnavailable
from console.sign_on_provider import sign_on_setting
from crisisdesk.roles import public


def sign_on_refused_page(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    """The login page with why the single sign-on did not sign the person in."""
    response = TemplateResponse(
        request,
        "registration/login.html",
        {"form": AuthenticationForm(request), "sign_on_message": message, "next": ""},
        status=status,
    )
    return response.render()


def _unavailable(request: HttpRequest) -> HttpResponse:
    message = _("Your company's sign-in cannot be reached just now. Try again, or log in with your password.")
    return sign_on_refused_page(request, message, status=503)


def _expired(request: HttpRequest) -> HttpResponse:
    return sign_on_refused_page(request, _("This sign-in has expired or was already used. Start again."), status=400)


class SignOnStartView(OIDCAuthenticationRequestView):
    """Off to the provider: a fresh state, nonce and PKCE verifier in the session, and the safe `next`."""

    get_settings = staticmethod(sign_on_setting)


class SignOnCallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: the library checks the state and exchanges the code; refusals become the login page."""

    get_settings = staticmethod(sign_on_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except SignOnRefused as refusal:
            return sign_on_refused_page(request, refusal.message, status=403)
        except SuspiciousOperation:  # a state this browser never started, or one already used
            return _expired(request)

    def login_failure(self) -> HttpResponse:
        if self.request.GET.get("error"):
            message = _("Your company's sign-in did not sign you in.")
            return sign_on_refused_page(self.request, message, status=403)
        return _expired(self.request)


def _when_configured(view_class: type[View]) -> Callable[[HttpRequest], HttpResponseBase]:
    view = view_class.as_view()

    def configured_view(request: HttpRequest) -> HttpResponseBase:
        if not getattr(settings, "OIDC_ENABLED", False):
            raise Http404
        try:
            return view(request)
        except SignOnUnavailable:
            return _unavailable(request)

    configured_view.__doc__ = view_class.__doc__
    return public(configured_view)


sign_on_start = _when_configured(SignOnStartView)
sign_on_callback = _when_configured(SignOnCallbackView)
