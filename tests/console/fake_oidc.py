"""A small OpenID Connect provider for tests: the fake OAuth server (tests/inbox/fake_oauth.py) with what
OpenID adds, on a real HTTP port.

GET /.well-known/openid-configuration and /jwks (its RS256 key), /authorize (auto-consent for `state.person`,
with the client, the S256 challenge and the nonce checked as the OAuth server does), POST /token (the code
redeemed once, with an id_token signed for the client carrying the attempt's nonce), GET /userinfo.
`state.tamper` makes the next id_tokens wrong in one way: "signature", "audience", "nonce", "issuer", "expired".
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.inbox.fake_oauth import FakeAuthServer, FakeAuthState, _Handler

CLIENT_ID = "crisis-desk"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeOIDCState(FakeAuthState):
    issuer: str = ""
    signing_key: rsa.RSAPrivateKey = field(default_factory=_rsa_key)
    key_id: str = field(default_factory=lambda: secrets.token_hex(8))
    tamper: str = ""
    person: dict[str, Any] = field(default_factory=dict)  # the claims of whoever "signs in" at /authorize
    userinfo_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)

    def id_token(self, grant: dict[str, str]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer if self.tamper != "issuer" else "https://impostor.example",
            "sub": self.person["sub"],
            "aud": grant["client_id"] if self.tamper != "audience" else "another-client",
            "iat": now,
            "exp": now + 300 if self.tamper != "expired" else now - 600,
            "nonce": grant["nonce"] if self.tamper != "nonce" else "a-nonce-from-another-attempt",
            "email": self.person.get("email"),
            "email_verified": self.person.get("email_verified", True),
        }
        key = self.signing_key if self.tamper != "signature" else _rsa_key()
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.key_id})

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.signing_key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.key_id, "alg": "RS256", "use": "sig"}]}


class _OIDCHandler(_Handler):
    def do_GET(self) -> None:
        path = urlparse(self.path).path
        state = self.server.state
        assert isinstance(state, FakeOIDCState)
        if path == "/.well-known/openid-configuration":
            self._json(200, discovery(state.issuer))
        elif path == "/jwks":
            self._json(200, state.jwks())
        elif path == "/userinfo":
            access = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if access not in state.userinfo_tokens:
                self._json(401, {"error": "invalid_token"})
                return
            self._json(200, state.userinfo_tokens[access])
        else:
            super().do_GET()

    def _issue(self, grant: dict[str, str]) -> dict[str, Any]:
        state = self.server.state
        assert isinstance(state, FakeOIDCState)
        issued = state.issue()
        state.userinfo_tokens[issued["access_token"]] = dict(state.person)
        return {**issued, "id_token": state.id_token(grant)}


def discovery(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
    }


class FakeOIDCProvider(FakeAuthServer):
    """`start()`, then `settings_environment()` is what a deployment would put in its environment for it."""

    handler = _OIDCHandler

    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self.state.issuer = self.url
        self.client_secret = secrets.token_urlsafe(24)
        self.state.clients = {CLIENT_ID: self.client_secret}

    def new_state(self) -> FakeOIDCState:
        return FakeOIDCState()

    @property
    def state(self) -> FakeOIDCState:
        state = self._server.state
        assert isinstance(state, FakeOIDCState)
        return state

    def signs_in(self, **claims: Any) -> None:
        """Who the next visit to /authorize consents as (claims beside `sub` and `email`: groups, names…)."""
        self.state.person = {"sub": secrets.token_hex(6), "email_verified": True, **claims}

    def settings_environment(self, **extra: str) -> dict[str, str]:
        return {
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_OP_DISCOVERY": self.url,
            **extra,
        }
