"""A scriptable stand-in for a social platform's API: a real HTTP server on a free local port.

Tests script responses per (method, path) — status, JSON or raw body, headers, a delay — and read
back every request the connector really sent (query, headers, body). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
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
                with platform.lock:
                    platform.requests.append(
                        Received(
                            self.command,
                            parsed.path,
                            parse_qs(parsed.query),
                            dict(self.headers.items()),
                            body,
                        )
                    )
                    queue = platform.routes.get((self.command, parsed.path))
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

    def received(self, method: str, path: str) -> list[Received]:
        with self.lock:
            return [request for request in self.requests if request.method == method and request.path == path]

    def start(self) -> FakePlatform:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(name="fake_platform")
def fake_platform_fixture():
    """Import `fake_platform_fixture` into a test module to use the `fake_platform` fixture."""
    platform = FakePlatform().start()
    yield platform
    platform.stop()
