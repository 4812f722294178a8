"""App Store reviews through the App Store Connect API: the customer reviews of one app, and answers to them.

Auth: an API key from App Store Connect (Users and Access → Integrations): credentials `{"issuer_id",
"key_id", "private_key"}`, the last the text of the downloaded `.p8` file (a P-256 private key), kept
encrypted like every channel credential. Every call carries a JWT signed with it (ES256, header `kid` =
key id; claims `iss` = issuer id, `aud` = "appstoreconnect-v1", `iat`, `exp`): Apple refuses a token
that lives more than 20 minutes, so one lives `TOKEN_LIFETIME` and is signed again when it runs out.

Fetch: `GET /v1/apps/{app id}/customerReviews?sort=-createdDate&limit=200` (config `app_id`, the
app's numeric Apple ID), newest first; later pages through `links.next`, whose path and query are
requested on our own base URL (the token never follows a link elsewhere). The cursor keeps the newest
`createdDate` stored; a poll stops at the page that reaches it (or after `max_pages`). A review is
one mention: title and body, the reviewer's nickname (unique on the App Store) as the author, the
rating and territory in its raw payload.

Reply: `POST /v1/customerReviewResponses` with a JSON:API document naming the review; Apple keeps one
response per review and a new one replaces it. App Store Connect's response editor takes 5,970
characters. Hide: impossible — a developer cannot hide or remove a customer review.

Rate limits: `X-Rate-Limit: user-hour-lim:3500;user-hour-rem:…;` (a rolling hour per key); at 0 the
channel waits before its next poll; 429 (`RATE_LIMIT_EXCEEDED`) becomes `RateLimited` until `Retry-After`.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils.translation import gettext as _

from inbox.connectors import ratelimits
from inbox.connectors.base import (
    Capabilities,
    Connector,
    ConnectorError,
    FetchResult,
    ItemInvalid,
    NormalizedAuthor,
    NormalizedMention,
    parse_time,
    require_id,
)
from inbox.connectors.normalise import as_object, unknown_author

APPLE_API = "https://api.appstoreconnect.apple.com"
AUDIENCE = "appstoreconnect-v1"
TOKEN_LIFETIME = timedelta(minutes=19)  # Apple's ceiling is 20 minutes; a minute's margin for clock skew
APP_ID = re.compile(r"^\d{1,20}$")
REVIEW_TYPE = "customerReviews"
RESPONSE_TYPE = "customerReviewResponses"


def private_key_load(pem: str) -> ec.EllipticCurvePrivateKey:
    """The `.p8` file's P-256 key, or ValueError with a reason for the administrator."""
    try:
        key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError) as error:
        raise ValueError(_("not a PEM private key (the .p8 file App Store Connect offers once)")) from error
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError(_("not an App Store Connect key: it must be an elliptic-curve P-256 key"))
    return key


