"""The one small interface every channel adapter speaks.

Tasks only ask a connector three things: "fetch what is new since this cursor", "publish this
reply" and, where the network lets a brand post (`Capabilities.publish`), "publish this post".
Rate limits, pagination, backoff and payload normalisation stay inside the adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crisisdesk.outbound import http_client
from crisisdesk.parsers import json_loads_bounded
from inbox.connectors import ratelimits

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class ConnectorError(Exception):
    """The platform could not be read or written; the channel's health shows the message."""


class RateLimited(ConnectorError):
    def __init__(self, message: str, *, retry_at: datetime):
        super().__init__(message)
        self.retry_at = retry_at


class ChannelGone(ConnectorError):
    """HTTP 410: the account, page or feed was removed for good; polling disables the channel."""


class Unauthorized(ConnectorError):
    """HTTP 401: the token was refused (expired or revoked); a connector with a refresh token retries once."""


class ItemInvalid(ValueError):
    """One item of a payload cannot become a mention; it goes to the dead-letter table."""


@dataclass(frozen=True, slots=True)
class NormalizedAuthor:
    external_id: str
    handle: str = ""
    display_name: str = ""
    followers: int = 0
    verified: bool = False
    account_created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NormalizedMention:
    external_id: str
    text: str
    posted_at: datetime
    author: NormalizedAuthor
    conversation_id: str = ""
    in_reply_to_external_id: str = ""
    url: str = ""
    language: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    # Likes, reposts, replies and quotes the network counted when the mention was read (0 where it
    # reports none): with the author's followers, the mention's weight in reach-weighted detection.
    engagement: int = 0


