"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that records every request it gets.

It answers `users.info` from a directory of members (Slack id → e-mail, in the documented user
object of fixtures/slack/users_info.json), `views.open` with a new view id, and any `/actions/…`
path as a message's `response_url` does. Tests read `requests` to check the method, path, headers
and JSON body of each call the product made.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "slack"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeSlack:
    base_url: str = ""
    members: dict[str, str] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    def response_url(self, name: str = "T111/111/random-value") -> str:
        return f"{self.base_url}/actions/{name}"

    def calls(self, path: str) -> list[Received]:
        return [request for request in self.requests if request.path == path]

    def answer(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if path == "/api/users.info":
            member = (query.get("user") or [""])[0]
            if member not in self.members:
                return 200, {"ok": False, "error": "user_not_found"}
            user_info = fixture("users_info.json")
            user = copy.deepcopy(user_info["user"])
            user["id"] = member
            user["profile"]["email"] = self.members[member]
            return 200, {"ok": True, "user": user}
        if path == "/api/views.open" and method == "POST":
            return 200, {"ok": True, "view": {"id": "V0FAKE0001", "type": "modal"}}
        if path.startswith("/actions/") and method == "POST":
            return 200, {"ok": True}
        return 404, {"ok": False, "error": "unknown_method"}


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw) if raw and "json" in (self.headers.get("Content-Type") or "") else raw.decode()
            query = parse_qs(parts.query)
            fake.requests.append(Received(self.command, parts.path, query, dict(self.headers.items()), body))
            status, answer = fake.answer(self.command, parts.path, query)
            encoded = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
            return

    return Handler


@contextmanager
def fake_slack_server() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
