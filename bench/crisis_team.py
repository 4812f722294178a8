"""The people of the crisis benchmark: 20 community managers, 5 directors, the departments' heads.

A separate process (bench/crisis.py starts it); every action goes through the product's HTTP API, as the
console's pages send it. Each community manager, in a loop: pages the work queue in priority order
(`/api/mentions/?sort=priority`, and the next page every other time), opens a new mention assigned to
them (from that page, else from the "Mine" view, else an unassigned one) and replies to it;
every `cluster_every` seconds answers the biggest crisis cluster; every `escalate_every` seconds raises
an escalation about the mention to a department, whose designated head answers it 1-3 s later. Then
thinks for `think` seconds (± half). Each director fetches `/dashboard/data/` and waits 2 s, as the
dashboard's script does while `mention.new` events arrive. Prometheus scrapes `/metrics` every 15 s.
Closed loops: a slower server means fewer requests, never a pile of them; the figures are the time of
each request, by path.

A 400 with a reason from the service (the mention was taken by a colleague in the meantime) is a
refusal, counted apart; any other unexpected status, and any transport failure, is an error.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from typing import Any

TIMEOUT = 30.0
DASHBOARD_PAUSE = 2.0
REPLY = "Hola, sentimos las molestias: estamos trabajando en la avería y te avisamos en cuanto se resuelva."
CLUSTER_ANSWER = "Hola {nombre}, hay una avería que afecta a {zona}. Nuestros técnicos ya trabajan en ella."
ANSWER = "Confirmado: avería en la zona, reparación en curso."
INBOX = "GET /api/mentions/?sort=priority (inbox)"
NEXT_PAGE = "GET /api/mentions/ next page (cursor)"
MINE = "GET /api/mentions/?sort=priority&mine=true (mine)"
OPEN = "GET /api/mentions/<id>/ (open)"
REPLY_PATH = "POST /api/mentions/<id>/reply/"
CLUSTERS = "GET /api/clusters/"
CLUSTER = "GET /api/clusters/<id>/"
CLUSTER_ANSWER_PATH = "POST /api/clusters/<id>/answer/"
RAISE = "POST /api/escalations/ (raise)"
ANSWER_PATH = "POST /api/escalations/<id>/answer/"
DASHBOARD = "GET /dashboard/data/ (director)"
METRICS = "GET /metrics (Prometheus)"
SCRAPE_SECONDS = 15.0


def _pick(rows: list[dict[str, Any]], *, me: str, number: int, free: bool = True) -> dict[str, Any] | None:
    """The first new mention the assigner gave me, else (with `free`) an unassigned one, each manager its own."""
    new = [row for row in rows if row.get("status") == "new"]
    mine = [row for row in new if row.get("assignee") == me]
    if mine or not free:
        return mine[0] if mine else None
    unassigned = [row for row in new if row.get("assignee") is None]
    return unassigned[number] if number < len(unassigned) else None  # else a colleague would race for it


class Team:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.start_at = config["start_at"]
        self.end_at = config["start_at"] + config["seconds"]
        self.paths: dict[str, list[tuple[float, float]]] = {}
        self.errors: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.raised: dict[str, dict[str, Any]] = {}  # request id → raise sent, by whom, answer sent
        self.answers: set[asyncio.Task] = set()
        self.heads: dict[int, Any] = {}  # department id → its designated head's client

    def error(self, message: str) -> None:
        if message in self.errors or len(self.errors) < 200:
            self.errors[message] += 1

    async def call(self, client, method: str, url: str, *, label: str, expect: int, **kwargs: Any):
        """One timed request; returns the response if it had the expected status, else None."""
        sent = time.time()
        try:
            response = await client.request(method, url, **kwargs)
        except Exception as error:  # every failure of a request is an error of the run
            self.error(f"{label}: {type(error).__name__}: {error}")
            return None
        elapsed = time.time() - sent
        if response.status_code == 400 and method == "POST" and "detail" in response.text:
            self.refusals[f"{label}: {response.json().get('detail', '')}"[:200]] += 1
            return None
        if response.status_code != expect:
            self.error(f"{label} → {response.status_code} {response.text[:200]}")
            return None
        self.paths.setdefault(label, []).append((sent - self.start_at, elapsed))
        return response

    async def manager(self, number: int, client) -> None:
        config = self.config
        rng = random.Random(number)
        me = config["managers"][number]["username"]
        last_cluster = self.start_at - config["cluster_every"] * (number + 1) / len(config["managers"])
        last_escalation = self.start_at - config["escalate_every"] * (number + 1) / len(config["managers"])
        loops = 0
        while time.time() < self.end_at:
            loops += 1
            page = await self.call(client, "GET", "/api/mentions/?sort=priority", label=INBOX, expect=200)
            if page is not None and loops % 2 == 0 and page.json().get("next"):
                await self.call(client, "GET", page.json()["next"], label=NEXT_PAGE, expect=200)
            rows = page.json().get("results", []) if page is not None else []
            mention = _pick(rows, me=me, number=number, free=False)
            if mention is None:  # nothing of mine on the first page: the "Mine" view, else a free one
                mine = await self.call(client, "GET", "/api/mentions/?sort=priority&mine=true", label=MINE, expect=200)
                mention = _pick(mine.json().get("results", []) if mine is not None else [], me=me, number=number,
                                free=False) or _pick(rows, me=me, number=number)
            if mention is not None:
                url = f"/api/mentions/{mention['id']}/"
                await self.call(client, "GET", url, label=OPEN, expect=200)
                await self.call(client, "POST", url + "reply/", label=REPLY_PATH, expect=201, json={"body": REPLY})
            if time.time() - last_cluster >= config["cluster_every"]:
                last_cluster = time.time()
                await self.cluster_answer(client)
            if mention is not None and time.time() - last_escalation >= config["escalate_every"]:
                last_escalation = time.time()
                await self.escalate(client, number, mention["id"], rng)
            await asyncio.sleep(config["think"] * rng.uniform(0.5, 1.5))

    async def cluster_answer(self, client) -> None:
        clusters = await self.call(client, "GET", "/api/clusters/", label=CLUSTERS, expect=200)
        if clusters is None or not clusters.json():
            return
        url = f"/api/clusters/{clusters.json()[0]['id']}/"  # the biggest
        await self.call(client, "GET", url, label=CLUSTER, expect=200)
        await self.call(client, "POST", url + "answer/", label=CLUSTER_ANSWER_PATH, expect=202,
                        json={"body": CLUSTER_ANSWER})

    async def escalate(self, client, number: int, mention_id: int, rng: random.Random) -> None:
        department = rng.choice(self.config["departments"])
        question = f"¿Hay avería confirmada? (mención {mention_id})"
        body = {"department": department["slug"], "question": question, "mention_ids": [mention_id]}
        sent = time.time()
        response = await self.call(client, "POST", "/api/escalations/", label=RAISE, expect=201, json=body)
        if response is None:
            return
        request_id = str(response.json()["id"])
        raiser = self.config["managers"][number]["user_id"]
        self.raised[request_id] = {"sent": sent, "by": raiser, "department": department["id"]}
        task = asyncio.create_task(self.head_answer(request_id, department, delay=rng.uniform(1.0, 3.0)))
        self.answers.add(task)
        task.add_done_callback(self.answers.discard)

    async def head_answer(self, request_id: str, department: dict[str, Any], *, delay: float) -> None:
        await asyncio.sleep(delay)
        client = self.heads[department["id"]]
        self.raised[request_id]["answer_sent"] = time.time()
        url = f"/api/escalations/{request_id}/answer/"
        answered = await self.call(client, "POST", url, label=ANSWER_PATH, expect=201, json={"text": ANSWER})
        self.raised[request_id]["answered"] = answered is not None

    async def director(self, client) -> None:
        while time.time() < self.end_at:
            await self.call(client, "GET", "/dashboard/data/", label=DASHBOARD, expect=200)
            await asyncio.sleep(DASHBOARD_PAUSE)

    async def prometheus(self, client) -> None:
        while time.time() < self.end_at:
            await self.call(client, "GET", "/metrics", label=METRICS, expect=200)
            await asyncio.sleep(SCRAPE_SECONDS)

    async def run(self) -> dict[str, Any]:
        import httpx

        base = self.config["base_url"]
        await asyncio.sleep(max(0.0, self.start_at - time.time()))
        clients = [
            httpx.AsyncClient(base_url=base, headers={"Authorization": f"Token {m['token']}"}, timeout=TIMEOUT)
            for m in self.config["managers"]
        ] + [
            httpx.AsyncClient(base_url=base, cookies={"sessionid": d["session"]}, timeout=TIMEOUT)
            for d in self.config["directors"]
        ]
        self.heads = {
            d["id"]: httpx.AsyncClient(base_url=base, headers={"Authorization": f"Token {d['head_token']}"},
                                       timeout=TIMEOUT)
            for d in self.config["departments"]
        }
        managers = len(self.config["managers"])
        work = [self.manager(n, clients[n]) for n in range(managers)]
        work += [self.director(client) for client in clients[managers:]]
        scraper = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {self.config['metrics_token']}"},
                                    timeout=TIMEOUT)
        clients.append(scraper)
        work.append(self.prometheus(scraper))
        await asyncio.gather(*work)
        if self.answers:
            await asyncio.wait(self.answers, timeout=TIMEOUT)
        for client in [*clients, *self.heads.values()]:
            await client.aclose()
        return {
            "paths": self.paths,
            "errors": dict(self.errors),
            "refusals": dict(self.refusals),
            "raised": self.raised,
        }


def team_main(config_path: str, result_path: str) -> None:
    """The process's entry point: read the run's configuration, work until its end, write the figures."""
    with open(config_path) as handle:
        config = json.load(handle)
    late = time.time() - config["start_at"]
    result = asyncio.run(Team(config).run())
    if late > 5:
        result["errors"][f"the team started {late:.0f}s late: the machine is too busy to measure"] = 1
    requests = sum(len(pairs) for pairs in result["paths"].values())
    print(f"crisis team: started {late:+.1f}s from the start, {requests} requests answered, "
          f"{sum(result['errors'].values())} errors, {sum(result['refusals'].values())} refusals", flush=True)
    with open(result_path, "w") as handle:
        json.dump(result, handle)
