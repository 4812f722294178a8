"""Administrators' "Connect a channel" page: OAuth networks through the provider, the others by a form.

Every view here is for administrators only. Tokens never reach the page, the session or a log:
`inbox.channel_connect` stores them encrypted on the channel.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlparse

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crisisdesk.models import Role, User
from crisisdesk.roles import roles_required
from inbox.channel_connect import (
    FORM_KINDS,
    NETWORK_PROVIDERS,
    ConnectError,
    ConnectRequest,
    channel_connect_store,
    connect_finish,
    connect_start,
)
from inbox.channel_tokens import channel_disconnect, channel_verify
from inbox.connectors.appstore import APP_ID, private_key_load
from inbox.connectors.googleplay import PACKAGE_NAME, service_account_check
from inbox.models import Channel

NETWORK_CHOICES = [
    ("x", "X"),
    ("mastodon", "Mastodon"),
    ("facebook", gettext_lazy("Facebook (Meta)")),
    ("instagram", gettext_lazy("Instagram (Meta)")),
    ("youtube", gettext_lazy("YouTube (Google)")),
    ("google_business", gettext_lazy("Google Business Profile reviews (Google)")),
    ("threads", gettext_lazy("Threads (Meta)")),
    ("bluesky", gettext_lazy("Bluesky (app password)")),
    ("discourse", gettext_lazy("Discourse (API key)")),
    ("appstore", gettext_lazy("App Store reviews (App Store Connect API key)")),
    ("googleplay", gettext_lazy("Google Play reviews (service account key, or Google sign-in)")),
]
FORM_FIELDS = {
    "bluesky": ("identifier", "app_password"),
    "discourse": ("base_url", "api_key", "api_username"),
    "appstore": ("app_id", "issuer_id", "key_id", "private_key_file"),
    "googleplay": ("package_name",),
}
CONFIG_FIELDS = {  # the form's ids that go into the channel's config
    "appstore": ("app_id",),
    "googleplay": ("package_name",),
    "facebook": ("page_id",),
    "instagram": ("page_id",),
}
MAX_KEY_FILE = 64 * 1024  # bytes: a .p8 key is about 250, a service account's JSON about 2,400


class ConnectForm(forms.Form):
    network = forms.ChoiceField(label=gettext_lazy("Network"), choices=NETWORK_CHOICES)
    name = forms.CharField(label=gettext_lazy("Channel name"), max_length=120)
    brand = forms.CharField(label=gettext_lazy("Brand"), max_length=80, initial="default")
    base_url = forms.URLField(
        label=gettext_lazy("Instance, forum or server address"),
        required=False,
        help_text=gettext_lazy("Mastodon instance, Discourse forum or Bluesky server; empty for the others."),
    )
    client_id = forms.CharField(
        label=gettext_lazy("OAuth client id"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Only when this channel uses its own app (a Mastodon instance's app)."),
    )
    client_secret = forms.CharField(
        label=gettext_lazy("OAuth client secret"), required=False, max_length=200, widget=forms.PasswordInput
    )
    identifier = forms.CharField(label=gettext_lazy("Bluesky handle"), required=False, max_length=200)
    app_password = forms.CharField(
        label=gettext_lazy("Bluesky app password"), required=False, max_length=200, widget=forms.PasswordInput
    )
    api_key = forms.CharField(
        label=gettext_lazy("Discourse API key"), required=False, max_length=200, widget=forms.PasswordInput
    )
    api_username = forms.CharField(label=gettext_lazy("Discourse API username"), required=False, max_length=120)
    page_id = forms.CharField(
        label=gettext_lazy("Facebook Page id"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Only when the signed-in account manages several Pages."),
    )
    app_id = forms.CharField(label=gettext_lazy("App Store app id (Apple ID)"), required=False, max_length=20)
    issuer_id = forms.CharField(label=gettext_lazy("App Store Connect issuer id"), required=False, max_length=64)
    key_id = forms.CharField(label=gettext_lazy("App Store Connect key id"), required=False, max_length=32)
    private_key_file = forms.FileField(
        label=gettext_lazy("App Store Connect private key (.p8)"),
        required=False,
        help_text=gettext_lazy("The key file App Store Connect lets you download once; it is stored encrypted."),
    )
    package_name = forms.CharField(label=gettext_lazy("Google Play package name"), required=False, max_length=150)
    service_account_file = forms.FileField(
        label=gettext_lazy("Google Play service account key (JSON)"),
        required=False,
        help_text=gettext_lazy("Leave empty to sign in with Google instead; the key is stored encrypted."),
    )

    def clean(self):
        data = super().clean()
        network = data.get("network", "")
        for field in FORM_FIELDS.get(network, ()):
            if not data.get(field):
                self.add_error(field, _("Required for this network."))
        if network == "mastodon" and not data.get("base_url"):
            self.add_error("base_url", _("Required for this network."))
        if network == "appstore":
            self._clean_app_store(data)
        if network == "googleplay":
            self._clean_google_play(data)
        return data

    def _clean_app_store(self, data: dict[str, Any]) -> None:
        if data.get("app_id") and not APP_ID.match(data["app_id"].strip()):
            self.add_error("app_id", _("The app's Apple ID is a number (App Store Connect → App Information)."))
        upload = data.get("private_key_file")
        if upload:
            try:
                private_key_load(_read_upload(upload))
            except ValueError as error:
                self.add_error("private_key_file", _("This is not a usable .p8 key: %(reason)s.") % {"reason": error})
            else:
                data["private_key"] = _read_upload(upload)

    def _clean_google_play(self, data: dict[str, Any]) -> None:
        if data.get("package_name") and not PACKAGE_NAME.match(data["package_name"].strip()):
            self.add_error("package_name", _("A package name looks like com.example.app."))
        upload = data.get("service_account_file")
        if upload:
            try:
                data["service_account"] = service_account_check(json.loads(_read_upload(upload)))
            except ValueError as error:  # JSONDecodeError is a ValueError
                self.add_error(
                    "service_account_file", _("This is not a service account key: %(reason)s.") % {"reason": error}
                )


def _read_upload(upload: Any) -> str:
    """An uploaded key file's text; ValueError for a file too big to be a key or not text."""
    if upload.size > MAX_KEY_FILE:
        raise ValueError(_("the file is far bigger than a key"))
    upload.seek(0)
    try:
        return upload.read().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(_("the file is not text")) from error


