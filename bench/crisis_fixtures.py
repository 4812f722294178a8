"""The crisis benchmark's world: the team, their logins, the departments, the Facebook page, a day of history,
and a stand-in for Meta's Graph API that the replies are sent to.

Everything is written through the product's own models and services, in the benchmark's database only.
"""

from __future__ import annotations

import json
import random
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.corpus import mention_text

DEPARTMENTS = 10
TEAM_MANAGERS = 20
TEAM_DIRECTORS = 5
MIN_SOCKETS = 40  # the 20 managers and 5 directors of the team, a head per department, a few more
CHANNEL_NAME = "Telco Facebook (bench)"
PAGE_ID = "1000000001"
APP_SECRET = "bench-crisis-app-secret"
AUTHORS = 20_000

CRISIS_TEXTS = [
    "Sin servicio en {city} desde hace {n} minutos, ¿qué pasa?",
    "No tengo internet ni móvil en {city}. ¿Avería general?",
    "Otra caída de la red en {city}, esto es una vergüenza",
    "No signal in {city} at all, is there an outage?",
    "¿Alguien más sin fibra en {city}? Llevo toda la mañana así",
]
CITIES = ["Madrid", "Sevilla", "Valencia", "Bilbao", "Zaragoza", "Málaga"]


def crisis_text(rng: random.Random) -> str:
    """Seven in ten mentions are about the outage (a few wordings, so they cluster), the rest a normal day."""
    if rng.random() < 0.7:
        return rng.choice(CRISIS_TEXTS).format(city=rng.choice(CITIES), n=rng.randrange(5, 240))
    return mention_text(rng)


def roles_for(sockets: int) -> list[str]:
    """One role per console: the team first, then heads (30 %), directors (10 %), managers, as push_latency.py."""
    heads = max(DEPARTMENTS, int(sockets * 0.3))
    directors = max(TEAM_DIRECTORS, int(sockets * 0.1))
    managers = max(TEAM_MANAGERS, sockets - heads - directors)
    roles = ["community_manager"] * TEAM_MANAGERS + ["director"] * TEAM_DIRECTORS
    roles += ["department_head"] * heads
    roles += ["director"] * (directors - TEAM_DIRECTORS) + ["community_manager"] * (managers - TEAM_MANAGERS)
    return roles[:sockets]


def fixtures_create(*, sockets: int, graph_url: str) -> dict[str, Any]:
    """Users with sessions (every console), tokens (the team, one head per department), departments, the page."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from crisisdesk.models import User
    from escalation.models import Department
    from inbox.credentials import credentials_encrypt
    from inbox.models import Channel

    departments = [
        Department.objects.create(name=f"Departamento {n}", slug=f"dept-{n}") for n in range(DEPARTMENTS)
    ]
    roles = roles_for(sockets)
    # The assigner hands mentions to the managers on duty: the team's 20; the other consoles watch.
    users = User.objects.bulk_create(
        [
            User(username=f"crisis{n}", role=role, first_name=f"U{n}", password="!", is_on_duty=n < TEAM_MANAGERS)
            for n, role in enumerate(roles)
        ]
    )
    heads = [user for user in users if user.role == "department_head"]
    designated: dict[int, dict[str, Any]] = {}
    for number, head in enumerate(heads):
        department = departments[number % DEPARTMENTS]
        department.heads.add(head)
        department.members.add(head)
        if department.pk not in designated:
            designated[department.pk] = {"user_id": head.pk, "token": Token.objects.create(user=head).key}
    consoles = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        consoles.append({"user_id": user.pk, "role": user.role, "session": session.session_key})
    channel = Channel.objects.create(
        name=CHANNEL_NAME,
        kind="facebook",
        brand="Telco",
        base_url=graph_url,
        config={"page_id": PAGE_ID},
        credentials_encrypted=credentials_encrypt({"app_secret": APP_SECRET, "access_token": "bench-page-token"}),
    )
    managers, directors = users[:TEAM_MANAGERS], users[TEAM_MANAGERS : TEAM_MANAGERS + TEAM_DIRECTORS]
    return {
        "channel_id": channel.pk,
        "consoles": consoles,
        "managers": [
            {"user_id": user.pk, "username": user.username, "token": Token.objects.create(user=user).key}
            for user in managers
        ],
        "directors": [{"user_id": user.pk, "session": consoles[users.index(user)]["session"]} for user in directors],
        "departments": [
            {"id": d.pk, "slug": d.slug, "head": designated[d.pk]["user_id"], "head_token": designated[d.pk]["token"]}
            for d in departments
        ],
    }


def history_load(*, channel_id: int, mentions: int, seed: int = 11) -> None:
    """A normal day before the crisis: `mentions` spread over the last 24 hours through `mentions_ingest`
    (received then, so the minute rollups hold the baseline the detection compares against)."""
    from django.db import connection
    from django.test import override_settings

    from inbox.models import Channel

    with override_settings(TRIAGE_MODEL_TIER=False):  # the day before was read by the model tier long ago
        _history_ingest(channel=Channel.objects.get(pk=channel_id), mentions=mentions, seed=seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _history_ingest(*, channel, mentions: int, seed: int) -> None:
    from django.utils import timezone

    from inbox.connectors.base import NormalizedAuthor, NormalizedMention
    from inbox.services import mentions_ingest

    rng = random.Random(seed)
    now = timezone.now()
    hours = 24
    for hour in range(hours):
        moment = now - timedelta(hours=hours - hour)
        batch = []
        for number in range(mentions // hours):
            author = rng.randrange(AUTHORS)
            batch.append(
                NormalizedMention(
                    external_id=f"history-{hour}-{number}",
                    text=mention_text(rng),
                    posted_at=moment - timedelta(seconds=rng.randrange(3600)),
                    author=NormalizedAuthor(external_id=f"u{author}", handle=f"Cliente {author}",
                                            display_name=f"Cliente {author}"),
                    conversation_id="page-post-1",
                )
            )
        for start in range(0, len(batch), 500):
            mentions_ingest(channel=channel, mentions=batch[start : start + 500], source="bench", now=moment)


class FakeGraph:
    """Meta's Graph API as the product sees it: every POST (a reply) is answered with a new id and counted;
    the poll of the page's recent posts finds nothing the webhooks did not already deliver."""

    def __init__(self) -> None:
        self.posts = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:  # the poll of the page's recent posts: nothing the webhooks missed
                self._answer({"data": []})

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake.lock:
                    fake.posts += 1
                    number = fake.posts
                self._answer({"id": f"reply_{number}", "success": True})

            def _answer(self, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGraph:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
