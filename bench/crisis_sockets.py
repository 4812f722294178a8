"""The consoles of the crisis benchmark: S websockets on /ws/console/, each a logged-in user's.

A separate process (bench/crisis.py starts it). Every socket counts the `mention.new` events it receives:
each console of the inbox group must receive every one. The team's consoles (20 community managers and
5 directors) also read every event and time each mention in it, from its "posted at" on the platform to
the moment it arrived here (both are this machine's wall clock). Escalation events are read on every
socket: the raise is timed to the department's designated head, the answer to the manager who raised it.
Messages are told apart by their first bytes, so the other sockets spend almost nothing per event.
Every new mention is timed on the first TIMED_CONSOLES of the team (an event names every new id, the same on
each console): each event's ids are kept once and its arrival on each of those consoles; bench/crisis.py
reads the mentions' "posted at" from the database afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter, defaultdict
from typing import Any

from bench.crisis_fixtures import TEAM_DIRECTORS, TEAM_MANAGERS

HANDSHAKES = 20
MENTION_NEW = '{"type": "mention.new"'
ESCALATION = '{"type": "escalation.'
INBOX_ROLES = ("community_manager", "director")
TIMED_CONSOLES = 5


class Consoles:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.consoles = config["consoles"]
        self.team = {console["user_id"] for console in self.consoles[: TEAM_MANAGERS + TEAM_DIRECTORS]}
        self.heads = {department["id"]: department["head"] for department in config["departments"]}
        self.start_at = 0.0
        self.opened = 0
        self.mention_events = [0] * len(self.consoles)
        self.mentions_announced = [0] * len(self.consoles)
        self.timed = {console["user_id"] for console in self.consoles[:TIMED_CONSOLES]}
        self.event_ids: dict[str, list[int]] = {}  # stream:number → the new mentions' ids
        self.event_arrivals: list[tuple[str, float]] = []  # (stream:number, arrived) on each timed console
        self.arrivals: dict[str, dict[str, float]] = {"created": {}, "answered": {}}
        self.deliveries: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.handshakes = asyncio.Semaphore(HANDSHAKES)

    def error(self, message: str) -> None:
        if message in self.errors or len(self.errors) < 200:
            self.errors[message] += 1

    async def console(self, index: int, ready: asyncio.Event, stop: asyncio.Event) -> None:
        from websockets.asyncio.client import connect

        base = self.config["base_url"]
        async with self.handshakes:
            try:
                socket = await connect(
                    base.replace("http://", "ws://") + "/ws/console/",
                    additional_headers={"Cookie": f"sessionid={self.consoles[index]['session']}", "Origin": base},
                    open_timeout=60,
                    ping_interval=None,
                    max_queue=None,
                )
                hello = json.loads(await asyncio.wait_for(socket.recv(), 60))
            except Exception as error:  # a console that cannot open is an error of the run
                self.error(f"socket {index}: {type(error).__name__}: {error}")
                return
        if hello.get("type") != "hello":
            self.error(f"socket {index}: first message {hello.get('type')!r}")
            return
        self.opened += 1
        if self.opened == len(self.consoles):
            ready.set()
        await self.listen(socket, index, stop)

    async def listen(self, socket, index: int, stop: asyncio.Event) -> None:
        user_id = self.consoles[index]["user_id"]
        timed = user_id in self.team
        try:
            async with socket:
                while not stop.is_set():
                    try:
                        text = await asyncio.wait_for(socket.recv(), 0.5)
                    except TimeoutError:
                        continue
                    arrived = time.time()
                    if text.startswith(MENTION_NEW):
                        self.mention_events[index] += 1
                        if timed:
                            self.mentions_read(index, json.loads(text), arrived)
                    elif text.startswith(ESCALATION):
                        self.escalation_read(user_id, json.loads(text), arrived)
                    else:
                        self.deliveries[text[10:40].split('"')[0]] += 1
        except Exception as error:
            self.error(f"socket {index} closed early: {type(error).__name__}: {error}")

    def mentions_read(self, index: int, payload: dict[str, Any], arrived: float) -> None:
        self.mentions_announced[index] += int(payload.get("count", 0))
        if self.consoles[index]["user_id"] in self.timed:
            key = f"{payload.get('stream')}:{payload.get('seq')}"
            self.event_ids.setdefault(key, [int(mention_id) for mention_id in payload.get("ids", [])])
            self.event_arrivals.append((key, arrived))

    def escalation_read(self, user_id: int, payload: dict[str, Any], arrived: float) -> None:
        kind = str(payload.get("type", "")).removeprefix("escalation.")
        self.deliveries[f"escalation.{kind}"] += 1
        request_id = str(payload.get("request_id"))
        if kind == "created" and self.heads.get(payload.get("department_id")) == user_id:
            self.arrivals["created"].setdefault(request_id, arrived)
        elif kind == "answered" and user_id in self.team:
            self.arrivals["answered"].setdefault(f"{request_id}:{user_id}", arrived)

    async def run(self, ready_file: str, stop_file: str) -> dict[str, Any]:
        ready, stop = asyncio.Event(), asyncio.Event()
        started = time.monotonic()
        clients = []
        for index in range(len(self.consoles)):
            clients.append(asyncio.create_task(self.console(index, ready, stop)))
            if index % 50 == 49:
                await asyncio.sleep(0.05)
        try:
            await asyncio.wait_for(ready.wait(), timeout=max(60.0, len(self.consoles) / 4))
        except TimeoutError:
            self.error(f"only {self.opened} of {len(self.consoles)} sockets opened")
        connect_seconds = time.monotonic() - started
        with open(ready_file, "w") as handle:
            handle.write(str(self.opened))
        while not os.path.exists(stop_file):  # the orchestrator writes the start time, then asks to stop
            await asyncio.sleep(0.2)
            if not self.start_at and os.path.exists(ready_file + ".start"):
                with open(ready_file + ".start") as handle:
                    self.start_at = float(handle.read())
        stop.set()
        await asyncio.gather(*clients)
        return self.result(connect_seconds)

    def result(self, connect_seconds: float) -> dict[str, Any]:
        inbox = [
            count
            for console, count in zip(self.consoles, self.mention_events, strict=True)
            if console["role"] in INBOX_ROLES
        ]
        announced = defaultdict(int)
        for console, count in zip(self.consoles, self.mentions_announced, strict=True):
            if console["user_id"] in self.team:
                announced[str(console["user_id"])] = count
        return {
            "sockets": len(self.consoles),
            "opened": self.opened,
            "connect_seconds": round(connect_seconds, 1),
            "inbox_sockets": len(inbox),
            "mention_events_max": max(inbox, default=0),
            "mention_events_min": min(inbox, default=0),
            "mention_events_missing": sum(max(inbox, default=0) - count for count in inbox),
            "mentions_announced_by_team_console": dict(announced),
            "start_at": self.start_at,
            "event_ids": self.event_ids,
            "event_arrivals": self.event_arrivals,
            "arrivals": self.arrivals,
            "deliveries": dict(self.deliveries),
            "errors": dict(self.errors),
        }


def sockets_main(config_path: str, result_path: str, ready_file: str, stop_file: str) -> None:
    """The process's entry point: open the consoles, say so in `ready_file`, listen until `stop_file` appears."""
    with open(config_path) as handle:
        config = json.load(handle)
    result = asyncio.run(Consoles(config).run(ready_file, stop_file))
    with open(result_path, "w") as handle:
        json.dump(result, handle)
