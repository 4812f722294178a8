"""The composer's pre-send checks, run on a brand post: a scheduled post, or a statement sent to a channel.

The same rules as a reply, from the same code: the network's length counted its way (`reply_length`)
and the warnings of `composer.reply_checks` (tone, spelling, cheerful words during a crisis). A post
adds no signature, and there is no troll to feed. The refusal blocks; the warnings only advise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from inbox import hooks
from inbox.composer import ReplyWarning, reply_checks
from inbox.models import ChannelKind
from inbox.reply_length import post_limit, reply_length


@dataclass(frozen=True)
class PostCheck:
    """What the page shows beside a post: why it cannot go out ("" when it can), and what to look at."""

    refusal: str
    length: int
    limit: int
    warnings: list[ReplyWarning] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "refusal": self.refusal,
            "length": self.length,
            "limit": self.limit,
            "warnings": [warning.as_dict() for warning in self.warnings],
        }


def network_name(kind: str) -> str:
    return str(dict(ChannelKind.choices).get(kind, kind))


def post_refusal(*, kind: str, text: str) -> str:
    """Why this text may not be posted on a channel of this kind ("" when it may)."""
    limit = post_limit(kind=kind)
    if not limit:
        return _("%(network)s does not take posts from Crisis Desk: publish on the network itself.") % {
            "network": network_name(kind)
        }
    length = reply_length(text=text, kind=kind)
    if length > limit:
        return _(
            "The post is %(length)d characters long; %(network)s takes at most %(limit)d. Shorten it by %(over)d."
        ) % {"length": length, "network": network_name(kind), "limit": limit, "over": length - limit}
    return ""


def publishing_in_crisis() -> bool:
    """Whether a crisis is declared or contained now: the crisis rules (no cheerful words) then apply."""
    return bool(hooks.crisis_reader().active_crisis_ids(limit=1))


def post_check(*, kind: str, text: str, in_crisis: bool | None = None) -> PostCheck:
    """The refusal and the warnings for one post; `in_crisis` read from the crisis hook when not given."""
    in_crisis = publishing_in_crisis() if in_crisis is None else in_crisis
    return PostCheck(
        refusal=post_refusal(kind=kind, text=text),
        length=reply_length(text=text, kind=kind),
        limit=post_limit(kind=kind),
        warnings=reply_checks(text=text, in_crisis=in_crisis),
    )
