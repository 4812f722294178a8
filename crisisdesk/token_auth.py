"""API tokens checked against a short-lived cache of their owner, emptied the moment a token or its user changes.

DRF's `TokenAuthentication` reads the token and its user from PostgreSQL on every call: under load that
one query was the largest piece of an API request (12 % of a web process's time in py-spy on
bench/load.py). Here a token's row with its user is kept for `TOKEN_CACHE_SECONDS` under a digest of
the key (the key itself is never a cache key; the user's row, password hash included, is kept as the
session store keeps it), and forgotten when the token is deleted (revoked,
replaced, its user's credentials ended) or the user is saved (role, department, deactivation), both
at once and again after the transaction commits, so a request that read the old rows meanwhile cannot
put them back. Sessions, tokens and sockets still end together.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from crisisdesk.models import User

logger = logging.getLogger(__name__)

API_CALLER_SLOT = "api-token:v1:{}"


def token_cache_key(key: str) -> str:
    return API_CALLER_SLOT.format(hashlib.blake2b(key.encode(), digest_size=20).hexdigest())


class CachedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's, with the token's row and user cached (see the module)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        seconds = settings.TOKEN_CACHE_SECONDS
        cached = None
        if seconds:
            try:
                cached = cache.get(token_cache_key(key))
            except Exception:
                logger.warning("The token cache did not answer; reading the token itself", exc_info=True)
        if not isinstance(cached, Token) or cached.key != key:
            user, token = super().authenticate_credentials(key)
            if seconds:
                _token_keep(token, seconds)
            return user, token
        if not cached.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return cached.user, cached


def _token_keep(token: Token, seconds: int) -> None:
    try:
        cache.set(token_cache_key(token.key), token, seconds)
    except Exception:
        logger.warning("Could not cache a token", exc_info=True)


def tokens_forget(keys: list[str]) -> None:
    """Drop the cached tokens now and once more after the transaction that changed them commits."""
    if not keys:
        return
    cache_keys = [token_cache_key(key) for key in keys]

    def forget() -> None:
        try:
            cache.delete_many(cache_keys)
        except Exception:
            logger.exception("Could not forget cached tokens; they expire within TOKEN_CACHE_SECONDS")

    forget()
    transaction.on_commit(forget)


def _token_changed(sender, instance: Token, **kwargs) -> None:
    tokens_forget([instance.key])


def _user_saved(sender, instance: User, created: bool, **kwargs) -> None:
    if not created:
        tokens_forget(list(Token.objects.filter(user_id=instance.pk).values_list("key", flat=True)))


def token_cache_connect() -> None:
    """Called from the app's `ready()`."""
    post_delete.connect(_token_changed, sender=Token, dispatch_uid="crisisdesk.token_auth.deleted")
    post_save.connect(_token_changed, sender=Token, dispatch_uid="crisisdesk.token_auth.saved")
    post_save.connect(_user_saved, sender=User, dispatch_uid="crisisdesk.token_auth.user")
