"""The signed, expiring link an alert's message carries to its phone page, "Acknowledge alert".

Signed the one way Crisis Desk signs message links (`escalation.services.links.signed_link_token`),
with its own salt: a request's token never opens an alert, nor one alert's token another. A link
sent to a person acknowledges as that person; a chat channel's (Slack, Teams) names nobody, so
whoever opens it signs in first. Refused when tampered with or after `ALERT_LINK_MAX_AGE_SECONDS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from escalation.services.links import LinkForAnother, signed_link_token, signed_link_value
from playbooks.errors import CrisisError

ALERT_LINK_SALT = "crisisdesk.playbooks.alert-link"


class AlertLinkRefused(CrisisError):
    """The link does not open this alert (tampered, expired, for another alert); safe to show."""


@dataclass(frozen=True)
class AlertGrant:
    alert_id: int
    user_id: int | None


def alert_link_token(*, alert_id: int, user_id: int | None) -> str:
    return signed_link_token(salt=ALERT_LINK_SALT, target_id=alert_id, user_id=user_id)


def alert_link_url(*, alert_id: int, user_id: int | None) -> str:
    """The absolute URL of the alert's phone page, opened by a new token."""
    token = alert_link_token(alert_id=alert_id, user_id=user_id)
    return settings.PUBLIC_BASE_URL + reverse("playbooks:alert_respond", args=[alert_id, token])


def alert_link_read(*, token: str, alert_id: int) -> AlertGrant:
    """The grant of a token presented for `alert_id`; raises AlertLinkRefused saying why not."""
    try:
        user_id, _nonce = signed_link_value(
            salt=ALERT_LINK_SALT, token=token, target_id=alert_id, max_age=settings.ALERT_LINK_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired as error:
        raise AlertLinkRefused(_("This link has expired. Open the alert from the console.")) from error
    except LinkForAnother as error:
        raise AlertLinkRefused(_("This link is not valid for this alert.")) from error
    except signing.BadSignature as error:
        raise AlertLinkRefused(_("This link is not valid.")) from error
    return AlertGrant(alert_id=alert_id, user_id=user_id)


def slack_button_value(*, alert_id: int) -> str:
    """What an alert's Slack "Acknowledge" button carries: the alert and a channel token for it."""
    return f"{alert_id}|{alert_link_token(alert_id=alert_id, user_id=None)}"


def slack_button_grant(value: str) -> AlertGrant:
    """The grant of a clicked button's value; raises AlertLinkRefused for anything we did not sign."""
    alert_id, _separator, token = value.partition("|")
    if not alert_id.isdigit() or not token:
        raise AlertLinkRefused(_("This link is not valid."))
    return alert_link_read(token=token, alert_id=int(alert_id))
