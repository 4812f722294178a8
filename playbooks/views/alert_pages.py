"""One alert's page in the console, and the phone page "Acknowledge alert" its messages' signed link opens.

The phone page is public with its own credential, the signed link (`playbooks.alert_links`): a
person's link acknowledges as that person; a chat channel's asks whoever opens it to sign in.
A refused link writes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisisdesk.models import User
from crisisdesk.roles import CONSOLE_STAFF, public, roles_required, user_has_role
from playbooks import services
from playbooks.alert_links import AlertLinkRefused, alert_link_read
from playbooks.choices import AlertAcknowledgedVia
from playbooks.models import Alert, CrisisNotification
from playbooks.views.common import StaffRequest


def _alert_or_404(alert_id: int) -> Alert:
    alert = Alert.objects.select_related("acknowledged_by", "crisis").filter(pk=alert_id).first()
    if alert is None:
        raise Http404(_("This alert does not exist."))
    return alert


@require_GET
@roles_required(*CONSOLE_STAFF)
def alert_detail(request: StaffRequest, alert_id: int) -> HttpResponse:
    """Why the alert fired (terms, clusters, examples, baseline against now), who was told, who took it."""
    alert = _alert_or_404(alert_id)
    deliveries = CrisisNotification.objects.filter(alert=alert).select_related("recipient").order_by("step", "pk")
    return render(request, "playbooks/alert_detail.html", {"alert": alert, "deliveries": list(deliveries[:200])})


@require_POST
@roles_required(*CONSOLE_STAFF)
def alert_acknowledge(request: StaffRequest, alert_id: int) -> HttpResponse:
    _alert_or_404(alert_id)
    services.alert_acknowledge(alert_id=alert_id, actor=request.user, via=AlertAcknowledgedVia.CONSOLE)
    messages.success(request, _("Alert acknowledged: nobody else will be re-notified."))
    return HttpResponseRedirect(reverse("playbooks:alert_detail", args=[alert_id]))


def _visitor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) and request.user.is_authenticated else None


@public
@require_http_methods(["GET", "POST"])
def alert_respond(request: HttpRequest, alert_id: int, token: str) -> HttpResponse:
    """The phone page: the alert explained, and one button to acknowledge it."""
    try:
        grant = alert_link_read(token=token, alert_id=alert_id)
    except AlertLinkRefused as refusal:
        return render(request, "playbooks/alert_respond_refused.html", {"reason": str(refusal)}, status=403)
    visitor = _visitor(request)
    if grant.user_id is not None:
        actor = User.objects.filter(pk=grant.user_id, is_active=True).first()
    else:
        if visitor is None:
            return redirect_to_login(request.get_full_path())
        actor = visitor if user_has_role(visitor, CONSOLE_STAFF) else None
    if actor is None:
        reason = _("This link does not let you act on this alert.")
        return render(request, "playbooks/alert_respond_refused.html", {"reason": reason}, status=403)
    alert = _alert_or_404(alert_id)
    if request.method == "POST":
        services.alert_acknowledge(alert_id=alert_id, actor=actor, via=AlertAcknowledgedVia.LINK)
        messages.success(request, _("Alert acknowledged: nobody else will be re-notified."))
        return HttpResponseRedirect(request.path)
    return render(request, "playbooks/alert_respond.html", {"alert": alert, "actor": actor})
