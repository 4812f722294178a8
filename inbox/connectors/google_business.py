"""Google Business Profile reviews (My Business API v4): the reviews of one location, and the owner's reply.

Auth: OAuth 2.0 with the `business.manage` scope through `oauth2.UserTokens` (`user_access_token`,
`refresh_token`, `user_token_expires_at`, `client_id`, `client_secret`, `token_url`): renewed at Google's
token endpoint before it expires and once after a 401, under the channel's lock. Config: `account_id`
and `location_id` (the numbers in `accounts/{a}/locations/{l}`).

- Fetch: `GET /accounts/{a}/locations/{l}/reviews?pageSize=50&orderBy=updateTime desc`, paged through
  `pageToken`; a poll stops at the page that reaches the stored `updated_after` (or after `max_pages`).
  A review edited since is read again; the pipeline stores each review once.
- A review is the mention: its `comment`, or its stars when the reviewer wrote none (a one-star review
  with no text is still a complaint). `starRating` (ONE..FIVE) is kept in the raw payload as
  `star_rating` 1-5; the mention has no sentiment field of its own, so triage reads the text.
- The owner's reply (`reviewReply`) is the brand's own words: never a mention.
- Reply: `PUT /accounts/{a}/locations/{l}/reviews/{r}/reply` with `{"comment": ...}` creates or replaces
  the one reply a review may have; at most 4096 bytes (the composer counts UTF-8 bytes). The answer names
  no id: the reply is known by its resource name, `<review>/reply`.
- Hide: not possible. Google lets an owner only report a review as inappropriate, in the Business
  Profile; `capabilities.hide` is false and the console hides it in Crisis Desk only.
- Rate limits: 429 (RESOURCE_EXHAUSTED) with Retry-After, like every Google API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from inbox.connectors.base import (
    Capabilities,
    Connector,
    ConnectorError,
    FetchResult,
    ItemInvalid,
    NormalizedAuthor,
    NormalizedMention,
    Unauthorized,
    parse_time,
    require_id,
)
from inbox.connectors.normalise import as_object, unknown_author
from inbox.connectors.oauth2 import UserTokens

API_URL = "https://mybusiness.googleapis.com/v4"
GOOGLE_OAUTH_ENDPOINT = "https://oauth2.googleapis.com/token"
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}


class GoogleBusinessConnector(Connector):
    kind = "google_business"
    capabilities = Capabilities(reply=True, hide=False, max_length=4096, length_unit="bytes")
    max_pages = 5
    page_size = 50

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = self.base_url or API_URL
        self.user_tokens = UserTokens(self, token_url=str(self.credentials.get("token_url") or GOOGLE_OAUTH_ENDPOINT))

    def location_path(self) -> str:
        account, location = self.config.get("account_id"), self.config.get("location_id")
        if not account or not location:
            raise ConnectorError(
                "The Google Business Profile channel needs account_id and location_id in its configuration."
            )
        return f"/accounts/{account}/locations/{location}"

    def api(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        """One authorised call; a refused token is renewed once and the call repeated."""
        for force_refresh in (False, True):
            headers = self.user_tokens.headers(force_refresh=force_refresh)
            try:
                return self.decode_json(self.request(method, path, params=params, json=json, headers=headers))
            except Unauthorized:
                if force_refresh or not self.user_tokens.can_refresh():
                    raise
        raise ConnectorError("unreachable")  # pragma: no cover

    # Fetch --------------------------------------------------------------------------------------

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        since = _optional_time(cursor.get("updated_after"))
        params: dict[str, Any] = {"pageSize": self.page_size, "orderBy": "updateTime desc"}
        reviews: list[Any] = []
        for _ in range(self.max_pages):
            page = as_object(self.api("GET", f"{self.location_path()}/reviews", params=params))
            items = page.get("reviews", [])
            if not isinstance(items, list):
                raise ConnectorError(f"Unexpected Google Business Profile response: {str(page)[:200]}")
            fresh = [item for item in items if _is_after(item, since)]
            reviews += fresh
            if len(fresh) < len(items) or not page.get("nextPageToken") or self.backoff_until:
                break
            params["pageToken"] = page["nextPageToken"]
        result = self.parse_payload({"reviews": reviews})
        times = [moment for moment in map(_updated, reviews) if moment is not None] + ([since] if since else [])
        result.next_cursor = {"updated_after": max(times).isoformat()} if times else dict(cursor)
        return result

    def parse_payload(self, payload: Any) -> FetchResult:
        """Accept a reviews list response (`reviews`), a list of reviews, or one review."""
        if isinstance(payload, dict) and isinstance(payload.get("reviews"), list):
            items = payload["reviews"]
        elif isinstance(payload, dict) and "reviewId" in payload:
            items = [payload]
        elif isinstance(payload, list):
            items = payload
        else:
            raise ConnectorError("A Google Business Profile payload must be a reviews list or a review.")
        return FetchResult.of(items, self.normalise)

    def normalise(self, review: Any) -> NormalizedMention:
        if not isinstance(review, dict):
            raise ItemInvalid(f"review is not an object: {str(review)[:80]}")
        review_id = require_id(review.get("reviewId"), field_name="reviewId")
        stars = STARS.get(str(review.get("starRating") or ""), 0)
        text = str(review.get("comment") or "").strip() or ("★" * stars + "☆" * (5 - stars) if stars else "")
        if not text:
            raise ItemInvalid("'comment' is empty and 'starRating' is not a rating")
        reviewer = as_object(review.get("reviewer"))
        name = str(reviewer.get("displayName") or "")
        anonymous = reviewer.get("isAnonymous") is True or not name
        return NormalizedMention(
            external_id=review_id,
            text=text,
            posted_at=parse_time(review.get("createTime") or review.get("updateTime"), field_name="createTime"),
            author=unknown_author(f"google_business:{review_id}")
            if anonymous
            else NormalizedAuthor(external_id=f"reviewer:{name}"[:128], display_name=name),
            conversation_id=review_id,
            raw={"review": review, "star_rating": stars},
        )

    # Reply --------------------------------------------------------------------------------------

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        review = f"{self.location_path()}/reviews/{in_reply_to}"
        answer = as_object(self.api("PUT", f"{review}/reply", json={"comment": text}))
        if "comment" not in answer:
            raise ConnectorError(f"Google did not return the review's reply: {str(answer)[:200]}")
        return f"{in_reply_to}/reply"  # Google names the reply by its review; it has no id of its own


def _is_after(review: Any, since: datetime | None) -> bool:
    """A review without a readable date is kept: it becomes a dead letter, not a silent gap."""
    updated = _updated(review)
    return since is None or updated is None or updated > since


def _updated(review: Any) -> datetime | None:
    return _optional_time(as_object(review).get("updateTime") or as_object(review).get("createTime"))


def _optional_time(value: Any) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except ItemInvalid:
        return None
