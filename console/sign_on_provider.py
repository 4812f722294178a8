"""The OpenID Connect provider as mozilla-django-oidc sees it: its endpoints, read from the settings or from its
discovery document, and the backend that turns its answer into a Crisis Desk user (`console.sign_on`).

What the library leaves open is closed here: the id_token's audience, issuer, expiry and issue time are
checked (the library checks the signature, the algorithm and the nonce but not the audience), the userinfo's
subject must be the id_token's, and the backend answers only the callback's call, so a password login never
reaches the provider.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from console.sign_on import SignOnRefused, SignOnRules, SignOnUnavailable, sign_on_user
from crisisdesk.models import User

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_CACHE_SECONDS = 3600
# The settings a discovery document fills in when they are not set one by one.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_ISSUER": "issuer",
}
CLOCK_SKEW_SECONDS = 60


def discovery_url() -> str:
    base = str(getattr(settings, "OIDC_OP_DISCOVERY", "")).rstrip("/")
    return base if base.endswith(DISCOVERY_PATH) else base + DISCOVERY_PATH


def provider_metadata() -> dict[str, Any]:
    """The provider's discovery document, fetched once an hour; its issuer must be the URL it was fetched from
    (OpenID Connect Discovery §4.3)."""
    url = discovery_url()
    key = "sign-on:discovery:" + hashlib.sha256(url.encode()).hexdigest()
    metadata = cache.get(key)
    if metadata is None:
        try:
            response = requests.get(url, timeout=getattr(settings, "OIDC_TIMEOUT", 10))
            response.raise_for_status()
            metadata = response.json()
        except (requests.RequestException, ValueError) as error:
            raise SignOnUnavailable(f"discovery at {url} failed: {error}") from error
        names = DISCOVERED.values()
        if not isinstance(metadata, dict) or not all(isinstance(metadata.get(name), str) for name in names):
            raise SignOnUnavailable(f"discovery at {url} lacks the endpoints")
        if metadata["issuer"].rstrip("/") + DISCOVERY_PATH != url:
            raise SignOnUnavailable(f"discovery at {url} names another issuer, {metadata['issuer']}")
        cache.set(key, metadata, DISCOVERY_CACHE_SECONDS)
    return metadata


def sign_on_setting(name: str, *default: Any) -> Any:
    """The library's `import_from_settings`, with the endpoints and the issuer taken from the discovery
    document when OIDC_OP_DISCOVERY is set and they are not."""
    if name in DISCOVERED and not import_from_settings(name, "") and import_from_settings("OIDC_OP_DISCOVERY", ""):
        return provider_metadata()[DISCOVERED[name]]
    return import_from_settings(name, *default)


def _refusal(error: Exception) -> Exception:
    if isinstance(error, requests.HTTPError) and error.response is not None and error.response.status_code < 500:
        return SignOnRefused(_("Your company's sign-in did not accept this attempt. Start again."))
    if isinstance(error, requests.RequestException):
        return SignOnUnavailable(str(error))
    return SignOnRefused(_("Your company's sign-in answered with a token that could not be verified."))


class DepartmentSignOnBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with its settings read when used (the backend is built for every
    `authenticate()`, password logins included, and must not fetch the discovery document then)."""

    get_settings = staticmethod(sign_on_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return str(sign_on_setting("OIDC_OP_TOKEN_ENDPOINT"))

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return str(sign_on_setting("OIDC_OP_USER_ENDPOINT"))

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return str(sign_on_setting("OIDC_OP_JWKS_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(sign_on_setting("OIDC_RP_CLIENT_ID"))

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(sign_on_setting("OIDC_RP_CLIENT_SECRET"))

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:
        return str(sign_on_setting("OIDC_RP_SIGN_ALGO", "RS256"))

    OIDC_RP_IDP_SIGN_KEY = None  # the key always comes from the provider's JWKS

    def authenticate(
        self, request: HttpRequest | None, nonce: str | None = None, code_verifier: str | None = None
    ) -> User | None:
        """Only the callback's call, which carries the attempt's nonce, goes to the provider: a password
        login's credentials do not fit this signature, so Django never hands them here."""
        if request is None or nonce is None:
            return None
        try:
            return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        except (SuspiciousOperation, jwt.PyJWTError, requests.RequestException, KeyError, ValueError) as error:
            logger.warning("Single sign-on refused: %s", error)
            raise _refusal(error) from error

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        """The signature with the configured algorithm only, and the claims the library does not check: the
        audience is this client (and the authorised party, when there are several), the issuer the provider's."""
        algorithm = self.OIDC_RP_SIGN_ALGO
        if jwt.get_unverified_header(payload).get("alg") != algorithm:
            raise SuspiciousOperation("The id_token is not signed with " + algorithm)
        issuer = sign_on_setting("OIDC_OP_ISSUER", "") or None
        claims: dict[str, Any] = jwt.decode(
            payload,
            key,
            algorithms=[algorithm],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iat", "sub", "aud"] + (["iss"] if issuer else [])},
        )
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("The id_token was issued to another party")
        return claims

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        """The userinfo must describe the id_token's subject (OpenID Connect Core §5.3.2); the two together are
        the claims `console.sign_on` decides on."""
        user_info = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(user_info, dict) or user_info.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo describes another subject than the id_token")
        return sign_on_user(claims={**payload, **user_info}, rules=SignOnRules.from_settings())
