"""The author's escalations for the conversation panel of a mention page.

The inbox cannot import escalation, so the panel loads this fragment (rendered here, and so escaped)
into its slot; it is re-fetched when an escalation changes.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crisisdesk.roles import CONSOLE_STAFF, roles_required
from escalation import selectors
from inbox.models import Author


@require_GET
@roles_required(*CONSOLE_STAFF)
def author_escalations(request: HttpRequest, author_id: int) -> HttpResponse:
    """Everything escalated about this author's mentions, for community managers, directors and admins."""
    if not Author.objects.filter(pk=author_id).exists():
        raise Http404
    return render(
        request,
        "escalation/_author_escalations.html",
        {"escalations": list(selectors.escalations_for_author(author_id=author_id)), "author_id": author_id},
    )
