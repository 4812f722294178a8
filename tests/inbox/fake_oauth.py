"""A small OAuth 2.0 authorisation server with PKCE, for tests: a real HTTP server on a free port.

Endpoints: GET /authorize (checks the client and the S256 challenge, redirects back with code and
state, or `error=access_denied` when `deny` is set), POST /token and /2/oauth2/token (client auth,
the code's verifier against its challenge, single-use codes and refresh tokens), POST /revoke and
/2/oauth2/revoke, and the "who am I" reads: /2/users/me (X), /me (Meta),
/api/v1/accounts/verify_credentials (Mastodon), /channels (YouTube), /applications/<package>/reviews
(Google Play); GET /access_token trades a short-lived Threads token for a long-lived one, and a client may send
its secret as a form field (Threads). Meta's Page steps: POST /oauth/access_token with grant_type=fb_exchange_token
(a long-lived user token), /me/accounts (the Pages with their tokens), /debug_token, and POST
/<page>/subscribed_apps.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class FakeAuthState:
    clients: dict[str, str] = field(default_factory=lambda: {"test-client": "test-secret"})
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    revoked: list[str] = field(default_factory=list)
    exchanged: list[str] = field(default_factory=list)  # short-lived Threads tokens traded for long-lived ones
    token_requests: list[dict[str, str]] = field(default_factory=list)
    deny: bool = False
    token_status: int = 200  # set to 400 to refuse every token request
    expires_in: int = 7200
    user: dict[str, str] = field(default_factory=lambda: {"id": "2244994945", "username": "brand_support"})
    pages: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": "1122334455", "name": "Telco Support", "instagram_business_account": {"id": "1789"}}
        ]
    )
    page_tokens: dict[str, str] = field(default_factory=dict)  # Page token -> Page id
    exchanges: list[dict[str, str]] = field(default_factory=list)
    subscriptions: list[tuple[str, str]] = field(default_factory=list)  # (Page id, subscribed_fields)
    page_token_expires_at: int = 0  # what debug_token reports: 0 = never

    def issue(self) -> dict[str, Any]:
        access, refresh = "at-" + secrets.token_urlsafe(16), "rt-" + secrets.token_urlsafe(16)
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return {"access_token": access, "refresh_token": refresh, "expires_in": self.expires_in, "token_type": "bearer"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, url: str) -> None:
        self.send_response(302)
        self.send_header("Location", url)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        state = self.server.state
        if url.path == "/authorize":
            self._authorize(query)
            return
        if url.path == "/debug_token":
            self._meta_app_call(url.path, query)
            return
        token = self.headers.get("Authorization", "").removeprefix("Bearer ") or query.get("access_token", "")
        if token not in state.access_tokens:
            self._json(401, {"error": "invalid_token"})
            return
        if url.path == "/access_token":
            self._long_lived(query)
        elif url.path == "/2/users/me":
            self._json(200, {"data": state.user})
        elif url.path == "/me/accounts":
            rows = []
            for page in state.pages:
                page_token = "page-" + secrets.token_urlsafe(12)
                state.page_tokens[page_token] = page["id"]
                state.access_tokens.add(page_token)
                rows.append({**page, "access_token": page_token, "tasks": ["MODERATE", "MANAGE"]})
            self._json(200, {"data": rows, "paging": {"cursors": {"before": "b", "after": "a"}}})
        elif url.path == "/me" and token in state.page_tokens:
            page = next(page for page in state.pages if page["id"] == state.page_tokens[token])
            self._json(200, {"id": page["id"], "name": page["name"]})
        elif url.path == "/me":
            self._json(200, {"id": state.user["id"], "name": state.user["username"]})
        elif url.path.startswith("/applications/") and url.path.endswith("/reviews"):
            self._json(200, {})
        elif url.path == "/channels":
            self._json(200, {"items": [{"id": "UC123", "snippet": {"title": state.user["username"]}}]})
        elif url.path == "/api/v1/accounts/verify_credentials":
            self._json(200, {"id": state.user["id"], "acct": state.user["username"]})
        else:
            self._json(404, {"error": "not_found"})

    def _long_lived(self, query: dict[str, str]) -> None:
        """Threads: a short-lived token and the app secret, in the query, for a long-lived token."""
        state = self.server.state
        if query.get("grant_type") != "th_exchange_token" or query.get("client_secret") not in state.clients.values():
            self._json(400, {"error": {"message": "Invalid client_secret", "type": "OAuthException", "code": 101}})
            return
        state.access_tokens.discard(query["access_token"])
        state.exchanged.append(query["access_token"])
        long_lived = "th-" + secrets.token_urlsafe(16)
        state.access_tokens.add(long_lived)
        self._json(200, {"access_token": long_lived, "token_type": "bearer", "expires_in": 5183944})

    def _meta_app_call(self, path: str, query: dict[str, str]) -> None:
        """Meta's calls authenticated by the app itself: the long-lived exchange and debug_token."""
        state = self.server.state
        if path == "/oauth/access_token":
            if state.clients.get(query.get("client_id", "")) != query.get("client_secret") or query.get(
                "fb_exchange_token"
            ) not in state.access_tokens or query.get("grant_type") != "fb_exchange_token":
                self._json(400, {"error": {"message": "Invalid exchange", "type": "OAuthException", "code": 100}})
                return
            state.exchanges.append({"client_id": query["client_id"], "fb_exchange_token": query["fb_exchange_token"]})
            long_lived = "ll-" + secrets.token_urlsafe(16)
            state.access_tokens.add(long_lived)
            self._json(200, {"access_token": long_lived, "token_type": "bearer", "expires_in": 5183944})
            return
        app_id, _, app_secret = self.headers.get("Authorization", "").removeprefix("Bearer ").partition("|")
        if state.clients.get(app_id) != app_secret:
            self._json(400, {"error": {"message": "Invalid app token", "code": 190}})
            return
        page = state.page_tokens.get(query.get("input_token", ""))
        self._json(200, {"data": {"app_id": app_id, "type": "PAGE", "is_valid": page is not None, "profile_id": page,
                                  "expires_at": state.page_token_expires_at, "data_access_expires_at": 1798761600,
                                  "scopes": ["pages_manage_metadata", "pages_manage_engagement"]}})

    def _authorize(self, query: dict[str, str]) -> None:
        state = self.server.state
        if query.get("client_id") not in state.clients or query.get("response_type") != "code":
            self._json(400, {"error": "invalid_client"})
            return
        if query.get("code_challenge_method") != "S256" or len(query.get("code_challenge", "")) != 43:
            self._json(400, {"error": "invalid_request", "error_description": "S256 code challenge required"})
            return
        back = query["redirect_uri"]
        if state.deny:
            self._redirect(f"{back}?{urlencode({'error': 'access_denied', 'state': query.get('state', '')})}")
            return
        code = "code-" + secrets.token_urlsafe(12)
        state.codes[code] = {
            "challenge": query["code_challenge"], "redirect_uri": back, "client_id": query["client_id"],
            "nonce": query.get("nonce", ""),
        }
        self._redirect(f"{back}?{urlencode({'code': code, 'state': query.get('state', '')})}")

    def do_POST(self) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
        state = self.server.state
        if url.path == "/oauth/access_token":
            self._meta_app_call(url.path, form)
            return
        if url.path.endswith("/subscribed_apps"):
            page_id = url.path.split("/")[1]
            if state.page_tokens.get(form.get("access_token", "")) != page_id:
                self._json(400, {"error": {"message": "A Page access token is required", "code": 210}})
                return
            state.subscriptions.append((page_id, form.get("subscribed_fields", "")))
            self._json(200, {"success": True})
            return
        client_id = self._client(form)
        if client_id is None:
            self._json(401, {"error": "invalid_client"})
            return
        if url.path in ("/revoke", "/2/oauth2/revoke"):
            state.revoked.append(form.get("token", ""))
            state.access_tokens.discard(form.get("token", ""))
            state.refresh_tokens.discard(form.get("token", ""))
            self._json(200, {"revoked": True})
        elif url.path in ("/token", "/2/oauth2/token"):
            state.token_requests.append({key: value for key, value in form.items() if key == "grant_type"})
            self._token(form, client_id)
        else:
            self._json(404, {"error": "not_found"})

    def _client(self, form: dict[str, str]) -> str | None:
        """HTTP Basic for a confidential client; a public client (no secret) names itself in the body."""
        clients = self.server.state.clients
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return client_id if clients.get(client_id) == secret else None
        client_id = form.get("client_id", "")
        if "client_secret" in form:  # Threads: the client's secret as a form field
            return client_id if clients.get(client_id) == form["client_secret"] else None
        return client_id if client_id in clients and not clients[client_id] else None

    def _token(self, form: dict[str, str], client_id: str) -> None:
        state = self.server.state
        if state.token_status >= 400:
            self._json(state.token_status, {"error": "invalid_grant", "error_description": "refused by the test"})
            return
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in state.refresh_tokens:
                self._json(400, {"error": "invalid_grant"})
                return
            state.refresh_tokens.discard(form["refresh_token"])
            self._json(200, state.issue())
            return
        grant = state.codes.pop(form.get("code", ""), None)
        if grant is None or grant["client_id"] != client_id or grant["redirect_uri"] != form.get("redirect_uri"):
            self._json(400, {"error": "invalid_grant"})
            return
        if s256(form.get("code_verifier", "")) != grant["challenge"]:
            self._json(400, {"error": "invalid_grant", "error_description": "code_verifier does not match"})
            return
        self._json(200, self._issue(grant))

    def _issue(self, grant: dict[str, str]) -> dict[str, Any]:
        """The token response for a redeemed code (the OpenID provider adds its id_token)."""
        return self.server.state.issue()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, handler: type[_Handler], state: FakeAuthState) -> None:
        super().__init__(("127.0.0.1", port), handler)
        self.state = state


class FakeAuthServer:
    """Start with `start()`; `url` is its root; `state` is what it saw and issued."""

    handler: type[_Handler] = _Handler

    def __init__(self, port: int = 0) -> None:
        self._server = _Server(port, self.handler, self.new_state())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def new_state(self) -> FakeAuthState:
        return FakeAuthState()

    @property
    def state(self) -> FakeAuthState:
        return self._server.state

    def start(self) -> FakeAuthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def providers(self, *, client_id: str = "test-client", client_secret: str = "test-secret") -> dict[str, dict]:
        """OAUTH_PROVIDERS pointing every network at this server."""
        entry = {
            "authorize_url": f"{self.url}/authorize", "token_url": f"{self.url}/token",
            "revoke_url": f"{self.url}/revoke", "api_url": self.url, "scope": "read write",
            "client_id": client_id, "client_secret": client_secret,
        }
        names = ("x", "mastodon", "meta", "google", "google_business", "threads", "googleplay")
        return {name: dict(entry) for name in names}
