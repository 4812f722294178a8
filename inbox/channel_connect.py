"""Connecting a channel: the OAuth 2.0 authorization-code flow with PKCE, and the form-only networks.

The flow, as the big social-media consoles run it:

1. `connect_start` makes a PKCE pair (an S256 challenge of a random verifier) and a random `state`,
   keeps both in the administrator's session (bound to it, single use, `STATE_MAX_AGE` seconds) with
   the channel's name and brand, and returns the provider's authorisation URL.
2. The provider sends the browser back to the callback with `code` and `state`; `connect_finish` takes
   the state out of the session (a second use finds nothing), exchanges the code with the verifier at
   the token endpoint, and stores the tokens in the channel's encrypted credentials.

Tokens are never written to the session or a log; a refusal (denied, unknown state, token endpoint
4xx) raises `ConnectError` with a message for the page and writes nothing. Providers' endpoints and
clients come from `settings.OAUTH_PROVIDERS` (crisisdesk/settings_parts.py), so a deployment or a test
can point them elsewhere. Testing, refreshing and disconnecting are in `inbox/channel_tokens.py`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from crisisdesk.outbound import http_client
from inbox.connectors import ConnectorError, connector_class
from inbox.credentials import credentials_decrypt, credentials_encrypt
from inbox.meta_pages import MetaApp, PageConnectError, page_connect
from inbox.models import Channel

PENDING_IN_SESSION = "channel_connect_pending"
STATE_MAX_AGE = 600  # seconds an authorisation may take before its state expires
MAX_PENDING = 5  # authorisations one session may have under way
NETWORK_PROVIDERS = {
    "x": "x",
    "mastodon": "mastodon",
    "facebook": "meta",
    "instagram": "meta",
    "youtube": "google",
    "threads": "threads",
    "google_business": "google_business",
    "googleplay": "googleplay",
}
FORM_KINDS = ("bluesky", "discourse", "appstore")  # and Google Play when a service account key is uploaded
PROVIDER_LABELS = {
    "x": "X",
    "mastodon": "Mastodon",
    "meta": "Meta",
    "google": "Google",
    "google_business": "Google",
    "googleplay": "Google",
    "threads": "Threads",
}
GOOGLE_PROVIDERS = frozenset({"google", "google_business", "googleplay"})
GOOGLE_EXTRA = {"access_type": "offline", "prompt": "consent"}  # Google issues a refresh token only when asked
BODY_CLIENT_AUTH = frozenset({"threads"})  # Threads documents client_id and client_secret as form fields
USER_TOKEN_KINDS = frozenset({"x", "google_business", "googleplay"})  # their connectors read oauth2.UserTokens' keys


class ConnectError(Exception):
    """The connection could not be made; the message is for the administrator and names no secret."""


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    authorize_url: str
    token_url: str
    revoke_url: str
    api_url: str
    scope: str
    client_id: str
    client_secret: str

    @property
    def label(self) -> str:
        return PROVIDER_LABELS.get(self.name, self.name)


def access_key(kind: str) -> str:
    """The credentials key the kind's connector reads its (user) access token from."""
    return "user_access_token" if kind in USER_TOKEN_KINDS else "access_token"


def expires_key(kind: str) -> str:
    return "user_token_expires_at" if kind in USER_TOKEN_KINDS else "token_expires_at"


def provider_for(*, kind: str, base_url: str = "", client_id: str = "", client_secret: str = "") -> Provider:
    """The kind's provider from settings; endpoints starting with "/" are on `base_url` (a Mastodon instance).

    A client id entered for the channel (Mastodon apps are registered per instance) wins over the setting.
    """
    name = NETWORK_PROVIDERS.get(kind)
    if name is None:
        raise ConnectError(_("This network does not connect with OAuth."))
    values = dict(settings.OAUTH_PROVIDERS.get(name) or {})
    root = base_url.rstrip("/")
    for key in ("authorize_url", "token_url", "revoke_url"):
        if values.get(key, "").startswith("/"):
            if not root:
                raise ConnectError(_("Enter the instance's address (for example https://mastodon.social)."))
            values[key] = f"{root}{values[key]}"
    if client_id:
        values["client_id"], values["client_secret"] = client_id, client_secret
    return Provider(
        name=name,
        authorize_url=values.get("authorize_url", ""),
        token_url=values.get("token_url", ""),
        revoke_url=values.get("revoke_url", ""),
        api_url=values.get("api_url", "") or root,
        scope=values.get("scope", ""),
        client_id=values.get("client_id", ""),
        client_secret=values.get("client_secret", ""),
    )


