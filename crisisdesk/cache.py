"""Django's Redis cache with one connection pool per process instead of one per thread.

Django keeps a cache object per thread, and under ASGI every request runs in a thread of its own, so
the stock backend built a new pool, and opened a new Redis connection, for each request: the API
throttle's first `GET` paid a TCP connect and a handshake every time (py-spy on `bench/load.py`'s
request). redis-py's pool is thread-safe and resets itself in a forked child, so sharing it is safe.

With Redis Sentinel the pool is a `SentinelMasterPool`: its connections ask a Sentinel where the master is each
time they connect, so after a failover the next command finds the promoted replica.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.sentinel import Sentinel, SentinelConnectionPool

_pools: dict[tuple[str, str], Any] = {}
_pools_lock = threading.Lock()
_clients: dict[int, Any] = {}


class SharedPoolRedisCacheClient(RedisCacheClient):
    """Also one `redis.Redis` per pool: Django builds a new one for every command, and its constructor
    (a case-insensitive dict of every response callback) was a third of a cached page's Redis time."""

    # Set and defined by RedisCacheClient itself; django-stubs leaves its private members out.
    _servers: list[str]
    _pool_options: dict[str, Any]
    _pool_class: Any
    _client: Any
    _get_connection_pool_index: Callable[[bool], int]

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = _clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = _clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def _get_connection_pool(self, write: bool) -> Any:
        index = self._get_connection_pool_index(write)
        key = (self._servers[index], repr(sorted(self._pool_options.items())))
        pool = _pools.get(key)
        if pool is None:
            with _pools_lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(self._servers[index], **self._pool_options)
        return pool


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient


class SentinelMasterPool(SentinelConnectionPool):
    """The cache's pool on the master that Sentinel names. Django builds a pool with `from_url(LOCATION,
    **OPTIONS)`: LOCATION is `sentinel://<master name>/<db>`, OPTIONS carry `sentinels` and `sentinel_kwargs`
    (crisisdesk.redis_connections.RedisSentinel.cache)."""

    @classmethod
    def from_url(cls, url: str, **options: Any) -> SentinelMasterPool:
        location = urlsplit(url)
        sentinels = [tuple(address) for address in options.pop("sentinels")]
        manager = Sentinel(sentinels, sentinel_kwargs=options.pop("sentinel_kwargs", None))
        return cls(unquote(location.netloc), manager, db=int(location.path.strip("/") or 0), **options)


def redis_client_for(key: str) -> Any:
    """The default cache's own Redis client for `key` (for a pipeline of several commands), or None when
    the cache is not Redis (the embedded mode's memory cache), where callers use the cache's own API."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    return get_client(cache.make_and_validate_key(key), write=True) if callable(get_client) else None
