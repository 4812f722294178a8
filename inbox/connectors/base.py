"""The one small interface every channel adapter speaks.

Tasks only ask a connector two things: "fetch what is new since this cursor" and "publish this
reply". Rate limits, pagination, backoff and payload normalisation stay inside the adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crisisdesk.parsers import json_loads_bounded


class ConnectorError(Exception):
    """The platform could not be read or written; the channel's health shows the message."""


class RateLimited(ConnectorError):
    def __init__(self, message: str, *, retry_at: datetime):
        super().__init__(message)
        self.retry_at = retry_at


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
    max_length: int = 0  # characters a reply may have on the network; 0 where there is no reply
    media: bool = False


@dataclass(slots=True)
class FetchResult:
    mentions: list[NormalizedMention] = field(default_factory=list)
    rejected: list[RejectedItem] = field(default_factory=list)
    next_cursor: dict[str, Any] = field(default_factory=dict)


class Connector:
    """Base class: subclasses set `kind` and implement what their platform supports."""

    kind: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, *, base_url: str = "", config: dict | None = None, credentials: dict | None = None,
                 http: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.config = config or {}
        self.credentials = credentials or {}
        self.http = http or httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        raise ConnectorError(f"{self.kind} does not poll; it receives webhooks.")

    def parse_payload(self, payload: Any) -> FetchResult:
        """Turn a saved API response or a webhook body into mentions (used by webhooks and import)."""
        raise ConnectorError(f"{self.kind} cannot parse saved payloads.")

    def publish_reply(self, *, in_reply_to: str, text: str) -> str:
        raise ConnectorError(f"{self.kind} cannot publish replies.")

    def publish_post(self, *, text: str) -> str:
        raise ConnectorError(f"{self.kind} cannot publish posts.")

    def hide(self, *, external_id: str, hidden: bool = True) -> None:
        raise ConnectorError(f"{self.kind} cannot hide comments.")

    def get_json(self, path_or_url: str, *, params: Any = None, headers: dict | None = None) -> httpx.Response:
        """GET with the error handling every adapter needs: 429, 5xx, timeouts and broken JSON."""
        url = path_or_url if path_or_url.startswith("http") else f"{self.base_url}{path_or_url}"
        try:
            response = self.http.get(url, params=params, headers=headers)
        except httpx.TimeoutException as error:
            raise ConnectorError(f"Timed out reading {url}") from error
        except httpx.HTTPError as error:
            raise ConnectorError(f"Could not reach {url}: {error}") from error
        self.raise_for_status(response)
        return response

    def send(self, method: str, path_or_url: str, *, json: Any = None, data: Any = None,
             headers: dict | None = None) -> httpx.Response:
        """POST/DELETE with the same error handling as `get_json`, for replies and moderation."""
        url = path_or_url if path_or_url.startswith("http") else f"{self.base_url}{path_or_url}"
        try:
            response = self.http.request(method, url, json=json, data=data, headers=headers)
        except httpx.TimeoutException as error:
            raise ConnectorError(f"Timed out writing to {url}") from error
        except httpx.HTTPError as error:
            raise ConnectorError(f"Could not reach {url}: {error}") from error
        self.raise_for_status(response)
        return response

    def raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            raise RateLimited(f"Rate limited by {response.request.url.host}", retry_at=self.retry_at(response))
        if response.status_code >= 400:
            raise ConnectorError(f"HTTP {response.status_code} from {response.request.url}: {response.text[:200]}")

    def retry_at(self, response: httpx.Response) -> datetime:
        retry_after = response.headers.get("retry-after")
        if retry_after and retry_after.isdigit():
            return timezone.now() + timedelta(seconds=int(retry_after))
        return timezone.now() + timedelta(seconds=60)

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
