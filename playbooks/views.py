"""Crisis room, crisis list and director dashboard pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crisisdesk.roles import CONSOLE_STAFF, EVERYONE, roles_required
from playbooks.models import Crisis
from playbooks.selectors import crisis_banner


@roles_required(*CONSOLE_STAFF)
def crisis_list(request: HttpRequest) -> HttpResponse:
    return render(request, "playbooks/crisis_list.html", {"crises": Crisis.objects.all()[:100]})


@roles_required(*EVERYONE)
def crisis_banner_partial(request: HttpRequest) -> HttpResponse:
    crisis = crisis_banner()
    if crisis is None:
        return HttpResponse("")
    return render(request, "playbooks/_banner.html", {"crisis": crisis})
