"""A scriptable stand-in for a social platform's API: a real HTTP server on a free local port.

Tests script responses per (method, path) — status, JSON or raw body, headers, a delay — and read
back every request the connector really sent (query, headers, body). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())


class FakePlatform:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.checks: dict[tuple[str, str], Callable[[Received], str]] = {}
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        platform = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _serve(self) -> None:
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                received = Received(
                    self.command, parsed.path, parse_qs(parsed.query), dict(self.headers.items()), body
                )
                with platform.lock:
                    platform.requests.append(received)
                    check = platform.checks.get((self.command, parsed.path))
                    problem = check(received) if check else ""
                    queue = platform.routes.get((self.command, parsed.path))
                    if problem:
                        reply = Reply(400, {"error": {"message": problem, "type": "FakePlatformShapeCheck"}})
                    else:
                        reply = (
                            (queue.pop(0) if len(queue) > 1 else queue[0])
                            if queue
                            else Reply(404, {"error": "no route"})
                        )
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body if reply.body is not None else json.dumps(reply.json).encode()
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json"} | reply.headers
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (a timeout test); nothing to send

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Answer (method, path) with these replies in order; the last one repeats."""
        with self.lock:
            self.routes[(method, path)] = list(replies)

    def expect(self, method: str, path: str, check: Callable[[Received], str]) -> None:
        """Answer 400 to a request to (method, path) that `check` finds wrong (it returns the problem, or "")."""
        with self.lock:
            self.checks[(method, path)] = check

    def meta_private_replies(self, account_id: str, *, message_id: str = "m_private_1") -> None:
        """Meta's Send API on the account, as its private replies use it: `POST /{page-id}/messages` with
        `recipient: {"comment_id"}` (or `post_id`) and `message: {"text"}` in a JSON body, the page token in
        `access_token`. Answers as the Send API does: `{"recipient_id", "message_id"}`.
        (developers.facebook.com/docs/messenger-platform/discovery/private-replies; Instagram's
        developers.facebook.com/docs/instagram-platform/private-replies takes the same body.)"""
        path = f"/{account_id}/messages"

        def check(request: Received) -> str:
            body = _json_or_none(request.body)
            if not request.query.get("access_token"):
                return "access_token is missing"
            if not isinstance(body, dict) or set(body) != {"recipient", "message"}:
                return "the body must be {recipient, message}"
            recipient, message = body["recipient"], body["message"]
            if not isinstance(recipient, dict) or len(recipient) != 1 or set(recipient) - {"comment_id", "post_id"}:
                return "recipient must name one comment_id or post_id"
            if not isinstance(message, dict) or set(message) != {"text"} or not message["text"]:
                return "message must be {text}"
            return ""

        self.expect("POST", path, check)
        self.script("POST", path, Reply(200, {"recipient_id": "1254477777772919", "message_id": message_id}))

    def x_direct_messages(self, participant_id: str, *, event_id: str = "1582838223935680512") -> None:
        """X API v2 `POST /2/dm_conversations/with/:participant_id/messages`: a JSON `{"text"}` with a user
        token; answers 201 `{"data": {"dm_conversation_id", "dm_event_id"}}`
        (docs.x.com, Direct Messages, "Create DM message by participant ID")."""
        path = f"/2/dm_conversations/with/{participant_id}/messages"

        def check(request: Received) -> str:
            body = _json_or_none(request.body)
            if not request.headers.get("Authorization", "").startswith("Bearer "):
                return "a user token is needed"
            if not isinstance(body, dict) or set(body) != {"text"} or not body["text"]:
                return "the body must be {text}"
            return ""

        self.expect("POST", path, check)
        conversation = f"{participant_id}-42"
        self.script("POST", path, Reply(201, {"data": {"dm_conversation_id": conversation, "dm_event_id": event_id}}))

    def mastodon_direct_statuses(self, *, status_id: str = "109999") -> None:
        """Mastodon's private message: `POST /api/v1/statuses` with `visibility: "direct"` and the author
        mentioned in `status` (docs.joinmastodon.org/methods/statuses/#create); answers the new Status."""

        def check(request: Received) -> str:
            body = _json_or_none(request.body)
            if not isinstance(body, dict) or body.get("visibility") != "direct":
                return "a private message is a direct status"
            if "@" not in str(body.get("status") or ""):
                return "a direct status reaches only whom it mentions"
            return ""

        self.expect("POST", "/api/v1/statuses", check)
        self.script("POST", "/api/v1/statuses", Reply(200, {"id": status_id, "visibility": "direct"}))

    def received(self, method: str, path: str) -> list[Received]:
        with self.lock:
            return [request for request in self.requests if request.method == method and request.path == path]

    def start(self) -> FakePlatform:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


@pytest.fixture(name="fake_platform")
def fake_platform_fixture():
    """Import `fake_platform_fixture` into a test module to use the `fake_platform` fixture."""
    platform = FakePlatform().start()
    yield platform
    platform.stop()
