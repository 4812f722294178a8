"""Google Play reviews (Google Play Developer API v3, "Reply to Reviews"): the reviews of one app, replies.

Config `package_name` (e.g. `com.example.app`). Auth, either of:

* a **service account** with the "Reply to reviews" permission in Play Console: credentials
  `{"service_account": <its JSON key>}`. An RS256 assertion signed with its private key (claims `iss`
  = its e-mail, `scope` = androidpublisher, `aud` = its `token_uri`, an hour's `exp`) is exchanged at
  Google's token endpoint (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`) for an access
  token, kept in this process's memory until a minute before it expires (never stored elsewhere);
* an **OAuth 2.0 user** who connected the channel with the androidpublisher scope: `user_access_token`,
  `refresh_token`, `client_id`, `client_secret`, `token_url`, refreshed through `oauth2.UserTokens`
  (before expiry, and once after a 401) and written back to the channel under its row lock.

Fetch: `GET /applications/{package}/reviews?maxResults=100`, newest change first, later pages with
`token=<tokenPagination.nextPageToken>`. Google returns only reviews created or edited in the last
week, with a comment. The cursor keeps the newest `lastModified` stored; a poll stops at the page that
reaches it. A review is one mention; Play names no user id and each user writes one review per app, so
the review id stands for its author. An edited review keeps its id: it is not stored twice.

Reply: `POST /applications/{package}/reviews/{reviewId}:reply` with `{"replyText"}`, which creates or
replaces the one developer reply; "replies of more than approximately 350 characters will be rejected".
Hide: impossible — a developer cannot hide a Play review (only report it in Play Console).

Quota (per app: 200 reads an hour, 2,000 replies a day): 429, and 403 `rateLimitExceeded` /
`quotaExceeded`, become `RateLimited` (`Retry-After`, else `default_wait`).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import jwt
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
    RateLimited,
    Unauthorized,
    require_id,
    require_text,
)
from inbox.connectors.normalise import as_object
from inbox.connectors.oauth2 import UserTokens

PLAY_API = "https://androidpublisher.googleapis.com/androidpublisher/v3"
GOOGLE_OAUTH_ENDPOINT = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/androidpublisher"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PACKAGE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
ASSERTION_LIFETIME = 3600  # seconds: Google's maximum for a service account's assertion
_TOKENS: dict[str, tuple[str, float]] = {}  # sha256 of the account's key -> (access token, expiry), this process only
_TOKENS_LOCK = threading.Lock()


def service_account_check(account: Any) -> dict[str, str]:
    """The fields of a service account's JSON key the connector uses, or ValueError saying what is wrong."""
    if not isinstance(account, dict) or account.get("type") != "service_account":
        raise ValueError(_('not a service account key (its JSON has no "type": "service_account")'))
    email, pem = account.get("client_email"), account.get("private_key")
    if not isinstance(email, str) or "@" not in email or not isinstance(pem, str) or "PRIVATE KEY" not in pem:
        raise ValueError(_("the key has no client_email or private_key"))
    token_uri = str(account.get("token_uri") or GOOGLE_OAUTH_ENDPOINT)
    if not token_uri.startswith(("https://", "http://")):
        raise ValueError(_("the key's token_uri is not a web address"))
    return {
        "type": "service_account",
        "client_email": email,
        "private_key": pem,
        "private_key_id": str(account.get("private_key_id") or ""),
        "token_uri": token_uri,
    }


