"""Misspelt settings are silently ignored: prove the Celery and Channels settings really apply."""

import pytest
from channels.layers import get_channel_layer

from crisisdesk.celery import app
from tests import settings as test_settings


def test_celery_reliability_settings_are_applied():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_time_limit == 300
    assert {queue.name for queue in app.conf.task_queues} >= {"ingest", "escalation", "notify", "triage"}


def test_tasks_are_routed_to_their_queues():
    router = app.amqp.router
    assert router.route({}, "inbox.channel_poll")["queue"].name == "ingest"
    assert router.route({}, "notify.reply_send")["queue"].name == "notify"


@pytest.mark.services
def test_channel_layer_is_redis_when_redis_url_is_set():
    assert test_settings.SERVICES_AVAILABLE
    assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"  # the default, CHANNEL_LAYER=pubsub


@pytest.mark.services
def test_database_is_postgresql_when_database_url_is_set():
    from django.db import connection

    assert connection.vendor == "postgresql"


def test_database_tasks_ride_out_an_outage_of_several_minutes():
    """1 + 2 + 4 + … capped at 60 s, 20 times: a PostgreSQL restart never drops an ingest batch."""
    from inbox.tasks import channel_poll, mentions_ingest_batch

    for task in (channel_poll, mentions_ingest_batch):
        assert task.max_retries == 20
        assert task.retry_jitter is False
        waits = [min(task.retry_backoff_max, task.retry_backoff * 2**attempt) for attempt in range(task.max_retries)]
        assert sum(waits) > 15 * 60
