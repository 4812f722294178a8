"""Acting on many mentions at once from the inbox: all of them or none."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from crisisdesk.models import User
from inbox import services

BULK_ACTIONS = ("assign", "close", "hide")
BULK_LIMIT = 100


def mentions_bulk_apply(*, action: str, mention_ids: list[int], actor: User, reason: str = "") -> int:
    """Apply one action to every mention in one transaction; returns how many were acted on.

    Each mention goes through its own service, so each is locked, audited ("mention.assign",
    "mention.close", "mention.hide" as a troll) and pushed as `mention.changed` after commit. If any
    one is refused, nothing is written and the InboxError says why.
    """
    if action not in BULK_ACTIONS:
        raise services.InboxError(_("Unknown bulk action."))
    mention_ids = list(dict.fromkeys(mention_ids))
    if not mention_ids:
        raise services.InboxError(_("Select at least one mention."))
    if len(mention_ids) > BULK_LIMIT:
        raise services.InboxError(_("Select at most %(limit)d mentions at once.") % {"limit": BULK_LIMIT})
    if action == "hide" and not reason.strip():
        raise services.InboxError(_("Say why the mentions are hidden."))
    with transaction.atomic():
        for mention_id in sorted(mention_ids):
            if action == "assign":
                services.mention_assign(mention_id=mention_id, assignee=actor, actor=actor)
            elif action == "close":
                services.mention_close(mention_id=mention_id, actor=actor)
            else:
                services.mention_hide(mention_id=mention_id, actor=actor, reason=reason, as_troll=True)
    return len(mention_ids)
