"""The console's page for one's own API token."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from crisisdesk.roles import EVERYONE, SignedInRequest, roles_required
from integrations.selectors import api_token_for_user
from integrations.services import TOKEN_PREFIX_LENGTH, api_token_create, api_token_revoke


@never_cache
@roles_required(*EVERYONE)
def api_tokens_page(request: SignedInRequest) -> HttpResponse:
    """Create (shown once on this response only), inspect and revoke one's own API token."""
    created_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            created_key = api_token_create(user=request.user).key
        elif action == "revoke":
            if api_token_revoke(user=request.user):
                messages.success(request, _("Your API token was revoked."))
            return redirect("api_tokens")
        else:
            return HttpResponse(_("Unknown action."), status=400)
    token = api_token_for_user(user=request.user)
    return render(
        request,
        "integrations/tokens.html",
        {
            "token": token,
            "token_prefix": token.key[:TOKEN_PREFIX_LENGTH] if token else "",
            "created_key": created_key,
        },
    )
