"""Fake Zendesk and Zammad ticket APIs: real HTTP servers on a free local port that check auth and JSON.

Each keeps the tickets it created, answers the look-ups the hand-off makes (Zendesk's `external_id`
filter, Zammad's search), and can be told to fail the next requests (`fail_next(503, 503)`), or to create
the ticket and then not answer (`lose_next_answer()`, a timeout after the write).
"""

from __future__ import annotations

import abc
import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

ZENDESK_EMAIL, ZENDESK_TOKEN = "agent@telco.example", "zd-api-token"
ZAMMAD_TOKEN = "zammad-api-token"
ZENDESK_FIELDS = {"subject", "comment", "requester", "priority", "external_id", "tags", "custom_fields"}
ZAMMAD_FIELDS = {"title", "group", "customer", "priority", "article"}


class FakeHelpdesk(abc.ABC):
    kind = ""

    def __init__(self) -> None:
        self.tickets: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.failures: list[int] = []
        self.lose_answers = 0
        self.lock = threading.Lock()
        helpdesk = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                parsed = urlparse(self.path)
                with helpdesk.lock:
                    helpdesk.requests.append((self.command, parsed.path, dict(self.headers.items()), body))
                    status, answer, lose = helpdesk.answer(self.command, parsed.path, parse_qs(parsed.query),
                                                           self.headers.get("Authorization", ""), body)
                if lose:
                    time.sleep(1.5)  # longer than the client waits: the ticket exists, the answer is lost
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail_next(self, *statuses: int) -> None:
        with self.lock:
            self.failures += list(statuses)

    def lose_next_answer(self) -> None:
        with self.lock:
            self.lose_answers += 1

    def creations(self) -> list[Any]:
        return [body for method, _, _, body in self.requests if method == "POST"]

    def answer(self, method: str, path: str, query: dict, authorization: str, body: Any) -> tuple[int, Any, bool]:
        problem = self.auth_problem(authorization)
        if problem:
            return 401, {"error": problem}, False
        if self.failures:
            status = self.failures.pop(0)
            return status, {"error": f"scripted failure {status}"}, False
        return self.route(method, path, query, body)

    @abc.abstractmethod
    def auth_problem(self, authorization: str) -> str:
        """Why the Authorization header is refused ("" when it is accepted): each helpdesk has its own."""

    @abc.abstractmethod
    def route(self, method: str, path: str, query: dict, body: Any) -> tuple[int, Any, bool]:
        """The helpdesk's answer to one request: status, JSON body, whether it created a ticket."""

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeZendesk(FakeHelpdesk):
    """`POST /api/v2/tickets.json` ({"ticket": {...}}, Basic `email/token:api_token`) → 201 {"ticket": {"id"}};
    `GET /api/v2/tickets.json?external_id=` → {"tickets": [...]}."""

    kind = "zendesk"

    def auth_problem(self, authorization: str) -> str:
        expected = base64.b64encode(f"{ZENDESK_EMAIL}/token:{ZENDESK_TOKEN}".encode()).decode()
        return "" if authorization == f"Basic {expected}" else "Couldn't authenticate you"

    def route(self, method: str, path: str, query: dict, body: Any) -> tuple[int, Any, bool]:
        if path != "/api/v2/tickets.json":
            return 404, {"error": "InvalidEndpoint"}, False
        if method == "GET":
            wanted = query.get("external_id", [""])[0]
            return 200, {"tickets": [t for t in self.tickets if t["external_id"] == wanted], "count": 1}, False
        ticket = body.get("ticket") if isinstance(body, dict) else None
        if not isinstance(ticket, dict) or set(ticket) - ZENDESK_FIELDS or not ticket.get("comment", {}).get("body"):
            return 422, {"error": "RecordInvalid", "description": "Record validation errors"}, False
        if ticket.get("priority") not in ("low", "normal", "high", "urgent"):
            return 422, {"error": "RecordInvalid", "details": {"priority": "is invalid"}}, False
        created = {"id": 35436 + len(self.tickets), **ticket, "status": "new"}
        self.tickets.append(created)
        lose = self.lose_answers > 0
        self.lose_answers -= 1 if lose else 0
        return 201, {"ticket": created}, lose


class FakeZammad(FakeHelpdesk):
    """`POST /api/v1/tickets` (`Authorization: Token token=…`) → 201 {"id", "number", ...};
    `GET /api/v1/tickets/search?query=…&expand=true` → a list of tickets."""

    kind = "zammad"

    def auth_problem(self, authorization: str) -> str:
        return "" if authorization == f"Token token={ZAMMAD_TOKEN}" else "authentication failed"

    def route(self, method: str, path: str, query: dict, body: Any) -> tuple[int, Any, bool]:
        if method == "GET" and path == "/api/v1/tickets/search":
            words = query.get("query", [""])[0].split('"')
            wanted = words[1] if len(words) > 2 else ""
            return 200, [t for t in self.tickets if wanted and wanted in t["title"]], False
        if method != "POST" or path != "/api/v1/tickets":
            return 404, {"error": "No route matches"}, False
        article = body.get("article") if isinstance(body, dict) else None
        if not isinstance(body, dict) or set(body) - ZAMMAD_FIELDS or not isinstance(article, dict):
            return 422, {"error": "Need title, group, customer and article"}, False
        if article.get("type") != "note" or article.get("internal") is not False or not body.get("customer"):
            return 422, {"error": "Invalid article or customer"}, False
        created = {"id": 7 + len(self.tickets), "number": f"3100{7 + len(self.tickets)}", **body}
        self.tickets.append(created)
        return 201, created, False


@pytest.fixture(name="fake_zendesk")
def fake_zendesk_fixture():
    """Import `fake_zendesk_fixture` into a test module to use the `fake_zendesk` fixture."""
    helpdesk = FakeZendesk()
    yield helpdesk
    helpdesk.stop()


@pytest.fixture(name="fake_zammad")
def fake_zammad_fixture():
    helpdesk = FakeZammad()
    yield helpdesk
    helpdesk.stop()
