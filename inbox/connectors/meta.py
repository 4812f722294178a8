"""Facebook Pages and Instagram through Meta's webhooks and Graph API.

With `page_id` (Facebook) or `ig_user_id` (Instagram) in the channel's config the channel is also
polled: the comments on the account's recent posts go through the same idempotent pipeline, so a
missed webhook costs one poll interval (`capabilities.fetch` is then true for that channel).

Meta pushes: page `feed` changes (comments and visitor posts) and Instagram `comments` and
`mentions`. Only `verb: add` becomes a mention. Edits are not new mentions and removals upstream
are ignored on purpose: the mention we already hold is evidence and is never deleted here (it can
only be hidden). Instagram `mentions` notifications carry only ids; with an access token the
comment is looked up in the Graph API, otherwise the item goes to the dead letters with that reason.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from django.utils import timezone

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
    RateLimited,
    RejectedItem,
    parse_time,
    require_id,
    require_text,
)
from inbox.connectors.normalise import as_object, unknown_author

GRAPH_URL = "https://graph.facebook.com/v21.0"
POST_ITEMS = frozenset({"post", "status", "photo", "video"})


def meta_platform(payload: Any) -> str:
    """Which of our channel kinds a saved Meta payload belongs to: "instagram" or "facebook"."""
    sample = payload[0] if isinstance(payload, list) and payload else payload
    if isinstance(sample, dict):
        if sample.get("object") == "instagram":
            return "instagram"
        rows = sample.get("data")
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            if "timestamp" in rows[0] or "username" in rows[0]:
                return "instagram"
    return "facebook"


class GraphApiLimits(Connector):
    """Meta's throttling, the same for every Meta graph (Facebook, Instagram, Threads): error codes in a
    400/403 body instead of 429, and the quota used so far in the usage headers."""

    default_wait = timedelta(minutes=15)  # Meta's platform limits roll over an hour; a throttle is not brief

    def raise_for_status(self, response: httpx.Response) -> None:
        """Meta throttles with error codes (4, 17, 32, 613...) in a 400/403 body, not with 429."""
        if response.status_code >= 400:
            try:
                code = ratelimits.meta_error_code(response.json())
            except ValueError:
                code = None
            if code in ratelimits.META_THROTTLE_CODES:
                raise RateLimited(
                    f"Rate limited by {response.request.url.host} (Graph API error code {code})",
                    retry_at=self.retry_at(response),
                )
        super().raise_for_status(response)

    def rate_limit_reset(self, response: httpx.Response) -> datetime | None:
        _, minutes = ratelimits.meta_usage(response.headers)
        return timezone.now() + timedelta(minutes=minutes) if minutes else None

    def rate_limit_exhausted(self, response: httpx.Response) -> bool:
        used, _ = ratelimits.meta_usage(response.headers)
        return used >= ratelimits.META_USAGE_LIMIT


class MetaConnector(GraphApiLimits):
    capabilities = Capabilities(fetch=False, webhook=True, reply=True, hide=True, private_reply=True, max_length=8000)
    poll_config_key = "page_id"
    poll_edge = "posts"
    poll_fields = (
        "id,permalink_url,comments.filter(stream).order(reverse_chronological).limit(50)"
        "{id,message,created_time,from,parent{id},permalink_url}"
    )
    recent_posts = 10

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = self.base_url or GRAPH_URL
        if self.config.get(self.poll_config_key):
            self.capabilities = replace(type(self).capabilities, fetch=True)

    @classmethod
    def own_account(cls, config: dict[str, Any]) -> OwnAccount:
        """The page (or Instagram account) itself: its own replies come back as comments and webhooks."""
        own = super().own_account(config)
        page = str(config.get(cls.poll_config_key) or "")
        return OwnAccount(ids=own.ids | ({page} if page else set()), handles=own.handles)

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        """The comments on the account's most recent posts, so a missed webhook costs one poll interval.

        Every poll reads the `recent_posts` newest posts with their newest comments; what the
        webhooks already delivered is dropped by the pipeline's (channel, external id) uniqueness.
        """
        owner = self.config.get(self.poll_config_key)
        if not owner:
            raise ConnectorError(
                f"The {self.kind} channel receives webhooks; set '{self.poll_config_key}' in its config to also "
                "poll the comments on its recent posts."
            )
        response = self.get_json(
            f"/{owner}/{self.poll_edge}",
            params={"fields": self.poll_fields, "limit": self.recent_posts, "access_token": self._token()},
        )
        body = self.decode_json(response)
        posts = body.get("data") if isinstance(body, dict) else None
        if not isinstance(posts, list):
            raise ConnectorError(f"Unexpected Graph API response: {str(body)[:200]}")
        result = FetchResult(next_cursor=dict(cursor))
        for post in posts:
            post = as_object(post)
            rows = as_object(post.get("comments")).get("data")
            for row in rows if isinstance(rows, list) else []:
                post_id = str(post.get("id") or "")
                result.collect(row, self.normalise_graph_comment, row, post_id=post_id)
        return result

    def _token(self) -> str:
        token = self.credentials.get("access_token") or self.credentials.get("page_access_token")
        if not token:
            raise ConnectorError(f"The {self.kind} channel has no access token in its credentials.")
        return token

    def parse_payload(self, payload: Any) -> FetchResult:
        """Accept a webhook body (`object` + `entry`), a Graph API list (`data` + `paging`), or a list."""
        bodies = payload if isinstance(payload, list) else [payload]
        result = FetchResult()
        for body in bodies:
            if not isinstance(body, dict):
                raise ConnectorError("A Meta payload must be a webhook body or a Graph API response.")
            if "entry" in body:
                self._parse_webhook(body, result)
            elif isinstance(body.get("data"), list):
                for row in body["data"]:
                    result.collect(row, self.normalise_graph_comment, row)
            else:
                raise ConnectorError("A Meta payload must be a webhook body or a Graph API response.")
        return result

    def _parse_webhook(self, body: dict[str, Any], result: FetchResult) -> None:
        entries = body.get("entry")
        if not isinstance(entries, list):
            raise ConnectorError("The webhook body's 'entry' is not a list.")
        for entry in entries:
            if not isinstance(entry, dict):
                result.rejected.append(RejectedItem(reason="webhook entry is not an object", payload=entry))
                continue
            changes = entry.get("changes")
            for change in changes if isinstance(changes, list) else []:
                result.collect(change, self.normalise_change, change, entry)

    def normalise_change(self, change: Any, entry: dict[str, Any]) -> NormalizedMention | None:
        if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
            raise ItemInvalid("webhook change has no 'value' object")
        field, value = change.get("field"), change["value"]
        if field == "feed":
            return self.normalise_feed_change(value, entry)
        if field == "comments":
            return self.normalise_instagram_comment(value, entry)
        if field == "mentions":
            return self.normalise_instagram_mention(value, entry)
        return None

    def normalise_feed_change(self, value: dict[str, Any], entry: dict[str, Any]) -> NormalizedMention | None:
        item = value.get("item")
        if value.get("verb") != "add" or (item != "comment" and item not in POST_ITEMS):
            return None
        post_id = str(value.get("post_id") or "")
        if item == "comment":
            external_id = require_id(value.get("comment_id"), field_name="comment_id")
            parent_id = str(value.get("parent_id") or "")
            in_reply_to = parent_id or post_id
        else:
            external_id = require_id(post_id, field_name="post_id")
            in_reply_to = ""
        sender = as_object(value.get("from"))
        sender_id = str(sender.get("id") or value.get("sender_id") or "")
        sender_name = str(sender.get("name") or value.get("sender_name") or "")
        text = value.get("message") or value.get("photo") or value.get("link")
        return NormalizedMention(
            external_id=external_id,
            text=require_text(text, field_name="message"),
            posted_at=parse_time(value.get("created_time") or entry.get("time")),
            author=NormalizedAuthor(external_id=sender_id, display_name=sender_name, handle=sender_name)
            if sender_id
            else unknown_author(f"facebook:{external_id}"),
            conversation_id=post_id or external_id,
            in_reply_to_external_id=in_reply_to,
            url=_facebook_url(post_id=post_id, comment_id=external_id if item == "comment" else ""),
            raw=value,
        )

    def normalise_instagram_comment(self, value: dict[str, Any], entry: dict[str, Any]) -> NormalizedMention:
        comment_id = require_id(value.get("id"), field_name="id")
        sender = as_object(value.get("from"))
        media = as_object(value.get("media"))
        media_id = str(media.get("id") or value.get("media_id") or "")
        return NormalizedMention(
            external_id=comment_id,
            text=require_text(value.get("text"), field_name="text"),
            posted_at=parse_time(value.get("timestamp") or entry.get("time"), field_name="time"),
            author=NormalizedAuthor(external_id=str(sender["id"]), handle=str(sender.get("username") or ""))
            if sender.get("id")
            else unknown_author(f"instagram:{comment_id}"),
            conversation_id=media_id or comment_id,
            in_reply_to_external_id=str(value.get("parent_id") or media_id),
            raw=value,
        )

    def normalise_instagram_mention(self, value: dict[str, Any], entry: dict[str, Any]) -> NormalizedMention:
        comment_id = require_id(value.get("comment_id"), field_name="comment_id")
        if not self.credentials.get("access_token") or not self.config.get("ig_user_id"):
            raise ItemInvalid(
                "instagram mention carries only ids: the comment's text needs a Graph API lookup "
                "(set access_token and ig_user_id on the channel)"
            )
        response = self.get_json(
            f"/{self.config['ig_user_id']}",
            params={
                "fields": f"mentioned_comment.comment_id({comment_id}){{id,text,timestamp,username,media}}",
                "access_token": self._token(),
            },
        )
        body = self.decode_json(response)
        comment = body.get("mentioned_comment") if isinstance(body, dict) else None
        if not isinstance(comment, dict):
            raise ItemInvalid(f"the Graph API did not return the mentioned comment {comment_id}")
        media_id = str(value.get("media_id") or "")
        handle = str(comment.get("username") or "")
        return NormalizedMention(
            external_id=comment_id,
            text=require_text(comment.get("text"), field_name="text"),
            posted_at=parse_time(comment.get("timestamp") or entry.get("time"), field_name="timestamp"),
            author=NormalizedAuthor(external_id=f"username:{handle}", handle=handle)
            if handle
            else unknown_author(f"instagram:{comment_id}"),
            conversation_id=media_id or comment_id,
            in_reply_to_external_id=media_id,
            raw={"notification": value, "comment": comment},
        )

    def normalise_graph_comment(self, row: Any, *, post_id: str = "") -> NormalizedMention:
        """A row of GET /{object-id}/comments (Facebook `message` or Instagram `text`).

        `post_id` names the post (or media) the row was read under, when the caller knows it.
        """
        if not isinstance(row, dict):
            raise ItemInvalid("comment row is not an object")
        permalink = str(row.get("permalink_url") or "")
        linked_post, comment_id, reply_id = _ids_from_permalink(permalink)
        post_id = post_id or linked_post
        external_id = require_id(row.get("id") or reply_id or comment_id, field_name="id")
        sender = as_object(row.get("from"))
        handle = str(row.get("username") or sender.get("username") or sender.get("name") or "")
        if sender.get("id"):
            author = NormalizedAuthor(
                external_id=str(sender["id"]), handle=handle, display_name=str(sender.get("name") or "")
            )
        elif handle:
            author = NormalizedAuthor(external_id=f"username:{handle}", handle=handle)
        else:
            author = unknown_author(f"{self.kind}:{external_id}")
        parent = as_object(row.get("parent"))
        in_reply_to = str(parent.get("id") or row.get("parent_id") or (comment_id if reply_id else "") or post_id)
        return NormalizedMention(
            external_id=external_id,
            text=require_text(row.get("message") or row.get("text"), field_name="message"),
            posted_at=parse_time(row.get("created_time") or row.get("timestamp"), field_name="created_time"),
            author=author,
            conversation_id=post_id or external_id,
            in_reply_to_external_id=in_reply_to,
            url=permalink,
            raw=row,
        )

    def hide(self, *, external_id: str, hidden: bool = True) -> None:
        self.send(
            "POST",
            f"/{external_id}",
            data={self.hide_field: "true" if hidden else "false", "access_token": self._token()},
        )

    hide_field = "is_hidden"
    reply_edge = "comments"

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        response = self.send(
            "POST", f"/{in_reply_to}/{self.reply_edge}", data={"message": text, "access_token": self._token()}
        )
        body = self.decode_json(response)
        if not isinstance(body, dict) or not body.get("id"):
            raise ConnectorError(f"Meta did not return the new comment id: {str(body)[:200]}")
        return str(body["id"])

    def reply_context(self, *, raw: dict[str, Any], author_handle: str) -> dict[str, Any]:
        """Also what the mention is on Facebook (`item`: a comment, or a visitor's post), for private replies."""
        item = str(raw.get("item") or "")
        return super().reply_context(raw=raw, author_handle=author_handle) | ({"item": item} if item else {})

    def publish_private_reply(
        self, *, mention_external_id: str, author_external_id: str, text: str, context: dict[str, Any] | None = None
    ) -> str:
        """Meta's private reply: the Send API on the account (`POST /{page-id}/messages`) with the comment (or
        the visitor's post) as recipient; one per comment, within 7 days, which Meta enforces."""
        account = str(self.config.get("page_id") or self.config.get(self.poll_config_key) or "")
        if not account:
            raise ConnectorError(f"The {self.kind} channel names no '{self.poll_config_key}' to answer privately from.")
        recipient = "post_id" if (context or {}).get("item") in POST_ITEMS else "comment_id"
        response = self.request(
            "POST",
            f"/{account}/messages",
            params={"access_token": self._token()},
            json={"recipient": {recipient: mention_external_id}, "message": {"text": text}},
        )
        body = self.decode_json(response)
        if not isinstance(body, dict) or not body.get("message_id"):
            raise ConnectorError(f"Meta did not return the private message's id: {str(body)[:200]}")
        return str(body["message_id"])


class FacebookConnector(MetaConnector):
    kind = "facebook"
    capabilities = replace(MetaConnector.capabilities, publish=True)

    def publish_post(self, *, text: str) -> str:
        """A post on the page's feed (`POST /{page-id}/feed`, page token); Instagram takes no text-only post."""
        page = str(self.config.get(self.poll_config_key) or "")
        if not page:
            raise ConnectorError("The Facebook channel names no page_id to post on.")
        response = self.send("POST", f"/{page}/feed", data={"message": text, "access_token": self._token()})
        body = self.decode_json(response)
        if not isinstance(body, dict) or not body.get("id"):
            raise ConnectorError(f"Meta did not return the new post id: {str(body)[:200]}")
        return str(body["id"])


class InstagramConnector(MetaConnector):
    kind = "instagram"
    capabilities = Capabilities(fetch=False, webhook=True, reply=True, hide=True, private_reply=True, max_length=2200)
    poll_config_key = "ig_user_id"
    poll_edge = "media"
    poll_fields = "id,permalink,comments.limit(50){id,text,timestamp,username,from,parent_id}"
    hide_field = "hide"
    reply_edge = "replies"


def _ids_from_permalink(permalink: str) -> tuple[str, str, str]:
    """(post id, comment id, reply comment id) from a Facebook comment permalink, empty when absent."""
    if not permalink:
        return "", "", ""
    try:
        parsed = urlparse(permalink)
    except ValueError:  # "Invalid IPv6 URL" and the like: a link we cannot read names no ids
        return "", "", ""
    query = parse_qs(parsed.query)
    parts = [part for part in parsed.path.split("/") if part]
    post_id = f"{parts[0]}_{parts[2]}" if len(parts) >= 3 and parts[1] == "posts" else ""
    comment = query.get("comment_id", [""])[0]
    reply = query.get("reply_comment_id", [""])[0]
    post_number = post_id.split("_")[-1] if post_id else ""
    return (
        post_id,
        f"{post_number}_{comment}" if comment and post_number else comment,
        f"{post_number}_{reply}" if reply and post_number else reply,
    )


def _facebook_url(*, post_id: str, comment_id: str) -> str:
    if not post_id:
        return ""
    url = f"https://www.facebook.com/{post_id}"
    if comment_id:
        url += f"?comment_id={comment_id.split('_')[-1]}"
    return url
