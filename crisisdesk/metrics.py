"""Prometheus metrics: the product's counters and histograms, the gauges read at scrape time, the exposition.

Two kinds of figures, kept apart on purpose:

- **Events counted where they happen** (mentions stored, by channel kind; live-event latency from publish to
  the socket's send): prometheus_client counters and histograms. A web or worker process counts in its own
  memory; with `PROMETHEUS_MULTIPROC_DIR` set, every process of the host writes its figures to a file there and
  `/metrics` adds them all up (prometheus_client's multiprocess mode). The files are named by host name and
  process id, so the web and worker containers of one host may share the directory.
- **State read when Prometheus asks** (the Celery queues' depths in the broker, overdue escalations, intake rows
  pending, dead letters, the model tier's backlog): each is one cheap, indexed read, done by the process that
  answers the scrape, so they are right whatever the number of processes and need no shared files. The apps
  register their own (`scrape_gauge_register`, from their `AppConfig.ready()`): this package imports no app.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import redis
from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from crisisdesk.queues import QUEUES
from crisisdesk.redis_connections import redis_client

logger = logging.getLogger(__name__)

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
if MULTIPROCESS:
    # One file per process and per host: the default, the process id alone, collides between containers that
    # share the directory (each container numbers its processes from 1).
    _HOST = socket.gethostname()
    _IDENTITY = {"pid": -1, "name": ""}

    def _process_identifier() -> str:
        """Asked on every write (to notice a fork): the name is rebuilt only when the pid changes."""
        pid = os.getpid()
        if pid != _IDENTITY["pid"]:
            _IDENTITY.update(pid=pid, name=f"{_HOST}-{pid}")
        return str(_IDENTITY["name"])

    values.ValueClass = values.MultiProcessValue(process_identifier=_process_identifier)

# Counted in the process that commits the batch (a worker, or the embedded one), once the batch committed.
MENTIONS_STORED = Counter(
    "crisisdesk_mentions_stored",
    "Mentions stored by ingestion (new rows only, duplicates excluded), by channel kind.",
    ["channel_kind"],
)
# Observed in the web process that holds the socket: from `publish_now` (any process) to the socket's send.
PUSH_LATENCY = Histogram(
    "crisisdesk_push_latency_seconds",
    "Live events: seconds from their publication after commit to their send on a console's socket.",
    ["event_family"],
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
)
_EVENT_FAMILY = re.compile(r"[a-z_]{1,32}")


def mentions_stored_count(*, channel_kind: str, count: int) -> None:
    MENTIONS_STORED.labels(channel_kind=channel_kind).inc(count)


# A console's event loop sends each event to every socket it holds (hundreds) within milliseconds; a
# histogram write per send was a tenth of the web's CPU during a crisis. Sampled: each event's first send
# in the process, then one send in PUSH_LATENCY_EVERY.
PUSH_LATENCY_EVERY = 16


class _PushLatencySampler:
    """Chooses the sends that are observed; used from one event loop, so no lock is needed."""

    def __init__(self) -> None:
        self.last_event: float | None = None
        self.sends = 0
        self.children: dict[str, Histogram] = {}

    def observe(self, *, event_type: str, published_at: float) -> None:
        self.sends += 1
        if published_at == self.last_event and self.sends % PUSH_LATENCY_EVERY:
            return
        self.last_event = published_at
        family = event_type.partition(".")[0]
        label = family if _EVENT_FAMILY.fullmatch(family) else "other"
        child = self.children.get(label)
        if child is None:
            child = self.children[label] = PUSH_LATENCY.labels(event_family=label)
        child.observe(max(0.0, time.time() - published_at))


_push_latency = _PushLatencySampler()


def push_latency_observe(*, event_type: str, published_at: float) -> None:
    """One send to one socket, labelled by the event's family ("mention" for `mention.new`, "escalation"…):
    the label's values stay few, whatever the events are called. Sampled (PUSH_LATENCY_EVERY)."""
    _push_latency.observe(event_type=event_type, published_at=published_at)


@dataclass(frozen=True)
class ScrapeGauge:
    """A gauge read when /metrics is scraped. `read` returns one value, or (labels, value) pairs."""

    name: str
    documentation: str
    read: Callable[[], float | Iterable[tuple[dict[str, str], float]]]
    labels: tuple[str, ...] = ()


_SCRAPE_GAUGES: dict[str, ScrapeGauge] = {}


def scrape_gauge_register(gauge: ScrapeGauge) -> None:
    """Add (or replace, by name) a gauge read at scrape time; called from an app's `ready()`."""
    _SCRAPE_GAUGES[gauge.name] = gauge


def scrape_gauges() -> list[ScrapeGauge]:
    return [queue_depth_gauge(), broker_unacknowledged_gauge(), *_SCRAPE_GAUGES.values()]