def pkce_pair() -> tuple[str, str]:
    """A code verifier (RFC 7636: 43-128 unreserved characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class ConnectRequest:
    """What the administrator asked for on the page."""

    kind: str
    name: str
    brand: str
    base_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    config: dict[str, Any] = field(default_factory=dict)  # merged into the channel's config (ids, not secrets)


def connect_start(*, session: Any, request: ConnectRequest, redirect_uri: str) -> str:
    """Remember a new authorisation in the session and return the provider's URL to send the browser to.

    The session keeps the state, the PKCE verifier and the channel's name; a client secret typed on the
    page is kept encrypted, as the channel's credentials are.
    """
    provider = provider_for(
        kind=request.kind, base_url=request.base_url, client_id=request.client_id, client_secret=request.client_secret
    )
    if not provider.client_id:
        prefix = settings_prefix(provider.name)
        raise ConnectError(
            _("No OAuth client is configured for %(network)s: set %(prefix)s_CLIENT_ID or enter a client id.")
            % {"network": provider.label, "prefix": prefix}
        )
    state = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair()
    pending = _pending_alive(session)
    for old in sorted(pending, key=lambda key: pending[key]["created"])[: max(0, len(pending) - MAX_PENDING + 1)]:
        del pending[old]
    pending[state] = {
        "kind": request.kind,
        "name": request.name,
        "brand": request.brand,
        "base_url": request.base_url,
        "client_id": request.client_id,
        "client_secret": credentials_encrypt({"client_secret": request.client_secret}) if request.client_secret else "",
        "config": dict(request.config),
        "verifier": verifier,
        "redirect_uri": redirect_uri,
        "created": time.time(),
    }
    session[PENDING_IN_SESSION] = pending
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if provider.name in GOOGLE_PROVIDERS:
        params |= GOOGLE_EXTRA
    separator = "&" if "?" in provider.authorize_url else "?"
    return f"{provider.authorize_url}{separator}{urlencode(params)}"


def settings_prefix(provider_name: str) -> str:
    return provider_name.upper()


def _pending_alive(session: Any) -> dict[str, dict[str, Any]]:
    pending = dict(session.get(PENDING_IN_SESSION) or {})
    now = time.time()
    return {key: value for key, value in pending.items() if now - float(value.get("created", 0)) < STATE_MAX_AGE}


def connect_state_take(*, session: Any, state: str) -> dict[str, Any]:
    """Take the authorisation `state` names out of the session: it is used once, whatever happens next."""
    pending = dict(session.get(PENDING_IN_SESSION) or {})
    entry = pending.pop(state, None) if state else None
    session[PENDING_IN_SESSION] = pending
    if entry is None:
        raise ConnectError(_("This authorisation is unknown or was already used. Start the connection again."))
    if time.time() - float(entry.get("created", 0)) >= STATE_MAX_AGE:
        raise ConnectError(_("This authorisation took too long and expired. Start the connection again."))
    return entry


def connect_finish(*, session: Any, params: dict[str, str], actor: User, http: httpx.Client | None = None) -> Channel:
    """The callback: check the state, exchange the code for tokens, store them on the channel (encrypted)."""
    entry = connect_state_take(session=session, state=params.get("state", ""))
    secret = credentials_decrypt(entry.get("client_secret") or "").get("client_secret", "")
    provider = provider_for(
        kind=entry["kind"],
        base_url=entry.get("base_url", ""),
        client_id=entry.get("client_id", ""),
        client_secret=secret,
    )
    if params.get("error"):
        raise ConnectError(
            _("%(network)s did not authorise the connection (%(reason)s).")
            % {"network": provider.label, "reason": params.get("error_description") or params["error"]}
        )
    if not params.get("code"):
        raise ConnectError(_("%(network)s sent no authorisation code back.") % {"network": provider.label})
    body = token_request(
        provider=provider,
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": entry["redirect_uri"],
            "code_verifier": entry["verifier"],
        },
        http=http,
    )
    try:
        body = connector_class(entry["kind"]).authorization_completed(
            body=body, client_secret=provider.client_secret, api_url=provider.api_url, http=http or _client()
        )
    except ConnectorError as error:
        raise ConnectError(
            _("%(network)s refused the long-lived token: %(reason)s") % {"network": provider.label, "reason": error}
        ) from error
    request = ConnectRequest(
        kind=entry["kind"],
        name=entry["name"],
        brand=entry["brand"],
        base_url=entry.get("base_url", "") or provider.api_url,
        config=dict(entry.get("config") or {}),
    )
    credentials = credentials_from_tokens(kind=entry["kind"], body=body, provider=provider)
    if provider.name == "meta":
        credentials, request = _meta_page(request=request, credentials=credentials, provider=provider, http=http)
    return channel_connect_store(request=request, credentials=credentials, actor=actor)


def _meta_page(
    *, request: ConnectRequest, credentials: dict[str, Any], provider: Provider, http: httpx.Client | None
) -> tuple[dict[str, Any], ConnectRequest]:
    """Meta's sign-in gives a short-lived user token: keep the Page's own (long-lived) token instead.

    The Page is subscribed to the app's webhooks (Facebook), and its id, its Instagram account's id and
    the token's health go into the channel's config (`inbox/meta_pages.py`).
    """
    app = MetaApp(
        graph_url=provider.api_url.rstrip("/"), client_id=provider.client_id, client_secret=provider.client_secret
    )
    try:
        page = page_connect(
            app=app,
            user_token=credentials["access_token"],
            page_id=str(request.config.get("page_id") or ""),
            subscribe=request.kind == "facebook",
            http=http,
        )
    except PageConnectError as error:
        raise ConnectError(_("Meta did not give the Page's token: %(reason)s") % {"reason": error}) from error
    config = {**request.config, "page_id": page.page_id, "page_name": page.page_name, "token_health": page.health}
    if request.kind == "instagram":
        config = {
            **request.config,
            "ig_user_id": page.instagram_id,
            "page_id_linked": page.page_id,
            "token_health": page.health,
        }
        if not page.instagram_id:
            raise ConnectError(
                _("The Page %(page)s has no Instagram business account linked.") % {"page": page.page_name}
            )
    kept = {key: value for key, value in credentials.items() if key not in ("refresh_token", "token_expires_at")}
    kept["access_token"] = page.page_token
    if page.health.get("expires_at"):
        kept["token_expires_at"] = page.health["expires_at"]
    return kept, ConnectRequest(
        kind=request.kind, name=request.name, brand=request.brand, base_url=request.base_url, config=config
    )


def token_request(*, provider: Provider, data: dict[str, str], http: httpx.Client | None = None) -> dict[str, Any]:
    """POST to the token endpoint; a confidential client authenticates with HTTP Basic (Threads: form fields),
    a public one by its id."""
    auth: httpx.BasicAuth | None = None
    if provider.client_secret and provider.name not in BODY_CLIENT_AUTH:
        auth = httpx.BasicAuth(provider.client_id, provider.client_secret)
    elif provider.client_secret:
        data = {**data, "client_id": provider.client_id, "client_secret": provider.client_secret}
    else:
        data = {**data, "client_id": provider.client_id}
    client = http or _client()
    try:
        response = client.post(provider.token_url, data=data, auth=auth or httpx.USE_CLIENT_DEFAULT)
    except httpx.HTTPError as error:
        raise ConnectError(
            _("Could not reach %(network)s's token endpoint: %(error)s") % {"network": provider.label, "error": error}
        ) from error
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if response.status_code >= 400 or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
        raise ConnectError(
            _("%(network)s refused to issue a token (HTTP %(status)s: %(reason)s).")
            % {"network": provider.label, "status": response.status_code, "reason": str(reason)[:200]}
        )
    return body


def _client() -> httpx.Client:
    return http_client()


def credentials_from_tokens(*, kind: str, body: dict[str, Any], provider: Provider) -> dict[str, Any]:
    """The credentials the kind's connector reads, with what a later refresh or revocation needs."""
    credentials: dict[str, Any] = {
        access_key(kind): body["access_token"],
        "client_id": provider.client_id,
        "token_url": provider.token_url,
    }
    if provider.client_secret:
        credentials["client_secret"] = provider.client_secret
    if body.get("refresh_token"):
        credentials["refresh_token"] = body["refresh_token"]
    expires_in = body.get("expires_in")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0:
        credentials[expires_key(kind)] = int(time.time() + expires_in)
    if provider.revoke_url:
        credentials["revoke_url"] = provider.revoke_url
    return credentials


def channel_connect_store(*, request: ConnectRequest, credentials: dict[str, Any], actor: User) -> Channel:
    """Create the channel, or reconnect the one of that kind and name: new credentials, enabled, healthy.

    Audited as `channel.connect`; the audit names the kind, never a credential.
    """
    with transaction.atomic():
        channel = Channel.objects.select_for_update(no_key=True).filter(kind=request.kind, name=request.name).first()
        reconnected = channel is not None
        channel = channel or Channel(kind=request.kind, name=request.name)
        channel.brand = request.brand or "default"
        channel.base_url = request.base_url
        channel.config = {**(channel.config or {}), **request.config}
        channel.credentials_encrypted = credentials_encrypt(credentials)
        channel.is_enabled = True
        channel.consecutive_failures = 0
        channel.last_error = ""
        channel.last_error_at = None
        channel.save()
        audit_record(
            actor=actor,
            verb="channel.connect",
            target=channel,
            data={"kind": request.kind, "reconnected": reconnected},
        )
    return channel
