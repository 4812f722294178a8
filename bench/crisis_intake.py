"""The platform's side of the crisis: Meta delivering new comments on the brand's page to the webhook.

A separate process (bench/crisis.py starts it). Open loop: a delivery of `batch` comments leaves every
batch/rate seconds whether or not the previous one was answered, signed as Meta signs
(`X-Hub-Signature-256`, HMAC-SHA256 of the raw body with the app secret) and posted to the real intake
endpoint, `/hooks/meta/<channel>/`. Each comment carries its "posted at" time (`created_time`) as the
moment its delivery leaves: the platform's own delivery delay is not part of what is measured. Meta sends
whole seconds; here it is a fraction with milliseconds, so that the latency to the inbox can be measured.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import time
from collections import Counter
from typing import Any

from bench.crisis_fixtures import APP_SECRET, AUTHORS, PAGE_ID, crisis_text

MAX_IN_FLIGHT = 200
LATE_SECONDS = 30.0


def meta_body(*, rng: random.Random, first: int, count: int, posted_at: float, prefix: str = "crisis") -> bytes:
    """A page webhook notification with `count` new comments on the page's post."""
    changes = []
    for number in range(first, first + count):
        author = rng.randrange(AUTHORS)
        changes.append(
            {
                "field": "feed",
                "value": {
                    "item": "comment",
                    "verb": "add",
                    "comment_id": f"page-post-1_{prefix}{number}",
                    "post_id": "page-post-1",
                    "parent_id": "page-post-1",
                    "from": {"id": f"u{author}", "name": f"Cliente {author}"},
                    "message": crisis_text(rng),
                    "created_time": round(posted_at, 3),
                },
            }
        )
    entry = {"id": PAGE_ID, "time": int(posted_at), "changes": changes}
    return json.dumps({"object": "page", "entry": [entry]}).encode()


def signature(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


class Platform:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.path = f"/hooks/meta/{config['channel_id']}/"
        self.latencies: list[tuple[float, float]] = []  # (seconds into the run, seconds)
        self.errors: Counter[str] = Counter()
        self.posted = 0
        self.deliveries = 0
        self.shed = 0
        self.not_sent = 0

    async def run(self) -> dict[str, Any]:
        import httpx

        config = self.config
        rate, batch = config["rate"], config["batch"]
        start_at, end_at = config["start_at"], config["start_at"] + config["seconds"]
        interval = batch / rate
        rng = random.Random(23)
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        tasks: set[asyncio.Task] = set()
        async with httpx.AsyncClient(base_url=config["base_url"], limits=limits, timeout=LATE_SECONDS) as client:
            next_at = start_at
            while next_at < end_at:
                await asyncio.sleep(max(0.0, next_at - time.time()))
                if len(tasks) >= MAX_IN_FLIGHT:
                    self.shed += batch
                    self.error(f"more than {MAX_IN_FLIGHT} deliveries in flight: the intake is not keeping up")
                else:
                    body = meta_body(rng=rng, first=self.posted, count=batch, posted_at=next_at)
                    task = asyncio.create_task(self.deliver(client, body, scheduled=next_at, count=batch))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    self.posted += batch
                next_at += interval
                behind = time.time() - next_at
                if behind > 1.0:  # the generator itself fell behind: say so and skip ahead
                    missed = int(behind / interval)
                    self.not_sent += missed * batch
                    self.error("the webhook generator fell behind its schedule")
                    next_at += missed * interval
            if tasks:
                await asyncio.wait(tasks, timeout=LATE_SECONDS + 5)
        return self.result()

    async def deliver(self, client, body: bytes, *, scheduled: float, count: int) -> None:
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature(body)}
        try:
            response = await client.post(self.path, content=body, headers=headers)
        except Exception as error:  # every failure of a delivery is an error of the run
            self.error(f"POST {self.path}: {type(error).__name__}: {error}")
            return
        if response.status_code != 202:
            self.error(f"POST /hooks/meta/ → {response.status_code} {response.text[:200]}")
            return
        self.deliveries += 1
        self.latencies.append((scheduled - self.config["start_at"], time.time() - scheduled))

    def error(self, message: str) -> None:
        if message in self.errors or len(self.errors) < 200:
            self.errors[message] += 1

    def result(self) -> dict[str, Any]:
        return {
            "posted": self.posted,
            "accepted_deliveries": self.deliveries,
            "accepted_mentions": self.deliveries * self.config["batch"],
            "paths": {"POST /hooks/meta/<channel>/ (signed intake)": self.latencies},
            "errors": dict(self.errors),
            "shed_mentions": self.shed,
            "not_sent_mentions": self.not_sent,
        }


def intake_main(config_path: str, result_path: str) -> None:
    """The process's entry point: read the run's configuration, deliver, write the figures."""
    with open(config_path) as handle:
        config = json.load(handle)
    result = asyncio.run(Platform(config).run())
    with open(result_path, "w") as handle:
        json.dump(result, handle)