def _origin(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}" if parsed.scheme in ("http", "https") and parsed.netloc else ""


def _authorize_origins() -> list[str]:
    """The configured providers' sign-in origins: the page's form may send the browser on to them.

    The policy's form-action is 'self', which browsers also apply to the redirects after a form is sent.
    """
    origins = {_origin(provider.get("authorize_url", "")) for provider in settings.OAUTH_PROVIDERS.values()}
    return sorted(origin for origin in origins if origin)


def _token_health(channel: Channel) -> dict[str, Any] | None:
    """A Meta channel's Page token health as the page shows it (inbox/meta_pages.py records it)."""
    health = (channel.config or {}).get("token_health")
    if not isinstance(health, dict):
        return None

    def moment(value: Any) -> datetime | None:
        return datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int) and value > 0 else None

    return {
        "valid": health.get("valid") is True,
        "expires": moment(health.get("expires_at")),
        "data_access": moment(health.get("data_access_expires_at")),
    }


def _page(request: HttpRequest, form: ConnectForm, *, status: int = 200) -> HttpResponse:
    channels = list(Channel.objects.filter(kind__in=[*NETWORK_PROVIDERS, *FORM_KINDS]).order_by("name"))
    for channel in channels:
        channel.token_health = _token_health(channel)  # type: ignore[attr-defined]
    response = render(request, "inbox/connect.html", {"form": form, "channels": channels}, status=status)
    response._csp_update = {"form-action": _authorize_origins()}  # type: ignore[attr-defined]
    return response


def _send_to_provider(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect to the provider; one the policy does not name (a Mastodon instance) gets a link to follow."""
    origin = _origin(url)
    if origin in _authorize_origins():
        return redirect(url)
    return render(request, "inbox/connect_continue.html", {"url": url, "origin": origin})


@roles_required(Role.ADMIN)
def connect_page(request: HttpRequest) -> HttpResponse:
    """The connected channels with their health, and the form that connects another one."""
    if request.method != "POST":
        return _page(request, ConnectForm())
    form = ConnectForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    connect = ConnectRequest(
        kind=data["network"],
        name=data["name"].strip(),
        brand=data["brand"].strip(),
        base_url=data["base_url"] or "",
        client_id=data["client_id"].strip(),
        client_secret=data["client_secret"],
        config=_config_from(data),
    )
    if connect.kind in FORM_KINDS or data.get("service_account"):
        return _connect_by_form(request, connect, data)
    redirect_uri = request.build_absolute_uri(reverse("inbox:connect_callback"))
    try:
        return _send_to_provider(
            request, connect_start(session=request.session, request=connect, redirect_uri=redirect_uri)
        )
    except ConnectError as error:
        messages.error(request, str(error))
        return _page(request, form, status=400)


def _config_from(data: dict[str, Any]) -> dict[str, str]:
    """The ids the form names that the channel's connector reads from its config."""
    keys = CONFIG_FIELDS.get(data["network"], ())
    return {key: data[key].strip() for key in keys if data.get(key)}


def _form_credentials(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    if kind == "appstore":
        return {
            "issuer_id": data["issuer_id"].strip(),
            "key_id": data["key_id"].strip(),
            "private_key": data["private_key"],
        }
    if kind == "googleplay":
        return {"service_account": data["service_account"]}
    return {field: data[field] for field in FORM_FIELDS[kind] if field != "base_url"}


def _connect_by_form(request: HttpRequest, connect: ConnectRequest, data: dict) -> HttpResponse:
    """Bluesky, Discourse, App Store and a Play service account have no OAuth: store what the form gives,
    encrypted, then test it at once."""
    credentials = _form_credentials(connect.kind, data)
    channel = channel_connect_store(request=connect, credentials=credentials, actor=cast(User, request.user))
    _verify_message(request, channel, connected=True)
    return redirect("inbox:connect")


@roles_required(Role.ADMIN)
def connect_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back; success and every refusal end on the connect page."""
    try:
        channel = connect_finish(session=request.session, params=request.GET.dict(), actor=cast(User, request.user))
    except ConnectError as error:
        messages.error(request, str(error))
        return redirect("inbox:connect")
    _verify_message(request, channel, connected=True)
    return redirect("inbox:connect")


def _verify_message(request: HttpRequest, channel: Channel, *, connected: bool = False) -> None:
    prefix = _("Connected: %(name)s.") % {"name": channel.name} + " " if connected else ""
    try:
        verified = channel_verify(channel_id=channel.pk)
    except ConnectError as error:
        (messages.warning if connected else messages.error)(request, prefix + str(error))
        return
    account = verified.handle or verified.account_id
    messages.success(
        request,
        prefix + _("Connection test passed for %(name)s (%(account)s).") % {"name": channel.name, "account": account},
    )


@require_POST
@roles_required(Role.ADMIN)
def channel_test(request: HttpRequest, channel_id: int) -> HttpResponse:
    _verify_message(request, get_object_or_404(Channel, pk=channel_id))
    return redirect("inbox:connect")


@require_POST
@roles_required(Role.ADMIN)
def channel_disconnect_view(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=channel_id)
    outcome = channel_disconnect(channel_id=channel.pk, actor=cast(User, request.user))
    if outcome == "failed":
        messages.warning(
            request,
            _(
                "%(name)s is disconnected here, but the network did not confirm the revocation: "
                "revoke the app's access in the account's settings too."
            )
            % {"name": channel.name},
        )
    else:
        messages.success(request, _("Disconnected: %(name)s.") % {"name": channel.name})
    return redirect("inbox:connect")