class AppStoreConnector(Connector):
    kind = "appstore"
    capabilities = Capabilities(reply=True, max_length=5970)
    default_wait = timedelta(minutes=5)
    max_pages = 5
    page_size = 200

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = self.base_url or APPLE_API
        self._token: tuple[str, float] = ("", 0.0)

    # Auth ---------------------------------------------------------------------------------------

    def bearer(self) -> dict[str, str]:
        """The Authorization header: a JWT signed with the channel's key, reused until a minute before it ends."""
        token, expires_at = self._token
        now = time.time()
        if not token or expires_at - 60 <= now:
            token, expires_at = self._sign(int(now))
            self._token = (token, expires_at)
        return {"Authorization": f"Bearer {token}"}

    def _sign(self, now: int) -> tuple[str, float]:
        issuer, key_id = self.credentials.get("issuer_id"), self.credentials.get("key_id")
        pem = self.credentials.get("private_key")
        if not issuer or not key_id or not pem:
            raise ConnectorError("The App Store channel needs an issuer id, a key id and the .p8 private key.")
        try:
            key = private_key_load(str(pem))
        except ValueError as error:
            raise ConnectorError(f"The App Store Connect private key cannot be used: {error}.") from error
        expires_at = now + int(TOKEN_LIFETIME.total_seconds())
        claims = {"iss": str(issuer), "iat": now, "exp": expires_at, "aud": AUDIENCE}
        token = jwt.encode(claims, key, algorithm="ES256", headers={"kid": str(key_id), "typ": "JWT"})
        return token, float(expires_at)

    def rate_limit_exhausted(self, response: httpx.Response) -> bool:
        left = ratelimits.apple_remaining(response.headers.get("x-rate-limit"))
        return left is not None and left <= 0

    # Fetch --------------------------------------------------------------------------------------

    def app_id(self) -> str:
        app_id = str(self.config.get("app_id") or "").strip()
        if not APP_ID.match(app_id):
            raise ConnectorError("The App Store channel needs the app's Apple ID (a number) as app_id in its config.")
        return app_id

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        since = _optional_time(cursor.get("created_after"))
        path = f"/v1/apps/{self.app_id()}/customerReviews"
        params: dict[str, Any] | None = {"sort": "-createdDate", "limit": self.page_size}
        items: list[Any] = []
        for _page_number in range(self.max_pages):
            page = as_object(self.decode_json(self.get_json(path, params=params, headers=self.bearer())))
            data = page.get("data")
            if not isinstance(data, list):
                raise ConnectorError(f"Unexpected App Store Connect response: {str(page)[:200]}")
            items += data
            reached = since is not None and any(_reaches(item, since) for item in data)
            following = _next_path(as_object(page.get("links")).get("next"))
            if reached or not data or not following or self.backoff_until:
                break
            path, params = following, None
        result = self.parse_payload({"data": items})
        return result.newer_than(since, cursor=cursor, key="created_after")

    def parse_payload(self, payload: Any) -> FetchResult:
        """Accept a customerReviews list (`data` + `links`), a list of reviews, or one review resource."""
        if isinstance(payload, dict) and isinstance(payload.get("data"), list):
            items = payload["data"]
        elif isinstance(payload, dict) and isinstance(payload.get("data"), dict):
            items = [payload["data"]]
        elif isinstance(payload, dict) and payload.get("type") == REVIEW_TYPE:
            items = [payload]
        elif isinstance(payload, list):
            items = payload
        else:
            raise ConnectorError("An App Store Connect payload must be a customerReviews list or one review.")
        return FetchResult.of(items, self.normalise)

    def normalise(self, item: Any) -> NormalizedMention:
        if not isinstance(item, dict):
            raise ItemInvalid(f"review is not an object: {str(item)[:80]}")
        if item.get("type") != REVIEW_TYPE:
            raise ItemInvalid(f"'type' is not {REVIEW_TYPE}: {str(item.get('type'))[:40]!r}")
        review_id = require_id(item.get("id"), field_name="id")
        attributes = as_object(item.get("attributes"))
        title, body = str(attributes.get("title") or "").strip(), str(attributes.get("body") or "").strip()
        text = "\n\n".join(part for part in (title, body) if part)
        if not text:
            raise ItemInvalid("'attributes.title' and 'attributes.body' are missing or empty")
        nickname = str(attributes.get("reviewerNickname") or "").strip()
        rating = attributes.get("rating")
        return NormalizedMention(
            external_id=review_id,
            text=text,
            posted_at=parse_time(attributes.get("createdDate"), field_name="createdDate"),
            author=NormalizedAuthor(external_id=f"nickname:{nickname}"[:128], handle=nickname, display_name=nickname)
            if nickname
            else unknown_author(f"appstore:{review_id}"),
            conversation_id=review_id,
            raw={
                "review": item,
                "rating": rating if isinstance(rating, int) and 1 <= rating <= 5 else None,
                "territory": str(attributes.get("territory") or ""),
            },
        )

    # Publish ------------------------------------------------------------------------------------

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        """Create (or replace: one per review) the developer response; returns the response's id."""
        document = {
            "data": {
                "type": RESPONSE_TYPE,
                "attributes": {"responseBody": text},
                "relationships": {"review": {"data": {"type": REVIEW_TYPE, "id": in_reply_to}}},
            }
        }
        created = as_object(
            self.decode_json(self.send("POST", "/v1/customerReviewResponses", json=document, headers=self.bearer()))
        )
        response_id = as_object(created.get("data")).get("id")
        if not response_id:
            raise ConnectorError(f"App Store Connect did not return the response's id: {str(created)[:200]}")
        return str(response_id)


def _next_path(link: Any) -> str:
    """The path and query of a `links.next`, requested on our own base URL (never another host)."""
    if not isinstance(link, str) or not link:
        return ""
    parts = urlsplit(link)
    if not parts.path.startswith("/v1/"):
        return ""
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _reaches(item: Any, since: datetime) -> bool:
    """True when the review is no newer than the cursor (a review without a date never ends the walk)."""
    created = _optional_time(as_object(as_object(item).get("attributes")).get("createdDate"))
    return created is not None and created <= since


def _optional_time(value: Any) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except ItemInvalid:
        return None
