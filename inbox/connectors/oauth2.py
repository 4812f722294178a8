"""OAuth 2.0 user tokens that refresh themselves (X replies need user context, not the app's bearer).

The channel's encrypted credentials hold:

* `user_access_token` — the user access token (older channels' `access_token`, then `bearer_token`,
  are used when it is absent: X refuses an app-only bearer token for writes with a 403);
* `refresh_token` — X issues one with the `offline.access` scope, and a new one at every refresh;
* `user_token_expires_at` — Unix seconds;
* `client_id` and, for a confidential client, `client_secret` (sent as HTTP Basic auth; a public
  client sends `client_id` in the body instead).

The token is refreshed `REFRESH_MARGIN` before it expires and once after a 401. The refresh runs
through the connector's `credentials_store` (the channel row, locked): a second worker that finds the
token already refreshed by the first uses it instead of spending the (single-use) refresh token again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx

from inbox.connectors.base import ConnectorError

if TYPE_CHECKING:
    from inbox.connectors.base import Connector

REFRESH_MARGIN = 300  # seconds before expiry at which the token is renewed


class UserTokens:
    def __init__(self, connector: Connector, *, token_url: str) -> None:
        self.connector = connector
        self.token_url = token_url

    @property
    def credentials(self) -> dict[str, Any]:
        return self.connector.credentials

    def can_refresh(self) -> bool:
        return bool(self.credentials.get("refresh_token") and self.credentials.get("client_id"))

    def headers(self, *, force_refresh: bool = False) -> dict[str, str]:
        """The Authorization header for a user-context call, refreshing the token first when due."""
        if self.can_refresh() and (force_refresh or _expiring(self.credentials)):
            self.connector.credentials = self._refreshed(force=force_refresh)
        token = _access_token(self.credentials) or str(self.credentials.get("bearer_token") or "")
        if not token:
            raise ConnectorError(
                f"The {self.connector.kind} channel cannot publish: it needs an OAuth 2.0 user access token "
                "(user_access_token, with refresh_token and client_id) in its credentials; "
                "the app's bearer token only reads."
            )
        return {"Authorization": f"Bearer {token}"}

    def _refreshed(self, *, force: bool) -> dict[str, Any]:
        seen = _access_token(self.credentials)

        def update(current: dict[str, Any]) -> dict[str, Any]:
            already_renewed = _access_token(current) != seen and not _expiring(current)
            if already_renewed or (not force and not _expiring(current)):
                return current
            return current | self._token_request(current)

        store = self.connector.credentials_store
        return store(update) if store else update(dict(self.credentials))

    def _token_request(self, current: dict[str, Any]) -> dict[str, Any]:
        """POST grant_type=refresh_token to the token endpoint; the new tokens, ready to store."""
        data = {"grant_type": "refresh_token", "refresh_token": str(current.get("refresh_token") or "")}
        auth: httpx.BasicAuth | None = None
        if current.get("client_secret"):
            auth = httpx.BasicAuth(str(current.get("client_id") or ""), str(current["client_secret"]))
        else:
            data["client_id"] = str(current.get("client_id") or "")
        try:
            response = self.connector.http.post(self.token_url, data=data, auth=auth or httpx.USE_CLIENT_DEFAULT)
        except httpx.HTTPError as error:
            raise ConnectorError(f"Could not reach {self.token_url} to refresh the user token: {error}") from error
        body = _json(response)
        token = body.get("access_token")
        if response.status_code >= 400 or not isinstance(token, str) or not token:
            reason = body.get("error_description") or body.get("error") or response.text[:200]
            raise ConnectorError(
                f"{self.connector.kind} refused to refresh the user token (HTTP {response.status_code}: {reason}); "
                "connect the account again."
            )
        expires_in = body.get("expires_in")
        lifetime = int(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else 7200
        return {
            "user_access_token": token,
            "refresh_token": body.get("refresh_token") or current.get("refresh_token"),
            "user_token_expires_at": int(time.time()) + lifetime,
        }


def _access_token(credentials: dict[str, Any]) -> str:
    return str(credentials.get("user_access_token") or credentials.get("access_token") or "")


def _expiring(credentials: dict[str, Any]) -> bool:
    """True when the stored expiry is within the margin; a token without an expiry is used as it is."""
    expires_at = credentials.get("user_token_expires_at")
    if not isinstance(expires_at, int | float) or isinstance(expires_at, bool):
        return not _access_token(credentials)
    return expires_at - time.time() < REFRESH_MARGIN


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
