"""A deployment names its Redis Sentinels instead of one Redis, and every Redis client is built for them.

The failover, on real servers with the product's processes: tests/reliability/test_redis_sentinel_failover.py.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from redis.sentinel import SentinelConnectionPool

from crisisdesk.cache import SentinelMasterPool
from crisisdesk.redis_connections import RedisSentinel, redis_client, redis_sentinel
from crisisdesk.settings_parts import redis_services

SENTINELS = {"REDIS_SENTINELS": " host-a:26379, host-b ,[2001:db8::7]:26380", "REDIS_SENTINEL_MASTER": "crisisdesk"}


def test_the_sentinels_master_name_database_and_passwords_are_read_from_the_environment():
    sentinel = redis_sentinel(
        {**SENTINELS, "REDIS_DB": "3", "REDIS_PASSWORD": "m@ster", "REDIS_SENTINEL_PASSWORD": "watch"}
    )

    assert sentinel == RedisSentinel(
        sentinels=(("host-a", 26379), ("host-b", 26379), ("2001:db8::7", 26380)),
        master_name="crisisdesk",
        db=3,
        password="m@ster",
        sentinel_password="watch",
    )


def test_without_sentinels_one_redis_url_decides_as_before():
    assert redis_sentinel({"REDIS_URL": "redis://redis:6379/0"}) is None
    assert redis_sentinel({}) is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"REDIS_SENTINELS": "host-a:26379"}, "REDIS_SENTINEL_MASTER"),
        ({**SENTINELS, "REDIS_URL": "redis://redis:6379/0"}, "not both"),
        ({**SENTINELS, "REDIS_SENTINELS": "host-a:port"}, "not host:port"),
    ],
)
def test_a_half_configured_sentinel_refuses_to_start(environ, message):
    with pytest.raises(ValueError, match=message):
        redis_sentinel(environ)


def test_every_client_is_configured_for_the_master_the_sentinels_name():
    sentinel = redis_sentinel({**SENTINELS, "REDIS_PASSWORD": "m@ster", "REDIS_SENTINEL_PASSWORD": "watch"})
    services = redis_services("", sentinel, channel_layer="lists", prefix="asgi")

    assert services["CELERY_URL"] == (
        "sentinel://:m%40ster@host-a:26379/0;sentinel://:m%40ster@host-b:26379/0;"
        "sentinel://:m%40ster@[2001:db8::7]:26380/0"
    )
    assert services["CELERY_TRANSPORT_OPTIONS"]["master_name"] == "crisisdesk"
    assert services["CELERY_TRANSPORT_OPTIONS"]["sentinel_kwargs"]["password"] == "watch"
    host = services["CHANNEL_LAYERS"]["default"]["CONFIG"]["hosts"][0]
    assert host["sentinels"][0] == ("host-a", 26379)
    assert (host["master_name"], host["password"], host["sentinel_kwargs"]["password"]) == (
        "crisisdesk",
        "m@ster",
        "watch",
    )
    pubsub = redis_services("", sentinel, channel_layer="pubsub", prefix="asgi")["CHANNEL_LAYERS"]["default"]
    assert pubsub["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert pubsub["CONFIG"]["hosts"] == [host]
    cache = services["CACHES"]["default"]
    assert cache["OPTIONS"]["pool_class"] == "crisisdesk.cache.SentinelMasterPool"


def test_the_cache_pool_asks_the_sentinels_for_the_master_it_names():
    cache = RedisSentinel(sentinels=(("host-a", 26379),), master_name="crisis-desk", db=2, password="pw").cache()

    options = {name: value for name, value in cache["OPTIONS"].items() if name != "pool_class"}  # as Django does

    pool = SentinelMasterPool.from_url(cache["LOCATION"], **options)

    assert isinstance(pool, SentinelConnectionPool)
    assert pool.service_name == "crisis-desk"
    assert pool.connection_kwargs["db"] == 2
    assert pool.connection_kwargs["password"] == "pw"
    assert [
        (s.connection_pool.connection_kwargs["host"], s.connection_pool.connection_kwargs["port"])
        for s in pool.sentinel_manager.sentinels
    ] == [("host-a", 26379)]


def test_the_metrics_client_on_a_sentinel_broker_url_follows_the_master():
    sentinel = RedisSentinel(sentinels=(("host-a", 26379), ("host-b", 26380)), master_name="crisisdesk", db=1)

    client = redis_client(sentinel.celery_url(), sentinel.celery_transport_options(), socket_timeout=2)

    assert isinstance(client.connection_pool, SentinelConnectionPool)
    assert client.connection_pool.service_name == "crisisdesk"
    assert client.connection_pool.connection_kwargs["db"] == 1
    assert len(client.connection_pool.sentinel_manager.sentinels) == 2
    assert not isinstance(redis_client("redis://127.0.0.1:6379/4").connection_pool, SentinelConnectionPool)


WIRED = """
import json
from django.conf import settings
from crisisdesk.celery import app
print(json.dumps({
    "embedded": settings.EMBEDDED,
    "transport": app.connection_for_write().transport_cls,
    "master_name": app.conf.broker_transport_options["master_name"],
    "visibility_timeout": app.conf.broker_transport_options["visibility_timeout"],
    "backend": type(app.backend).__name__,
    "cache_pool": settings.CACHES["default"]["OPTIONS"]["pool_class"],
    "layer_host": settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["master_name"],
}))
"""


def test_the_settings_wire_sentinels_from_the_environment_into_celery_the_cache_and_the_channel_layer():
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        SENTINELS,
        DJANGO_SETTINGS_MODULE="crisisdesk.settings",
        DATABASE_URL="postgres://crisisdesk@127.0.0.1:5432/crisisdesk",
        SECRET_KEY="sentinel-settings-test-key-0123456789abcdefghijklmnopqrstuvwxyz",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + WIRED],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr

    assert json.loads(result.stdout.splitlines()[-1]) == {
        "embedded": False,
        "transport": "sentinel",
        "master_name": "crisisdesk",
        "visibility_timeout": 600,
        "backend": "SentinelBackend",
        "cache_pool": "crisisdesk.cache.SentinelMasterPool",
        "layer_host": "crisisdesk",
    }