# --- The broker's queues --------------------------------------------------------------------------------------

# kombu's Redis transport keeps a queue as one list per priority step: the queue's name for priority 0, the name,
# "\x06\x16" and the step for the others (kombu.transport.redis.Channel._q_for_pri); unacknowledged deliveries of
# late-acknowledged tasks sit in the "unacked" hash until the worker acknowledges them.
_REDIS_PRIORITY_SEPARATOR = "\x06\x16"
_REDIS_PRIORITY_STEPS = (3, 6, 9)
_REDIS_UNACKED_KEY = "unacked"


@lru_cache(maxsize=4)
def _broker_client(url: str) -> redis.Redis:
    # With Sentinel the transport options name the master: the client follows it through a failover.
    return redis_client(url, settings.CELERY_BROKER_TRANSPORT_OPTIONS, socket_timeout=2, socket_connect_timeout=2)


def _is_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "unix://", "sentinel://"))


def queue_depths() -> dict[str, int]:
    """Messages waiting in each queue of crisisdesk/queues.py, read from the broker.

    Redis: the length of the queue's lists (every priority step). Embedded (kombu's in-process memory
    transport): the in-process queues the embedded worker consumes. Another broker: nothing (empty)."""
    url = settings.CELERY_BROKER_URL
    if _is_redis(url):
        client = _broker_client(url)
        with client.pipeline(transaction=False) as pipe:
            for queue in QUEUES:
                pipe.llen(queue)
                for step in _REDIS_PRIORITY_STEPS:
                    pipe.llen(f"{queue}{_REDIS_PRIORITY_SEPARATOR}{step}")
            lengths = pipe.execute()
        per_queue = 1 + len(_REDIS_PRIORITY_STEPS)
        return {queue: sum(lengths[index * per_queue : (index + 1) * per_queue]) for index, queue in enumerate(QUEUES)}
    if url.startswith("memory://"):
        # why: kombu's memory transport keeps its queues on the class; only the embedded mode loads it
        from kombu.transport.memory import Channel

        return {queue: Channel.queues[queue].qsize() if queue in Channel.queues else 0 for queue in QUEUES}
    return {}


def queue_depth_gauge() -> ScrapeGauge:
    return ScrapeGauge(
        name="crisisdesk_celery_queue_depth",
        documentation="Celery messages waiting in the broker, per queue (not yet taken by a worker).",
        read=lambda: [({"queue": queue}, float(depth)) for queue, depth in queue_depths().items()],
        labels=("queue",),
    )


def broker_unacknowledged() -> float:
    """Messages a worker has taken and not yet acknowledged (running, or held by a worker that died)."""
    url = settings.CELERY_BROKER_URL
    if not _is_redis(url):
        return 0.0
    return float(cast(int, _broker_client(url).hlen(_REDIS_UNACKED_KEY)))  # the synchronous client: an int


def broker_unacknowledged_gauge() -> ScrapeGauge:
    return ScrapeGauge(
        name="crisisdesk_celery_unacknowledged",
        documentation="Celery messages taken by a worker and not yet acknowledged (acks late: still running).",
        read=broker_unacknowledged,
    )


# --- Exposition -------------------------------------------------------------------------------------------------


class ScrapeCollector(Collector):
    """Reads every scrape gauge; one that fails (the database is down) is left out and counted as failed."""

    def collect(self) -> Iterator[Metric]:
        failed = GaugeMetricFamily(
            "crisisdesk_metrics_read_failed", "1 for each scrape gauge that could not be read.", labels=["gauge"]
        )
        for gauge in scrape_gauges():
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=list(gauge.labels) or None)
            try:
                read = gauge.read()
            except Exception:  # a broken source must not hide every other figure
                logger.warning("Could not read the metric %s", gauge.name, exc_info=settings.DEBUG)
                failed.add_metric([gauge.name], 1.0)
                continue
            if isinstance(read, int | float):
                family.add_metric([], float(read))
            else:
                for labels, value in read:
                    family.add_metric([labels[name] for name in gauge.labels], float(value))
            yield family
        yield failed


def metrics_exposition() -> bytes:
    """The text every scrape receives: the process's (or, in multiprocess mode, the host's) counters and
    histograms, django-prometheus's request figures among them, then the gauges read now."""
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(ScrapeCollector())
    if MULTIPROCESS:
        counted = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(counted)
        return generate_latest(counted) + generate_latest(scraped)
    return generate_latest(REGISTRY) + generate_latest(scraped)


def metric_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse an exposition into {(sample name, sorted labels): value}; what tests and scripts read."""
    # why: the parser is needed only by readers of the text, not by the processes that serve it
    from prometheus_client.parser import text_string_to_metric_families

    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples
