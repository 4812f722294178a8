"""Refusals of the crisis app, worded in the language of whoever reads them.

An error keeps its translatable message and its parameters apart and renders them only when turned
into text, so the page or API answer that shows it speaks the reader's language, not the language
that was active where it was raised.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _


def _lowercase(text: str | Promise) -> str:
    return str(text).lower()


# A label in the middle of a sentence, lower-cased only once the reader's language is known.
lowercase_lazy = lazy(_lowercase, str)


TITLE_REQUIRED = _("Give the crisis a title: it names the crisis on the banner, the timeline and every message.")


class TranslatableError(Exception):
    """An error whose message is a (lazy) translatable text with `%(name)s` parameters."""

    def __init__(self, message: str | Promise, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class CrisisError(TranslatableError):
    """A crisis or playbook action that cannot be done; the message says why."""


class CrisisNotFound(CrisisError):
    """The object does not exist, or does not belong to the crisis named with it (pages answer 404)."""


class CrisisForbidden(CrisisError):
    """The user may not do this to this object, whatever their role (pages answer 403)."""


class OutboxError(TranslatableError):
    """A scheduled-post or publishing action that cannot be done; the message says why."""


class OutboxNotFound(OutboxError):
    """No such post or channel (pages answer 404)."""


class OutboxForbidden(OutboxError):
    """Four eyes: the user may not approve what they wrote (pages answer 403)."""


class PostTimePassed(OutboxError):
    """A held post whose time has gone by: the person releasing it says "publish now" or gives a new time."""
