"""API tokens: one per user, created and revoked by the user or, when credentials end, by the system."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from crisisdesk.audit import audit_record
from crisisdesk.models import User

TOKEN_PREFIX_LENGTH = 6


def api_token_create(*, user: User, via: str = "console") -> Token:
    """Give the user a new API token, revoking any previous one. Audited with the key's prefix only.

    The caller shows `token.key` once; lists show only its first characters.
    """
    with transaction.atomic():
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
        replaced, _ = Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        audit_record(
            actor=user,
            verb="api_token.create",
            target=user,
            data={"prefix": token.key[:TOKEN_PREFIX_LENGTH], "replaced": bool(replaced), "via": via},
        )
    return token


def api_token_revoke(*, user: User) -> bool:
    """Delete the user's API token at their own request; False when there was none. Audited when one was revoked."""
    return api_tokens_revoke(user=user, actor=user) > 0


def api_tokens_revoke(*, user: User, actor: User | None, reason: str | None = None) -> int:
    """Delete every API token of the user, one `api_token.revoke` audit event each (prefix only, and the
    reason when the system revoked them). Returns how many there were; idempotent."""
    with transaction.atomic():
        tokens = list(Token.objects.select_for_update(no_key=True).filter(user=user))
        for token in tokens:
            data = {"prefix": token.key[:TOKEN_PREFIX_LENGTH]}
            if reason:
                data["reason"] = reason
            audit_record(actor=actor, verb="api_token.revoke", target=user, data=data)
        Token.objects.filter(pk__in=[token.pk for token in tokens]).delete()
    return len(tokens)
