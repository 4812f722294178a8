"""Channel credentials, encrypted at rest with the key from the environment (CREDENTIALS_KEY)."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


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