@dataclass(frozen=True, slots=True)
class RejectedItem:
    reason: str
    payload: Any


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a network lets the console do, declared once per connector and read by the composer, the
    cluster reply and the pages (no reply box where a channel cannot reply; the network's length limit)."""

    fetch: bool = True
    webhook: bool = False
    reply: bool = False
    hide: bool = False
    private_reply: bool = False
    max_length: int = 0  # characters a reply or post may have on the network; 0 where there is no reply
    media: bool = False
    # How the network counts `max_length` (inbox/reply_length.py applies it, static/js/composer.js mirrors it):
    # "characters" (code points), "graphemes" (extended grapheme clusters, UAX #29), "x" or "mastodon".
    length_unit: str = "characters"
    max_bytes: int = 0  # a limit on the reply's UTF-8 bytes as well (Bluesky: 3000); 0 where there is none
    publish: bool = False  # the brand's own post (`publish_post`): the publishing calendar and statements


@dataclass(frozen=True, slots=True)
class OwnAccount:
    """The brand's own account on a network: ids and lower-case handles (without "@")."""

    ids: frozenset[str] = frozenset()
    handles: frozenset[str] = frozenset()

    def wrote(self, author: NormalizedAuthor) -> bool:
        return author.external_id in self.ids or (author.handle.lstrip("@").lower() in self.handles)


CredentialsStore = Callable[[Callable[[dict[str, Any]], dict[str, Any]]], dict[str, Any]]
"""Given an update (current credentials -> new ones), apply it under a lock and return what is stored."""


@dataclass(slots=True)
class FetchResult:
    mentions: list[NormalizedMention] = field(default_factory=list)
    rejected: list[RejectedItem] = field(default_factory=list)
    next_cursor: dict[str, Any] = field(default_factory=dict)

    def collect(self, payload: Any, build: Callable[..., NormalizedMention | None], *args: Any, **kwargs: Any) -> None:
        """Keep the mention `build(*args, **kwargs)` makes of one item, or dead-letter the item it cannot
        read: one bad item never fails the batch. A `None` (not a mention, e.g. a like) is skipped."""
        try:
            mention = build(*args, **kwargs)
        except ItemInvalid as error:
            self.rejected.append(RejectedItem(reason=str(error), payload=payload))
        else:
            if mention is not None:
                self.mentions.append(mention)

    @classmethod
    def of(cls, items: list[Any], build: Callable[[Any], NormalizedMention | None]) -> FetchResult:
        """Every item through `collect`: the mentions `build` makes, the items it cannot read dead-lettered."""
        result = cls()
        for item in items:
            result.collect(item, build, item)
        return result

    def newer_than(self, since: datetime | None, *, cursor: dict[str, Any], key: str) -> FetchResult:
        """Keep only what was posted after `since`, and move the cursor's `key` to the newest kept.

        A polled page repeats what the last poll stored when nothing is newer; the cursor then stays.
        """
        self.mentions = [mention for mention in self.mentions if since is None or mention.posted_at > since]
        newest = max([mention.posted_at for mention in self.mentions] + ([since] if since else []), default=None)
        self.next_cursor = {key: newest.isoformat()} if newest else dict(cursor)
        return self


class Connector:
    """Base class: subclasses set `kind` and implement what their platform supports."""

    kind: ClassVar[str] = ""
    capabilities: Capabilities = Capabilities()  # declared per class; an instance may widen it by config
    max_redirects: ClassVar[int] = 5
    default_wait: ClassVar[timedelta] = timedelta(seconds=60)  # a refusal that names no time waits this long
    poll_config_key: ClassVar[str] = ""  # a push-only network polls too when its config names this key

    def __init__(
        self,
        *,
        base_url: str = "",
        config: dict | None = None,
        credentials: dict | None = None,
        http: httpx.Client | None = None,
        credentials_store: CredentialsStore | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.config = config or {}
        self.credentials = credentials or {}
        self._http = http
        self.credentials_store = credentials_store
        self.backoff_until: datetime | None = None

    @property
    def http(self) -> httpx.Client:
        """Built on first use: parsing a pushed delivery needs no client, and a connector is made for each."""
        if self._http is None:
            self._http = http_client()
        return self._http

    @classmethod
    def own_account(cls, config: dict[str, Any]) -> OwnAccount:
        """The brand's own ids and handles on this network, from the channel's config.

        `own_account_ids` and `own_handles` (a list or one value) work for every network; adapters
        add the ids their config already names (the X user id, the Facebook page id...). Mentions
        written by these accounts (the brand's own replies) are never ingested.
        """
        return OwnAccount(
            ids=frozenset(_config_values(config, "own_account_ids")),
            handles=frozenset(value.lstrip("@").lower() for value in _config_values(config, "own_handles")),
        )

    @classmethod
    def authorization_completed(
        cls, *, body: dict[str, Any], client_secret: str, api_url: str, http: httpx.Client
    ) -> dict[str, Any]:
        """What "Connect a channel" keeps of the token endpoint's answer; a network whose code gives a
        short-lived token (Threads) trades it here for the one the channel keeps."""
        return body

    def reply_context(self, *, raw: dict[str, Any], author_handle: str) -> dict[str, Any]:
        """What `publish_reply(context=...)` needs about the original, read from the stored mention's raw.

        Keys (all optional): `author_handle` (the author to address) and `visibility` (Mastodon).
        """
        return {"author_handle": author_handle} if author_handle else {}

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        raise ConnectorError(f"{self.kind} does not poll; it receives webhooks.")

    def parse_payload(self, payload: Any) -> FetchResult:
        """Turn a saved API response or a webhook body into mentions (used by webhooks and import)."""
        raise ConnectorError(f"{self.kind} cannot parse saved payloads.")

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        """Publish `text` as a reply to `in_reply_to`; return the platform's id of the new reply.

        `context` is optional and backwards-compatible: what the adapter may need about the original
        (`reply_context()` builds it from the stored mention): `author_handle`, `visibility`. An
        adapter that needs it and gets none looks the original up itself.
        """
        raise ConnectorError(f"{self.kind} cannot publish replies.")

    def publish_post(self, *, text: str) -> str:
        """Publish `text` as the brand's own post (where `capabilities.publish`); return the platform's id."""
        raise ConnectorError(f"{self.kind} cannot publish posts.")

    def publish_private_reply(
        self, *, mention_external_id: str, author_external_id: str, text: str, context: dict[str, Any] | None = None
    ) -> str:
        """Answer the author of a public mention privately (where `capabilities.private_reply`): Meta's private
        reply to a comment, an X direct message, a Mastodon direct status. Returns the platform's message id.

        `context` is what `reply_context()` read from the stored mention (`author_handle`, `item`...).
        """
        raise ConnectorError(f"{self.kind} cannot answer privately.")

    def hide(self, *, external_id: str, hidden: bool = True) -> None:
        raise ConnectorError(f"{self.kind} cannot hide comments.")

    def get_json(self, path_or_url: str, *, params: Any = None, headers: dict | None = None) -> httpx.Response:
        """GET with the error handling every adapter needs: redirects, 410, 429, 5xx, timeouts."""
        return self.request("GET", path_or_url, params=params, headers=headers)

    def send(
        self, method: str, path_or_url: str, *, json: Any = None, data: Any = None, headers: dict | None = None
    ) -> httpx.Response:
        """POST/DELETE with the same error handling as `get_json`, for replies and moderation."""
        return self.request(method, path_or_url, json=json, data=data, headers=headers)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        headers: dict | None = None,
    ) -> httpx.Response:
        """One call with bounded redirects, whatever client was injected.

        A GET follows up to `max_redirects` redirects (a feed that moved answers 301); a write follows
        only 307/308, which keep the method and body, so a reply is never silently turned into a GET.
        The Authorization header is dropped when a GET's redirect leaves the origin; a write's is
        refused. Every response's rate-limit headers are read (`note_rate_limit`).
        """
        url = path_or_url if path_or_url.startswith("http") else f"{self.base_url}{path_or_url}"
        verb = "reading" if method == "GET" else "writing to"
        for _ in range(self.max_redirects + 1):
            try:
                response = self.http.request(
                    method, url, params=params, json=json, data=data, headers=headers, follow_redirects=False
                )
            except httpx.TimeoutException as error:
                raise ConnectorError(f"Timed out {verb} {url}") from error
            except httpx.HTTPError as error:
                raise ConnectorError(f"Could not reach {url}: {error}") from error
            self.note_rate_limit(response)
            location = response.headers.get("location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                self.raise_for_status(response)
                return response
            if method != "GET" and response.status_code not in (307, 308):
                raise ConnectorError(f"HTTP {response.status_code} from {response.request.url}: a write was redirected")
            target = response.url.join(location)
            if target.scheme not in ("http", "https"):
                raise ConnectorError(f"Redirected to a non-HTTP address from {response.request.url}")
            if (target.scheme, target.host, target.port) != (response.url.scheme, response.url.host, response.url.port):
                if method != "GET":  # a body may carry a token (Meta's access_token): never to another origin
                    raise ConnectorError(f"A write to {response.request.url} was redirected to another origin")
                headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
            url, params = str(target), None
        raise ConnectorError(f"Too many redirects (more than {self.max_redirects}) from {path_or_url}")

    def raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            raise RateLimited(f"Rate limited by {response.request.url.host}", retry_at=self.retry_at(response))
        if response.status_code == 410:
            raise ChannelGone(
                f"HTTP 410 Gone from {response.request.url}: the account or feed no longer exists there. "
                "The channel was disabled; correct its settings and enable it again."
            )
        if response.status_code == 401:
            raise Unauthorized(f"HTTP 401 from {response.request.url}: the credentials were refused.")
        if response.status_code >= 400:
            raise ConnectorError(f"HTTP {response.status_code} from {response.request.url}: {response.text[:200]}")

    def retry_at(self, response: httpx.Response) -> datetime:
        """When to call again after a refusal: Retry-After, else the platform's reset time, else a minute."""
        now = timezone.now()
        moment = ratelimits.retry_after(response.headers.get("retry-after"), now=now) or self.rate_limit_reset(response)
        return ratelimits.clamp(moment or now + self.default_wait, now=now)

    def rate_limit_reset(self, response: httpx.Response) -> datetime | None:
        """The platform's own "window resets at" header; subclasses read their documented one."""
        return None

    def rate_limit_exhausted(self, response: httpx.Response) -> bool:
        """True when a successful response says the quota is (nearly) spent; subclasses decide."""
        return False

    def note_rate_limit(self, response: httpx.Response) -> None:
        """Remember, on the connector, until when the platform asked us to stop (`backoff_until`).

        The page loops stop early when it is set and the poll service schedules the next poll no
        sooner than it, so a quota that runs out mid-poll costs a wait, never a refusal.
        """
        if response.status_code < 400 and self.rate_limit_exhausted(response):
            now = timezone.now()
            until = ratelimits.clamp(self.rate_limit_reset(response) or now + self.default_wait, now=now)
            self.backoff_until = max(self.backoff_until or until, until)

    @staticmethod
    def decode_json(response: httpx.Response) -> Any:
        try:
            return json_loads_bounded(response.content)
        except ValueError as error:
            raise ConnectorError(f"Invalid JSON from {response.request.url}: {error}") from error


def parse_time(value: Any, *, field_name: str = "created_at") -> datetime:
    """Parse an ISO 8601 or Unix timestamp into an aware datetime, or reject the item.

    Whatever a stranger sends (a timestamp of 1e300, NaN, year 10000) ends as ItemInvalid, never as
    an OverflowError that would fail the whole batch.
    """
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if text.isdigit():
                return parse_time(int(text), field_name=field_name)
            parsed: datetime | None
            try:
                parsed = datetime.fromisoformat(text)  # C speed; Django's regex parser is the fallback
            except ValueError:
                parsed = parse_datetime(text.replace("+0000", "+00:00"))
            if parsed is not None:
                return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise ItemInvalid(f"'{field_name}' is not a date: {str(value)[:80]!r}") from error
    raise ItemInvalid(f"'{field_name}' is missing or not a date: {str(value)[:80]!r}")


def require_text(value: Any, *, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ItemInvalid(f"'{field_name}' is missing or empty")
    return value


def require_id(value: Any, *, field_name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**40:
        return str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        raise ItemInvalid(f"'{field_name}' is missing or not an id: {str(value)[:80]!r}")
    return value.strip()


def _config_values(config: dict[str, Any], key: str) -> list[str]:
    value = config.get(key)
    values = value if isinstance(value, list | tuple) else [value]
    return [str(item).strip() for item in values if item not in (None, "") and str(item).strip()]
