"""Sessions, tokens and sockets end together.

A password change or a deactivation ends everything a user was let in with: the API tokens are
revoked (each audited) and every open console socket is closed. Other login sessions end on their
own, because Django checks each session's hash of the password on every request (the session that
changed the password keeps going through `update_session_auth_hash`). A logout closes the sockets
of that session. A change of role or of departments closes the user's sockets with another code,
so the console reconnects at once into the groups its access now allows and re-loads its state.

`console.signals` calls these from the User and Department saves, whatever made the change: the
admin, a form, `set_password()` and `save()`, the `changepassword` command.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from crisisdesk.realtime import (
    CLOSE_ACCESS_CHANGED,
    CLOSE_SESSION_ENDED,
    event,
    group_for_session,
    group_for_user,
    sockets_close_on_commit,
)
from integrations.services import api_tokens_revoke

LOGIN_CHANGED = "password_changed"  # the password was set anew
DEACTIVATED = "deactivated"
WATCHED_FIELDS = ("password", "is_active", "role", "is_superuser")


@dataclass(frozen=True)
class AccessChange:
    ended_by: str | None  # LOGIN_CHANGED, DEACTIVATED or None
    rescoped: bool


def user_access_change(*, user: User, update_fields: Iterable[str] | None) -> AccessChange | None:
    """What saving `user` is about to change in its access, read before the save (one query, and none
    when `update_fields` names no watched field, as a login's `last_login` update does)."""
    if user.pk is None:
        return None
    fields = None if update_fields is None else frozenset(update_fields)
    if fields is not None and not fields & set(WATCHED_FIELDS):
        return None
    before = User.objects.filter(pk=user.pk).values(*WATCHED_FIELDS).first()
    if before is None:
        return None
    # check_password() re-hashes under a newer hasher and saves only the password, with no new password
    # pending (`_password`): the same secret, so nothing ends.
    rehashed = fields == frozenset({"password"}) and getattr(user, "_password", None) is None
    # A first password (none stored yet, as right after a bare create) ends no earlier credential.
    password_changed = bool(before["password"]) and before["password"] != user.password and not rehashed
    deactivated = before["is_active"] and not user.is_active
    ended_by = DEACTIVATED if deactivated else LOGIN_CHANGED if password_changed else None
    rescoped = before["role"] != user.role or before["is_superuser"] != user.is_superuser
    if ended_by is None and not rescoped:
        return None
    return AccessChange(ended_by=ended_by, rescoped=rescoped)


def user_access_apply(*, user: User, change: AccessChange) -> None:
    if change.ended_by is not None:
        user_access_end(user=user, reason=change.ended_by)
    elif change.rescoped:
        users_access_rescope(user_ids=[user.pk], reason="role_changed")


def user_access_end(*, user: User, reason: str) -> int:
    """Revoke every API token of the user (each audited with `reason`), record the change, and after
    commit close every open socket of the user (4401, event `session.ended`). Safe to run twice: the
    second revokes nothing. Returns how many tokens were revoked."""
    with transaction.atomic():
        revoked = api_tokens_revoke(user=user, actor=None, reason=reason)
        audit_record(actor=None, verb=f"user.{reason}", target=user, data={"tokens_revoked": revoked})
        sockets_close_on_commit(
            [group_for_user(user.pk)], event("session.ended", reason=reason), code=CLOSE_SESSION_ENDED
        )
    return revoked


def users_access_rescope(*, user_ids: Iterable[int], reason: str) -> None:
    """After commit, close the users' sockets with 4409 (event `access.changed`): the console reconnects
    and joins only the groups that the new role and departments allow."""
    groups = [group_for_user(user_id) for user_id in sorted(set(user_ids))]
    if groups:
        sockets_close_on_commit(groups, event("access.changed", reason=reason), code=CLOSE_ACCESS_CHANGED)


def session_sockets_close(*, session_key: str) -> None:
    """Logout: the sockets opened under that session close (4401); the user's other sessions go on."""
    sockets_close_on_commit(
        [group_for_session(session_key)], event("session.ended", reason="logged_out"), code=CLOSE_SESSION_ENDED
    )
