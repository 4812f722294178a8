"""A connected channel's tokens after the connection: test them, refresh them before expiry, revoke them.

`channel_verify` calls each network's cheapest authenticated endpoint through the channel's connector
and writes the outcome to the channel's health. `channel_tokens_refresh_due` (a beat task) renews the
tokens that expire within `REFRESH_WITHIN`, under the row lock of `channel_credentials_update`, so
it and a connector refreshing at the same moment never spend a single-use refresh token twice.
`channel_disconnect` revokes at the provider when it has a revocation endpoint, wipes the
credentials and disables the channel.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import httpx
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from crisisdesk.outbound import http_client
from inbox.channel_connect import (
    NETWORK_PROVIDERS,
    ConnectError,
    access_key,
    expires_key,
    provider_for,
    token_request,
)
from inbox.connectors import Connector, ConnectorError, connector_for
from inbox.credentials import channel_credentials_update, credentials_decrypt
from inbox.meta_pages import MetaApp, page_token_health
from inbox.models import Channel

logger = logging.getLogger(__name__)

REFRESH_WITHIN = 600  # seconds: the beat renews tokens that expire sooner than this
# The connected account the test names, kept in the config where the connector reads it (config key: field).
ACCOUNT_CONFIG = {"x": {"user_id": "account_id"}, "threads": {"threads_user_id": "account_id", "username": "handle"}}


@dataclass(frozen=True, slots=True)
class Verified:
    account_id: str
    handle: str


def _bearer(connector: Connector) -> dict[str, str]:
    return {"Authorization": f"Bearer {connector.credentials.get('access_token') or ''}"}


def _verify_call(connector: Connector) -> Verified:
    """One authenticated read per network; what it answers names the connected account."""
    kind = connector.kind
    if kind == "x":
        headers = connector.user_tokens.headers()  # type: ignore[attr-defined]
        data = connector.decode_json(connector.get_json("/2/users/me", headers=headers)).get("data") or {}
        return Verified(str(data.get("id") or ""), str(data.get("username") or ""))
    if kind == "mastodon":
        body = connector.decode_json(
            connector.get_json("/api/v1/accounts/verify_credentials", headers=_bearer(connector))
        )
        return Verified(str(body.get("id") or ""), str(body.get("acct") or ""))
    if kind in ("facebook", "instagram"):
        token = connector.credentials.get("access_token") or connector.credentials.get("page_access_token") or ""
        headers = {"Authorization": f"Bearer {token}"}  # a header, not ?access_token=: URLs reach logs and errors
        body = connector.decode_json(connector.get_json("/me", params={"fields": "id,name"}, headers=headers))
        return Verified(str(body.get("id") or ""), str(body.get("name") or ""))
    if kind == "youtube":
        body = connector.decode_json(connector.api("GET", "/channels", params={"part": "snippet", "mine": "true"}))  # type: ignore[attr-defined]
        item = (body.get("items") or [{}])[0]
        return Verified(str(item.get("id") or ""), str((item.get("snippet") or {}).get("title") or ""))
    if kind == "threads":
        body = connector.decode_json(
            connector.get_json("/me", params={"fields": "id,username"}, headers=connector._headers())  # type: ignore[attr-defined]
        )
        return Verified(str(body.get("id") or ""), str(body.get("username") or body.get("name") or ""))
    if kind == "google_business":
        location = connector.location_path()  # type: ignore[attr-defined]
        connector.api("GET", f"{location}/reviews", params={"pageSize": 1})  # type: ignore[attr-defined]
        return Verified(location.lstrip("/"), location.lstrip("/"))
    if kind == "bluesky":
        body = connector.xrpc("GET", "com.atproto.server.getSession")  # type: ignore[attr-defined]
        return Verified(str(body.get("did") or ""), str(body.get("handle") or ""))
    if kind == "discourse":
        body = connector.decode_json(connector.get_json("/session/current.json", headers=connector._headers()))  # type: ignore[attr-defined]
        user = body.get("current_user") or {}
        return Verified(str(user.get("id") or ""), str(user.get("username") or ""))
    if kind == "appstore":
        app_id = connector.app_id()  # type: ignore[attr-defined]
        body = connector.decode_json(connector.get_json(f"/v1/apps/{app_id}", headers=connector.bearer()))  # type: ignore[attr-defined]
        app = body.get("data") or {}
        return Verified(str(app.get("id") or ""), str((app.get("attributes") or {}).get("name") or ""))
    if kind == "googleplay":
        package = connector.package_name()  # type: ignore[attr-defined]
        connector.api("GET", f"/applications/{package}/reviews", params={"maxResults": 1})  # type: ignore[attr-defined]
        account = connector.credentials.get("service_account") or {}
        return Verified(package, str(account.get("client_email") or package))
    raise ConnectorError(_("This kind of channel has no connection test."))


def channel_verify(*, channel_id: int, http: httpx.Client | None = None) -> Verified:
    """Test the channel's credentials against its network and record the result as its health.

    Success clears the last error; a failure is stored as the last error (with the time) and raised
    as `ConnectError`. An X or Threads channel without its account in its config gets the connected one's.
    """
    channel = Channel.objects.get(pk=channel_id)
    if not channel.credentials_encrypted:
        raise ConnectError(_("This channel is disconnected: connect it again first."))
    now = timezone.now()
    try:
        connector = connector_for(channel, **({"http": http} if http else {}))
        verified = _verify_call(connector)
    except (ConnectorError, ValueError, AttributeError, TypeError) as error:
        Channel.objects.filter(pk=channel_id).update(
            last_error=str(error)[:1000], last_error_at=now, consecutive_failures=channel.consecutive_failures + 1
        )
        raise ConnectError(_("The connection test failed: %(error)s") % {"error": error}) from error
    config = dict(channel.config or {})
    for key, value in ACCOUNT_CONFIG.get(channel.kind, {}).items():
        if getattr(verified, value) and not config.get(key):
            config[key] = getattr(verified, value)
    if channel.kind in ("facebook", "instagram") and "token_health" in config:
        config["token_health"] = _page_token_health(channel, http=http)
    Channel.objects.filter(pk=channel_id).update(
        last_success_at=now, last_error="", last_error_at=None, consecutive_failures=0, config=config
    )
    return verified


def _page_token_health(channel: Channel, *, http: httpx.Client | None) -> dict[str, Any]:
    """A Meta channel's Page token, looked at again by `debug_token` (inbox/meta_pages.py)."""
    credentials = credentials_decrypt(channel.credentials_encrypted)
    app = MetaApp(
        graph_url=channel.base_url.rstrip("/"),
        client_id=str(credentials.get("client_id") or ""),
        client_secret=str(credentials.get("client_secret") or ""),
    )
    return page_token_health(app=app, page_token=str(credentials.get("access_token") or ""), http=http)


