"""Redis for every process: one server (`REDIS_URL`) or the master that Redis Sentinel names (`REDIS_SENTINELS`).

With Sentinel no client keeps the master's address: each asks a Sentinel for it whenever it connects, and
connects again after an error, so the replica a failover promotes is found without restarting a process. The
broker and the result backend (kombu's and Celery's `sentinel://` URLs with a `master_name`), the channel layer
(channels_redis's `sentinels` host, in both layers), the cache (`crisisdesk.cache.SentinelMasterPool`) and
the direct reads of `/metrics` (`redis_client`) are built from one `RedisSentinel` here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import redis
from redis.sentinel import Sentinel

DEFAULT_SENTINEL_PORT = 26379
# A Sentinel that does not answer must not hold a connect for long: the next one in the list is asked.
SENTINEL_SOCKET_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class RedisSentinel:
    """The Sentinels to ask, the name they monitor the master under, and the master's database and password."""

    sentinels: tuple[tuple[str, int], ...]
    master_name: str
    db: int = 0
    password: str = ""
    sentinel_password: str = ""

    def sentinel_kwargs(self) -> dict[str, Any]:
        """How to talk to a Sentinel itself (its own `requirepass`, not the master's)."""
        kwargs: dict[str, Any] = {
            "socket_timeout": SENTINEL_SOCKET_TIMEOUT_SECONDS,
            "socket_connect_timeout": SENTINEL_SOCKET_TIMEOUT_SECONDS,
        }
        if self.sentinel_password:
            kwargs["password"] = self.sentinel_password
        return kwargs

    def _master_kwargs(self) -> dict[str, Any]:
        return {"db": self.db, **({"password": self.password} if self.password else {})}

    def celery_url(self) -> str:
        """kombu's and Celery's form: `sentinel://[:password@]host:port/db`, one per Sentinel, joined by `;`."""
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return ";".join(f"sentinel://{auth}{_netloc(host, port)}/{self.db}" for host, port in self.sentinels)

    def celery_transport_options(self) -> dict[str, Any]:
        return {"master_name": self.master_name, "sentinel_kwargs": self.sentinel_kwargs()}

    def channel_layer_host(self) -> dict[str, Any]:
        """One channels_redis host (channels_redis.utils.create_pool builds a SentinelConnectionPool from it)."""
        return {
            "sentinels": list(self.sentinels),
            "master_name": self.master_name,
            "sentinel_kwargs": self.sentinel_kwargs(),
            **self._master_kwargs(),
        }

    def cache(self) -> dict[str, Any]:
        """Django's CACHES entry: LOCATION names the master, OPTIONS the Sentinels (SentinelMasterPool.from_url)."""
        return {
            "BACKEND": "crisisdesk.cache.SharedPoolRedisCache",
            "LOCATION": f"sentinel://{quote(self.master_name, safe='')}/{self.db}",
            "OPTIONS": {
                "pool_class": "crisisdesk.cache.SentinelMasterPool",
                "sentinels": list(self.sentinels),
                "sentinel_kwargs": self.sentinel_kwargs(),
                **({"password": self.password} if self.password else {}),
            },
        }


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def sentinel_address(text: str) -> tuple[str, int]:
    """`host:port`, `host` (port 26379) or `[ipv6]:port`."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, ""
    if not host or (port and not port.isdigit()):
        raise ValueError(f"REDIS_SENTINELS: {text!r} is not host:port")
    return host, int(port) if port else DEFAULT_SENTINEL_PORT


def redis_sentinel(environ: Mapping[str, str]) -> RedisSentinel | None:
    """`REDIS_SENTINELS=host-a:26379,host-b:26379` and `REDIS_SENTINEL_MASTER`; optional `REDIS_PASSWORD` (the
    master's and its replicas'), `REDIS_SENTINEL_PASSWORD` (the Sentinels') and `REDIS_DB`. None without Sentinels."""
    listed = [item for item in environ.get("REDIS_SENTINELS", "").split(",") if item.strip()]
    if not listed:
        return None
    if environ.get("REDIS_URL"):
        raise ValueError("Set REDIS_URL or REDIS_SENTINELS, not both: with Sentinel the master has no fixed URL.")
    master_name = environ.get("REDIS_SENTINEL_MASTER", "").strip()
    if not master_name:
        raise ValueError("REDIS_SENTINEL_MASTER must name the master as the Sentinels monitor it.")
    return RedisSentinel(
        sentinels=tuple(sentinel_address(item) for item in listed),
        master_name=master_name,
        db=int(environ.get("REDIS_DB", "0") or 0),
        password=environ.get("REDIS_PASSWORD", ""),
        sentinel_password=environ.get("REDIS_SENTINEL_PASSWORD", ""),
    )


def redis_client(url: str, transport_options: Mapping[str, Any] | None = None, **options: Any) -> redis.Redis:
    """A client on a broker URL: `redis://`, `rediss://`, `unix://`, or kombu's `sentinel://…;sentinel://…`
    whose transport options name the master (`master_name`, `sentinel_kwargs`): then on whichever is master now."""
    if not url.startswith("sentinel://"):
        return redis.Redis.from_url(url, **options)
    transport = transport_options or {}
    parts = [urlsplit(part.strip()) for part in url.split(";") if part.strip()]
    if parts[0].password:
        options.setdefault("password", unquote(parts[0].password))
    options.setdefault("db", int(parts[0].path.strip("/") or 0))
    manager = Sentinel(
        [(part.hostname or "localhost", part.port or DEFAULT_SENTINEL_PORT) for part in parts],
        sentinel_kwargs=transport.get("sentinel_kwargs"),
        **options,
    )
    return manager.master_for(transport["master_name"])
