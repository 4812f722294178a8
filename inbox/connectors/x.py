"""X (Twitter) API v2: the mentions timeline or a recent search, and replies.

Reads use the app's bearer token (`credentials.bearer_token`); replies and posts need user context:
an OAuth 2.0 user access token, refreshed before it expires (`inbox.connectors.oauth2.UserTokens`).

Polling reads newest-first pages (`next_token`) down to the cursor's `since_id`. The cursor's
`since_id` only advances once every page of a run was read; when a run stops at `max_pages`, the
cursor keeps the page token and the newest id seen, and the next poll carries on from there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from inbox.connectors import ratelimits
from inbox.connectors.base import (
    Capabilities,
    Connector,
    ConnectorError,
    FetchResult,
    ItemInvalid,
    NormalizedAuthor,
    NormalizedMention,
    OwnAccount,
    Unauthorized,
    parse_time,
    require_id,
    require_text,
)
from inbox.connectors.normalise import (
    as_int,
    as_object,
    conversation_root,
    engagement_sum,
    snowflake_time,
    unknown_author,
)
from inbox.connectors.oauth2 import UserTokens

X_EPOCH_MS = 1288834974657
TWEET_FIELDS = "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,lang,public_metrics,author_id"
USER_FIELDS = "username,name,public_metrics,verified,verified_type,created_at"
VERIFIED_TYPES = frozenset({"blue", "business", "government"})


class XConnector(Connector):
    kind = "x"
    capabilities = Capabilities(
        reply=True, private_reply=True, max_length=280, media=True, length_unit="x", publish=True
    )
    max_pages = 5
    page_size = 100

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = self.base_url or "https://api.x.com"
        self.user_tokens = UserTokens(self, token_url=f"{self.base_url}/2/oauth2/token")

    def _headers(self) -> dict[str, str]:
        token = self.credentials.get("bearer_token") or self.credentials.get("access_token")
        if not token and self.credentials.get("user_access_token"):
            return self.user_tokens.headers()  # a channel connected with OAuth 2.0 reads with its user token
        if not token:
            raise ConnectorError("The X channel has no bearer token in its credentials.")
        return {"Authorization": f"Bearer {token}"}

    def _endpoint(self) -> tuple[str, dict[str, Any]]:
        if self.config.get("user_id"):
            return f"/2/users/{self.config['user_id']}/mentions", {}
        if self.config.get("query"):
            return "/2/tweets/search/recent", {"query": self.config["query"]}
        raise ConnectorError("The X channel needs 'user_id' (mentions) or 'query' (search) in its config.")

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        path, params = self._endpoint()
        params |= {
            "max_results": self.page_size,
            "expansions": "author_id",
            "tweet.fields": TWEET_FIELDS,
            "user.fields": USER_FIELDS,
        }
        since_id = cursor.get("since_id")
        if since_id:
            params["since_id"] = since_id
        headers = self._headers()
        pages: list[dict[str, Any]] = []
        next_token = cursor.get("next_token")
        newest_id = cursor.get("pending_newest_id")
        for _ in range(self.max_pages):
            page_params = dict(params, pagination_token=next_token) if next_token else params
            body = self.decode_json(self.get_json(path, params=page_params, headers=headers))
            if not isinstance(body, dict):
                raise ConnectorError(f"Unexpected X response: {str(body)[:200]}")
            if "data" not in body and body.get("errors"):
                raise ConnectorError(f"X answered with errors: {body['errors'][0].get('detail', body['errors'][0])}")
            pages.append(body)
            meta = body.get("meta") or {}
            newest_id = newest_id or meta.get("newest_id")
            next_token = meta.get("next_token")
            if not next_token or self.backoff_until:
                break  # a spent quota ends the run like max_pages: the cursor keeps the page token
        result = self.parse_payload(pages)
        if next_token:
            result.next_cursor = {
                k: v
                for k, v in {
                    "since_id": since_id,
                    "next_token": next_token,
                    "pending_newest_id": newest_id,
                }.items()
                if v
            }
        else:
            result.next_cursor = {"since_id": newest_id or since_id} if (newest_id or since_id) else {}
        return result

    def rate_limit_reset(self, response: httpx.Response) -> datetime | None:
        return ratelimits.epoch_time(response.headers.get("x-rate-limit-reset"))

    def rate_limit_exhausted(self, response: httpx.Response) -> bool:
        return ratelimits.remaining(response.headers.get("x-rate-limit-remaining")) == 0

    @classmethod
    def own_account(cls, config: dict[str, Any]) -> OwnAccount:
        """The mentions channel's `user_id` is the brand's own account (plus `own_*` settings)."""
        own = super().own_account(config)
        ids = own.ids | ({str(config["user_id"])} if config.get("user_id") else set())
        return OwnAccount(ids=frozenset(ids), handles=own.handles)

    def parse_payload(self, payload: Any) -> FetchResult:
        """Accept one API response (`data` + `includes`), a list of pages, or a bare tweet."""
        pages = payload if isinstance(payload, list) else [payload]
        if not pages or not all(isinstance(page, dict) for page in pages):
            raise ConnectorError("An X payload must be an API response object or a list of them.")
        users: dict[str, dict[str, Any]] = {}
        tweets: list[Any] = []
        for page in pages:
            includes = page.get("includes")
            included_users = includes.get("users") if isinstance(includes, dict) else None
            for user in included_users if isinstance(included_users, list) else []:
                if isinstance(user, dict) and user.get("id"):
                    users[str(user["id"])] = user
            data = page.get("data", page if "text" in page and "id" in page else [])
            tweets += data if isinstance(data, list) else [data]
        parents = {str(tweet.get("id")): _replied_to(tweet) for tweet in tweets if isinstance(tweet, dict)}
        result = FetchResult()
        for tweet in tweets:
            result.collect(tweet, self.normalise, tweet, users=users, parents=parents)
        return result

    def normalise(self, tweet: Any, *, users: dict[str, dict[str, Any]], parents: dict[str, str]) -> NormalizedMention:
        if not isinstance(tweet, dict):
            raise ItemInvalid(f"tweet is not an object: {str(tweet)[:80]}")
        tweet_id = require_id(tweet.get("id"), field_name="id")
        text = require_text(tweet.get("text"), field_name="text")
        if tweet.get("created_at"):
            posted_at = parse_time(tweet["created_at"])
        else:
            posted_at = snowflake_time(tweet_id, epoch_ms=X_EPOCH_MS)
        author_id = str(tweet.get("author_id") or "")
        user = users.get(author_id)
        if isinstance(user, dict) and user:
            metrics = as_object(user.get("public_metrics"))
            author = NormalizedAuthor(
                external_id=author_id,
                handle=str(user.get("username") or ""),
                display_name=str(user.get("name") or ""),
                followers=as_int(metrics.get("followers_count")),
                verified=bool(user.get("verified")) or user.get("verified_type") in VERIFIED_TYPES,
                account_created_at=_optional_time(user.get("created_at")),
            )
        elif author_id:
            author = NormalizedAuthor(external_id=author_id)
        else:
            author = unknown_author(f"x:{tweet_id}")
        in_reply_to = _replied_to(tweet)
        conversation_id = str(tweet.get("conversation_id") or "") or conversation_root(tweet_id, parents)
        status_path = f"{author.handle}/status" if author.handle else "i/web/status"
        language = str(tweet.get("lang") or "")
        return NormalizedMention(
            external_id=tweet_id,
            text=text,
            posted_at=posted_at,
            author=author,
            conversation_id=conversation_id,
            in_reply_to_external_id=in_reply_to,
            url=f"https://x.com/{status_path}/{tweet_id}",
            language="" if language in ("und", "zxx", "qme") else language[:8],
            raw=tweet,
            engagement=engagement_sum(
                tweet.get("public_metrics"), "like_count", "retweet_count", "reply_count", "quote_count"
            ),
        )

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        """Reply in user context (OAuth 2.0 user token); X needs no author mention for a reply to notify."""
        return self._post_tweet({"text": text, "reply": {"in_reply_to_tweet_id": in_reply_to}})

    def publish_post(self, *, text: str) -> str:
        return self._post_tweet({"text": text})

    def publish_private_reply(
        self, *, mention_external_id: str, author_external_id: str, text: str, context: dict[str, Any] | None = None
    ) -> str:
        """A direct message to the author (`POST /2/dm_conversations/with/:participant_id/messages`, user
        context); returns the new `dm_event_id`. X delivers it only where the author accepts messages."""
        if not author_external_id.isdigit():
            raise ConnectorError("The author's X user id is not known: X cannot address a direct message.")
        path = f"/2/dm_conversations/with/{author_external_id}/messages"
        body = self.decode_json(self._user_post(path, {"text": text}))
        created = body.get("data") if isinstance(body, dict) else None
        if not isinstance(created, dict) or not created.get("dm_event_id"):
            raise ConnectorError(f"X did not return the direct message's id: {str(body)[:200]}")
        return str(created["dm_event_id"])

    def _post_tweet(self, body: dict[str, Any]) -> str:
        return _created_id(self.decode_json(self._user_post("/2/tweets", body)))

    def _user_post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST with the user token; a 401 refreshes the token once and tries again."""
        try:
            return self.send("POST", path, json=body, headers=self.user_tokens.headers())
        except Unauthorized:
            if not self.user_tokens.can_refresh():
                raise
            return self.send("POST", path, json=body, headers=self.user_tokens.headers(force_refresh=True))


def _replied_to(tweet: dict[str, Any]) -> str:
    references = tweet.get("referenced_tweets")
    for reference in references if isinstance(references, list) else []:
        if isinstance(reference, dict) and reference.get("type") == "replied_to" and reference.get("id"):
            return str(reference["id"])
    return ""


def _optional_time(value: Any) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except ItemInvalid:
        return None


def _created_id(body: Any) -> str:
    created = body.get("data") if isinstance(body, dict) else None
    if not isinstance(created, dict) or not created.get("id"):
        raise ConnectorError(f"X did not return the new post's id: {str(body)[:200]}")
    return str(created["id"])
