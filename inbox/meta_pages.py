"""A Facebook Page (or its Instagram account) connected through Meta's sign-in: the Page token it runs on.

The code exchange at Meta's token endpoint gives a short-lived *user* token (an hour or two). Replies,
hiding and polling need the *Page*'s token, and one derived from a long-lived user token does not
expire. So, when a Meta channel is connected (`inbox.channel_connect.connect_finish`):

1. the user token is exchanged for a long-lived one (about 60 days): `/oauth/access_token` with
   `grant_type=fb_exchange_token`, `client_id`, `client_secret`, `fb_exchange_token` — sent as a POST
   form (the endpoint takes the code exchange the same way), so the app secret is never in a URL;
2. the Page's token is read: `GET /me/accounts?fields=id,name,access_token,instagram_business_account`
   (the Page named by `page_id`, or the only Page the user manages), else `GET /{page-id}?fields=…`;
3. a Facebook Page is subscribed to the app's webhooks: `POST /{page-id}/subscribed_apps` with
   `subscribed_fields=feed` (the comments and visitor posts `inbox/connectors/meta.py` reads);
4. the Page token's health is read with `GET /debug_token` (validity, `expires_at` — 0 is never —
   and `data_access_expires_at`, Meta's 90-day data-access window) and kept in the channel's config.

Only the Page token is stored, encrypted with the channel's other credentials; the user tokens are
not kept. Tokens and the app secret travel in the Authorization header or a POST body, not in URLs
(which reach logs); the one exception is `debug_token`'s `input_token`, a query parameter by design.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.utils.translation import gettext as _

from crisisdesk.outbound import http_client

PAGE_FIELDS = "id,name,access_token,instagram_business_account"
SUBSCRIBED_FIELDS = "feed"


class PageConnectError(Exception):
    """Meta refused a step, or the account manages no (or several) Pages; the message is for the page."""


@dataclass(frozen=True, slots=True)
class PageConnection:
    page_id: str
    page_name: str
    page_token: str
    instagram_id: str = ""
    health: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MetaApp:
    graph_url: str
    client_id: str
    client_secret: str


def page_connect(
    *, app: MetaApp, user_token: str, page_id: str = "", subscribe: bool = True, http: httpx.Client | None = None
) -> PageConnection:
    """Long-lived user token → the Page's token → webhook subscription → its health; raises PageConnectError."""
    client = http or http_client()
    long_lived = _send(
        client,
        f"{app.graph_url}/oauth/access_token",
        data={
            "grant_type": "fb_exchange_token",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "fb_exchange_token": user_token,
        },
    ).get("access_token")
    if not isinstance(long_lived, str) or not long_lived:
        raise PageConnectError(_("Meta did not exchange the sign-in for a long-lived token."))
    page = _page(client, app=app, user_token=long_lived, page_id=page_id)
    token = str(page.get("access_token") or "")
    if not token:
        raise PageConnectError(
            _("Meta gave no Page token: the account needs a role on the Page with those permissions.")
        )
    if subscribe:
        answer = _send(
            client,
            f"{app.graph_url}/{page['id']}/subscribed_apps",
            data={"subscribed_fields": SUBSCRIBED_FIELDS, "access_token": token},
        )
        if answer.get("success") is not True:
            raise PageConnectError(_("Meta did not subscribe the Page to the app's webhooks."))
    return PageConnection(
        page_id=str(page["id"]),
        page_name=str(page.get("name") or ""),
        page_token=token,
        instagram_id=str((page.get("instagram_business_account") or {}).get("id") or ""),
        health=page_token_health(app=app, page_token=token, http=client),
    )


def page_token_health(*, app: MetaApp, page_token: str, http: httpx.Client | None = None) -> dict[str, Any]:
    """What `debug_token` says of the Page token: valid, when it (and its data access) expires, when checked.

    `expires_at` 0 means the token does not expire. A refusal is reported as `valid: False` with the
    reason, never raised: the health is information, the connection does not depend on it.
    """
    client = http or http_client()
    checked = int(time.time())
    try:
        data = _get(
            client,
            f"{app.graph_url}/debug_token",
            params={"input_token": page_token},
            headers={"Authorization": f"Bearer {app.client_id}|{app.client_secret}"},  # the app's own token
        ).get("data")
    except PageConnectError as error:
        return {"valid": False, "error": str(error)[:200], "checked_at": checked}
    data = data if isinstance(data, dict) else {}
    return {
        "valid": data.get("is_valid") is True,
        "expires_at": _seconds(data.get("expires_at")),
        "data_access_expires_at": _seconds(data.get("data_access_expires_at")),
        "subscribed_fields": [SUBSCRIBED_FIELDS],
        "checked_at": checked,
    }


def _page(client: httpx.Client, *, app: MetaApp, user_token: str, page_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {user_token}"}
    rows = _get(client, f"{app.graph_url}/me/accounts", params={"fields": PAGE_FIELDS}, headers=headers).get("data")
    pages = [row for row in rows if isinstance(row, dict) and row.get("id")] if isinstance(rows, list) else []
    if page_id:
        chosen = [page for page in pages if str(page["id"]) == page_id]
        if chosen:
            return chosen[0]
        page = _get(client, f"{app.graph_url}/{page_id}", params={"fields": PAGE_FIELDS}, headers=headers)
        if page.get("id"):
            return page
        raise PageConnectError(_("The account does not manage the Page %(page)s.") % {"page": page_id})
    if len(pages) != 1:
        raise PageConnectError(
            _("The account manages %(count)d Pages: enter the id of the one to connect.") % {"count": len(pages)}
            if pages
            else _("The account manages no Facebook Page.")
        )
    return pages[0]


def _get(
    client: httpx.Client, url: str, *, params: dict[str, str], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    try:
        response = client.get(url, params=params, headers=headers)
    except httpx.HTTPError as error:
        raise PageConnectError(_("Could not reach Meta: %(error)s") % {"error": type(error).__name__}) from error
    return _body(response)


def _send(client: httpx.Client, url: str, *, data: dict[str, str]) -> dict[str, Any]:
    try:
        response = client.post(url, data=data)
    except httpx.HTTPError as error:
        raise PageConnectError(_("Could not reach Meta: %(error)s") % {"error": type(error).__name__}) from error
    return _body(response)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if response.status_code >= 400:
        error = body.get("error")
        error = error if isinstance(error, dict) else {}
        raise PageConnectError(
            _("Meta refused (HTTP %(status)s): %(message)s")
            % {"status": response.status_code, "message": str(error.get("message") or "")[:200]}
        )
    return body


def _seconds(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
