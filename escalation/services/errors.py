"""The refusals of escalation's services: their messages say why and are safe to show."""

from __future__ import annotations


class EscalationError(Exception):
    """An escalation action that cannot be done; the message says why and is safe to show."""


class EscalationPermissionError(EscalationError):
    """The user may not act on this request."""
