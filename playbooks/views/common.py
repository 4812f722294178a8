"""What every crisis page shares: the signed-in request, and one way to refuse or run an action."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from crisisdesk.models import Role, User
from playbooks import services

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ADMINS = (Role.ADMIN,)


class StaffRequest(HttpRequest):
    """A request that passed `roles_required`: its user is signed in."""

    user: User


def refuse(request: HttpRequest, message: StrOrPromise, *, back: str, status: int = 400) -> HttpResponse:
    """Bad input answers 4xx with the reason and a way back; nothing was written."""
    return render(request, "playbooks/refused.html", {"message": message, "back": back}, status=status)


def run_action(
    request: HttpRequest, action: Callable[[], object], *, back: str, done: StrOrPromise | None = None
) -> HttpResponse:
    """Run one service call; its refusal is shown in the reader's language (404 and 403 as such)."""
    try:
        action()
    except (services.CrisisNotFound, services.OutboxNotFound) as error:
        raise Http404(str(error)) from error
    except (services.CrisisForbidden, services.OutboxForbidden) as error:
        return refuse(request, str(error), back=back, status=403)
    except (services.CrisisError, services.OutboxError) as error:
        return refuse(request, str(error), back=back)
    if done:
        messages.success(request, done)
    return redirect(back)
