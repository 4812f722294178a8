"""The Redis cache keeps one connection pool per process.

Django keeps a cache object per thread and every request runs in a thread of its own, so a pool per
cache object meant a new Redis connection, and its handshake, for every API request.
"""

import threading

import pytest
from django.core.cache import caches
from django.test import override_settings

from tests.settings import TEST_REDIS_URL

pytestmark = pytest.mark.services

PRODUCTION_CACHE = {"default": {"BACKEND": "crisisdesk.cache.SharedPoolRedisCache", "LOCATION": TEST_REDIS_URL}}


@override_settings(CACHES=PRODUCTION_CACHE)
def test_request_threads_have_their_own_cache_objects_but_share_one_redis_pool():
    seen = []

    def handle_a_request(number: int) -> None:
        cache = caches["default"]
        cache.set(f"shared-pool-probe-{number}", number, 30)
        assert cache.get(f"shared-pool-probe-{number}") == number
        seen.append((cache, cache._cache._get_connection_pool(write=True)))

    threads = [threading.Thread(target=handle_a_request, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(cache) for cache, _ in seen}) == 4
    assert len({id(pool) for _, pool in seen}) == 1
    pool = seen[0][1]
    assert len(pool._available_connections) + len(pool._in_use_connections) <= 4