def _expiring(kind: str, credentials: dict[str, Any], *, within: float) -> bool:
    expires_at = credentials.get(expires_key(kind))
    if not isinstance(expires_at, int | float) or isinstance(expires_at, bool):
        return False
    return expires_at - time.time() < within


def channel_token_refresh(
    *, channel: Channel, within: float = REFRESH_WITHIN, http: httpx.Client | None = None
) -> bool:
    """Renew one channel's tokens when they expire within `within` seconds; True when it renewed them.

    Runs under the channel row's lock: a renewal another worker already made is seen and kept.
    """
    kind = channel.kind
    refreshed = False

    def update(current: dict[str, Any]) -> dict[str, Any]:
        nonlocal refreshed
        if not current.get("refresh_token") or not _expiring(kind, current, within=within):
            return current
        provider = provider_for(
            kind=kind,
            base_url=channel.base_url,
            client_id=str(current.get("client_id") or ""),
            client_secret=str(current.get("client_secret") or ""),
        )
        if current.get("token_url"):
            provider = replace(provider, token_url=str(current["token_url"]))
        body = token_request(
            provider=provider,
            data={"grant_type": "refresh_token", "refresh_token": str(current["refresh_token"])},
            http=http,
        )
        refreshed = True
        renewed = {
            access_key(kind): body["access_token"],
            "refresh_token": body.get("refresh_token") or current["refresh_token"],
        }
        expires_in = body.get("expires_in")
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0:
            renewed[expires_key(kind)] = int(time.time() + expires_in)
        return current | renewed

    channel_credentials_update(channel_id=channel.pk, update=update)
    return refreshed


