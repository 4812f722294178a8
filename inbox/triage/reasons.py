"""Reasons are stored as "Label: detail"; the label is a message id, the detail is the matched words."""

from __future__ import annotations

from django.utils.translation import gettext


def reason_display(reason: str) -> str:
    """Translate the label of a stored reason into the reader's language, leaving the detail as is."""
    label, separator, detail = reason.partition(": ")
    return f"{gettext(label)}{separator}{detail}"