class GooglePlayConnector(Connector):
    kind = "googleplay"
    capabilities = Capabilities(reply=True, max_length=350)
    default_wait = timedelta(minutes=10)
    max_pages = 5
    page_size = 100

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = self.base_url or PLAY_API
        self.user_tokens = UserTokens(self, token_url=str(self.credentials.get("token_url") or GOOGLE_OAUTH_ENDPOINT))

    # Auth and errors ----------------------------------------------------------------------------

    def authorization(self, *, force_refresh: bool = False) -> dict[str, str]:
        account = self.credentials.get("service_account")
        if account:
            return {"Authorization": f"Bearer {self._service_token(account, force=force_refresh)}"}
        if not (self.credentials.get("user_access_token") or self.user_tokens.can_refresh()):
            raise ConnectorError("The Google Play channel needs a service account key or a Google sign-in.")
        return self.user_tokens.headers(force_refresh=force_refresh)

    def _service_token(self, raw_account: Any, *, force: bool) -> str:
        try:
            account = service_account_check(raw_account)
        except ValueError as error:
            raise ConnectorError(f"The Google Play service account cannot be used: {error}.") from error
        key = hashlib.sha256(f"{account['client_email']}\n{account['private_key']}".encode()).hexdigest()
        with _TOKENS_LOCK:
            token, expires_at = _TOKENS.get(key, ("", 0.0))
        if token and not force and expires_at - 60 > time.time():
            return token
        now = int(time.time())
        claims = {
            "iss": account["client_email"],
            "scope": SCOPE,
            "aud": account["token_uri"],
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        }
        headers = {"kid": account["private_key_id"]} if account["private_key_id"] else None
        try:
            assertion = jwt.encode(claims, account["private_key"], algorithm="RS256", headers=headers)
        except (ValueError, TypeError, jwt.PyJWTError) as error:
            raise ConnectorError("The Google Play service account's private key cannot sign.") from error
        body = as_object(
            self.decode_json(
                self.send("POST", account["token_uri"], data={"grant_type": JWT_BEARER, "assertion": assertion})
            )
        )
        token, expires_in = str(body.get("access_token") or ""), body.get("expires_in")
        if not token:
            raise ConnectorError(f"Google issued no access token for the service account: {str(body)[:200]}")
        lifetime = expires_in if isinstance(expires_in, int) and expires_in > 0 else ASSERTION_LIFETIME
        with _TOKENS_LOCK:
            _TOKENS[key] = (token, now + lifetime)
        return token

    def raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code == 403:
            try:
                reason = ratelimits.google_error_reason(response.json())
            except ValueError:
                reason = ""
            if reason in ratelimits.GOOGLE_QUOTA_REASONS:
                raise RateLimited(f"Google Play quota: {reason}", retry_at=self.retry_at(response))
        super().raise_for_status(response)

    def api(self, method: str, path: str, *, params: Any = None, json: Any = None) -> httpx.Response:
        """One authorised call; a refused token is renewed once and the call repeated."""
        for attempt in (1, 2):
            headers = self.authorization(force_refresh=attempt == 2)
            try:
                if method == "GET":
                    return self.get_json(path, params=params, headers=headers)
                return self.send(method, path, json=json, headers=headers)
            except Unauthorized:
                if attempt == 2:
                    raise
        raise ConnectorError("unreachable")  # pragma: no cover

    # Fetch --------------------------------------------------------------------------------------

    def package_name(self) -> str:
        package = str(self.config.get("package_name") or "").strip()
        if not PACKAGE_NAME.match(package):
            raise ConnectorError(
                "The Google Play channel needs the app's package name (com.example.app) in its config."
            )
        return package

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        since = _optional_time(cursor.get("modified_after"))
        path = f"/applications/{self.package_name()}/reviews"
        params: dict[str, Any] = {"maxResults": self.page_size}
        reviews: list[Any] = []
        for _page_number in range(self.max_pages):
            page = as_object(self.decode_json(self.api("GET", path, params=params)))
            batch = page.get("reviews", [])  # Google leaves the key out when there is no review
            if not isinstance(batch, list):
                raise ConnectorError(f"Unexpected Google Play response: {str(page)[:200]}")
            reviews += batch
            reached = since is not None and any(_reaches(review, since) for review in batch)
            token = as_object(page.get("tokenPagination")).get("nextPageToken")
            if reached or not batch or not token or self.backoff_until:
                break
            params = {**params, "token": token}
        result = self.parse_payload({"reviews": reviews})
        return result.newer_than(since, cursor=cursor, key="modified_after")

    def parse_payload(self, payload: Any) -> FetchResult:
        """Accept a reviews.list response, a list of reviews, or one review."""
        if isinstance(payload, dict) and isinstance(payload.get("reviews"), list):
            items = payload["reviews"]
        elif isinstance(payload, dict) and "reviewId" in payload:
            items = [payload]
        elif isinstance(payload, list):
            items = payload
        else:
            raise ConnectorError("A Google Play payload must be a reviews list or one review.")
        return FetchResult.of(items, self.normalise)

    def normalise(self, review: Any) -> NormalizedMention:
        if not isinstance(review, dict):
            raise ItemInvalid(f"review is not an object: {str(review)[:80]}")
        review_id = require_id(review.get("reviewId"), field_name="reviewId")
        user, developer = _comments(review.get("comments"))
        if not user:
            raise ItemInvalid("the review has no userComment")
        title, tab, body = require_text(user.get("text"), field_name="userComment.text").partition("\t")
        text = f"{title.strip()}\n\n{body.strip()}".strip() if tab else title.strip()  # title and body: one tab
        rating = user.get("starRating")
        return NormalizedMention(
            external_id=review_id,
            text=require_text(text, field_name="userComment.text"),
            posted_at=_timestamp(user.get("lastModified")),
            author=NormalizedAuthor(
                external_id=f"reviewer:{review_id}"[:128], display_name=str(review.get("authorName") or "")
            ),
            conversation_id=review_id,
            language=str(user.get("reviewerLanguage") or "")[:8],
            raw={
                "review": review,
                "rating": rating if isinstance(rating, int) and 1 <= rating <= 5 else None,
                "app_version": str(user.get("appVersionName") or ""),
                "developer_reply": str(developer.get("text") or ""),
            },
        )

    # Publish ------------------------------------------------------------------------------------

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        """Create or replace the one developer reply; Play gives it no id of its own, so "<review id>:reply"."""
        path = f"/applications/{self.package_name()}/reviews/{quote(in_reply_to, safe='')}:reply"
        answer = as_object(self.decode_json(self.api("POST", path, json={"replyText": text})))
        if not as_object(answer.get("result")).get("replyText"):
            raise ConnectorError(f"Google Play did not confirm the reply: {str(answer)[:200]}")
        return f"{in_reply_to}:reply"


def _comments(value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The review's first user comment and the developer's reply (empty when absent)."""
    user: dict[str, Any] = {}
    developer: dict[str, Any] = {}
    for comment in value if isinstance(value, list) else []:
        comment = as_object(comment)
        user = user or as_object(comment.get("userComment"))
        developer = developer or as_object(comment.get("developerComment"))
    return user, developer


def _timestamp(value: Any) -> datetime:
    """A protobuf Timestamp as Google sends it: `{"seconds": "1443676826", "nanos": 713000000}`."""
    stamp = as_object(value)
    seconds, nanos = str(stamp.get("seconds") or ""), stamp.get("nanos")
    if not seconds.isdigit() or len(seconds) > 11:
        raise ItemInvalid(f"'lastModified.seconds' is missing or not a time: {seconds[:40]!r}")
    micro = nanos // 1000 if isinstance(nanos, int) and 0 <= nanos < 10**9 else 0
    return datetime.fromtimestamp(int(seconds), tz=UTC) + timedelta(microseconds=micro)


def _reaches(review: Any, since: datetime) -> bool:
    user, _developer = _comments(as_object(review).get("comments"))
    try:
        return _timestamp(user.get("lastModified")) <= since
    except ItemInvalid:
        return False


def _optional_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