def channel_tokens_refresh_due(*, within: float = REFRESH_WITHIN, http: httpx.Client | None = None) -> int:
    """Beat: renew every enabled OAuth channel's tokens that expire within `within` seconds.

    A refusal is written to that channel's health (the administrator reconnects it) and the sweep goes on.
    """
    renewed = 0
    channels = Channel.objects.filter(is_enabled=True, kind__in=list(NETWORK_PROVIDERS)).exclude(
        credentials_encrypted=""
    )
    for channel in channels:
        try:
            if not _expiring(channel.kind, credentials_decrypt(channel.credentials_encrypted), within=within):
                continue
            renewed += channel_token_refresh(channel=channel, within=within, http=http)
        except (ConnectError, ValueError) as error:
            logger.warning("Token refresh failed for channel %s", channel.pk)
            Channel.objects.filter(pk=channel.pk).update(
                last_error=str(_("Token refresh failed: %(error)s") % {"error": error})[:1000],
                last_error_at=timezone.now(),
                consecutive_failures=channel.consecutive_failures + 1,
            )
    return renewed


def _revoke(*, channel: Channel, credentials: dict[str, Any], http: httpx.Client | None) -> str:
    """Ask the provider to revoke the channel's token; returns "revoked", "unsupported" or "failed"."""
    revoke_url = str(credentials.get("revoke_url") or "")
    token = credentials.get("refresh_token") or credentials.get(access_key(channel.kind))
    if not revoke_url or not token:
        return "unsupported"
    data = {
        "token": str(token),
        "token_type_hint": "refresh_token" if credentials.get("refresh_token") else "access_token",
    }
    auth: httpx.BasicAuth | None = None
    if credentials.get("client_secret"):
        auth = httpx.BasicAuth(str(credentials.get("client_id") or ""), str(credentials["client_secret"]))
    else:
        data["client_id"] = str(credentials.get("client_id") or "")
    client = http or http_client()
    try:
        response = client.post(revoke_url, data=data, auth=auth or httpx.USE_CLIENT_DEFAULT)
    except httpx.HTTPError:
        return "failed"
    return "revoked" if response.status_code < 400 else "failed"


def channel_disconnect(*, channel_id: int, actor: User, http: httpx.Client | None = None) -> str:
    """Revoke at the provider (when it can), then wipe the credentials and disable the channel.

    The local wipe happens whatever the provider answered: disconnecting must never leave a token
    behind because the network was down. Audited as `channel.disconnect` with the revocation's outcome.
    """
    channel = Channel.objects.get(pk=channel_id)
    credentials = credentials_decrypt(channel.credentials_encrypted) if channel.credentials_encrypted else {}
    outcome = _revoke(channel=channel, credentials=credentials, http=http) if credentials else "unsupported"
    with transaction.atomic():
        channel = Channel.objects.select_for_update(no_key=True).get(pk=channel_id)
        channel.credentials_encrypted = ""
        channel.is_enabled = False
        channel.save(update_fields=["credentials_encrypted", "is_enabled"])
        audit_record(actor=actor, verb="channel.disconnect", target=channel, data={"revocation": outcome})
    return outcome
