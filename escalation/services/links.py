"""The signed, expiring link to one request's phone page, and the actions taken through it.

The link is the credential (docs/ESCALATION.md): a `TimestampSigner` value with its own salt that
names one request, the person it was sent to (none for a department's chat channel: then the
visitor must sign in) and a random nonce. It is refused for any other request, once tampered
with, after `ESCALATION_LINK_MAX_AGE_SECONDS`, and for an action it has already taken: each use
inserts a `LinkUse` row (unique on nonce and action) in the same transaction as the action
(`link_actions`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from crisisdesk.models import User
from escalation.models import LinkUse
from escalation.services.errors import EscalationError

LINK_SALT = "crisisdesk.escalation.request-link"


class LinkRefused(EscalationError):
    """The link does not open this request (tampered, expired, for another request); safe to show."""


@dataclass(frozen=True)
class LinkGrant:
    """What a valid link allows: one request, as one person (or as whoever signs in), under one nonce."""

    request_id: int
    user_id: int | None
    nonce: str


class LinkForAnother(signing.BadSignature):
    """A genuine token, but for another object than the one it was presented for."""


def signed_link_token(*, salt: str, target_id: int, user_id: int | None) -> str:
    """A new signed, timestamped token naming one object (by id) and one person (None: a shared channel).

    The one way Crisis Desk signs the links its messages carry (requests here, alerts in playbooks):
    each kind of link has its own salt, so a token of one kind never opens another.
    """
    signer = signing.TimestampSigner(salt=salt)
    return signer.sign_object({"r": target_id, "u": user_id, "n": secrets.token_hex(8)}, compress=False)


def signed_link_value(*, salt: str, token: str, target_id: int, max_age: int) -> tuple[int | None, str]:
    """(person id or None, nonce) of a token for `target_id`; raises `signing.SignatureExpired` for an
    old one, `signing.BadSignature` for a tampered one or one naming another object."""
    value: Any = signing.TimestampSigner(salt=salt).unsign_object(token, max_age=max_age)
    if not isinstance(value, dict) or value.get("r") != target_id:
        raise LinkForAnother("the token names another object")
    user_id = value.get("u")
    return (user_id if isinstance(user_id, int) else None), str(value.get("n", ""))


def request_link_token(*, request_id: int, user_id: int | None) -> str:
    """A new signed token for one request, for one person (or None: a department's shared channel)."""
    return signed_link_token(salt=LINK_SALT, target_id=request_id, user_id=user_id)


def request_link_url(*, request_id: int, user_id: int | None) -> str:
    """The absolute URL a notification carries: the request's phone page, opened by its token."""
    token = request_link_token(request_id=request_id, user_id=user_id)
    return settings.PUBLIC_BASE_URL + reverse("escalation:respond", args=[request_id, token])


def request_link_read(*, token: str, request_id: int) -> LinkGrant:
    """The grant of a token presented for `request_id`; raises LinkRefused saying why not."""
    try:
        user_id, nonce = signed_link_value(
            salt=LINK_SALT, token=token, target_id=request_id, max_age=settings.ESCALATION_LINK_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired as error:
        raise LinkRefused(_("This link has expired. Open the request from the escalation desk.")) from error
    except LinkForAnother as error:
        raise LinkRefused(_("This link is not valid for this request.")) from error
    except signing.BadSignature as error:
        raise LinkRefused(_("This link is not valid.")) from error
    return LinkGrant(request_id=request_id, user_id=user_id, nonce=nonce)


def link_actor(*, grant: LinkGrant, visitor: User | None) -> User | None:
    """Who acts through the link: the person it was sent to, or the signed-in visitor of a channel's link."""
    if grant.user_id is not None:
        return User.objects.filter(pk=grant.user_id, is_active=True).first()
    return visitor


def link_used_actions(*, grant: LinkGrant) -> set[str]:
    """The actions this link has already taken (each may be taken once)."""
    return set(LinkUse.objects.filter(nonce=grant.nonce).values_list("action", flat=True))
