"""Channel credentials, encrypted at rest with the key from the environment (CREDENTIALS_KEY)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction

from inbox.models import Channel


def _fernet() -> Fernet:
    key = settings.CREDENTIALS_KEY
    if not key:
        # Embedded demo: derive a key from SECRET_KEY so that nothing needs configuring.
        key = base64.urlsafe_b64encode(hashlib.sha256(settings.SECRET_KEY.encode()).digest()).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def credentials_encrypt(credentials: dict) -> str:
    if not credentials:
        return ""
    return _fernet().encrypt(json.dumps(credentials).encode()).decode()


def credentials_decrypt(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as error:
        raise ValueError("Channel credentials cannot be decrypted with the configured key.") from error


def channel_credentials_update(*, channel_id: int, update: Callable[[dict], dict]) -> dict:
    """Apply `update` to a channel's stored credentials under a row lock and store what it returns.

    Used by connectors that renew their own tokens (OAuth 2.0 refresh): the lock makes two workers
    renewing at once take turns, and the second one sees the first one's new token in `update`'s
    argument instead of spending a single-use refresh token twice. Returns the stored credentials.
    """
    with transaction.atomic():
        channel = Channel.objects.select_for_update(no_key=True).only("pk", "credentials_encrypted").get(pk=channel_id)
        current = credentials_decrypt(channel.credentials_encrypted)
        updated = update(dict(current))
        if updated != current:
            channel.credentials_encrypted = credentials_encrypt(updated)
            channel.save(update_fields=["credentials_encrypted"])
    return updated
