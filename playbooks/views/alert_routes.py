"""Alert routes and brand vocabularies: the pages where directors and admins decide who hears of
an alert and which words each brand's detection watches."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crisisdesk.roles import MANAGERS, roles_required
from inbox.models import BrandVocabulary, Channel
from inbox.vocabulary import VocabularyError, brand_vocabulary, brand_vocabulary_save
from playbooks import services
from playbooks.forms_alerts import AlertRouteForm, TopicFormSet, WatchTermsForm, lines, topics_from
from playbooks.models import AlertRoute
from playbooks.views.common import StaffRequest


def _route_page(request: StaffRequest, form: AlertRouteForm, route: AlertRoute | None, *, status: int = 200):
    routes = AlertRoute.objects.prefetch_related("users", "departments").order_by("name", "pk")
    return render(
        request, "playbooks/alert_routes.html", {"form": form, "route": route, "routes": routes}, status=status
    )


@require_http_methods(["GET", "POST"])
@roles_required(*MANAGERS)
def alert_route_list(request: StaffRequest) -> HttpResponse:
    """Every route, and a form for a new one."""
    return _route_edit(request, None)


@require_http_methods(["GET", "POST"])
@roles_required(*MANAGERS)
def alert_route_edit(request: StaffRequest, route_id: int) -> HttpResponse:
    route = AlertRoute.objects.filter(pk=route_id).first()
    if route is None:
        raise Http404(_("This route does not exist."))
    return _route_edit(request, route)


def _route_edit(request: StaffRequest, route: AlertRoute | None) -> HttpResponse:
    if request.method != "POST":
        return _route_page(request, AlertRouteForm.for_route(route) if route else AlertRouteForm(), route)
    form = AlertRouteForm(request.POST)
    if not form.is_valid():
        return _route_page(request, form, route, status=400)
    slack, teams = form.webhooks()
    values = {key: value for key, value in form.cleaned_data.items() if not key.startswith(("slack_", "teams_"))}
    try:
        saved = services.alert_route_save(
            actor=request.user, values=values, route_id=route.pk if route else None, slack_url=slack, teams_url=teams
        )
    except services.CrisisError as error:
        form.add_error(None, str(error))
        return _route_page(request, form, route, status=400)
    messages.success(request, _("Route saved."))
    return HttpResponseRedirect(reverse("playbooks:alert_route_edit", args=[saved.pk]))


@require_POST
@roles_required(*MANAGERS)
def alert_route_delete(request: StaffRequest, route_id: int) -> HttpResponse:
    services.alert_route_delete(actor=request.user, route_id=route_id)
    messages.success(request, _("Route removed."))
    return HttpResponseRedirect(reverse("playbooks:alert_route_list"))


def _brands() -> list[str]:
    known = set(Channel.objects.values_list("brand", flat=True)) | set(
        BrandVocabulary.objects.values_list("brand", flat=True)
    )
    return sorted(brand for brand in known if brand)


@require_http_methods(["GET", "POST"])
@roles_required(*MANAGERS)
def alert_vocabulary(request: StaffRequest) -> HttpResponse:
    """One brand's topics (name, the crisis type it suggests, its terms) and watch terms."""
    brands = _brands()
    brand = request.GET.get("brand") or (brands[0] if brands else "")
    if brand not in brands:
        raise Http404(_("No channel has this brand."))
    vocabulary = brand_vocabulary(brand=brand)
    status = 200
    if request.method == "POST":
        topics = TopicFormSet(request.POST, prefix="topics")
        watch = WatchTermsForm(request.POST)
        if topics.is_valid() and watch.is_valid():
            try:
                brand_vocabulary_save(
                    brand=brand, topics=topics_from(topics), watch_terms=lines(watch.cleaned_data["watch_terms"]),
                    actor=request.user,
                )
            except VocabularyError as error:
                watch.add_error(None, str(error))
            else:
                messages.success(request, _("Topics and watch terms saved: new mentions use them now."))
                return HttpResponseRedirect(reverse("playbooks:alert_vocabulary") + f"?brand={brand}")
        status = 400
    else:
        initial = [{**topic, "terms": "\n".join(topic["terms"])} for topic in vocabulary.topics]
        topics = TopicFormSet(initial=initial, prefix="topics")
        watch = WatchTermsForm(initial={"watch_terms": "\n".join(vocabulary.watch_terms)})
    context = {"brand": brand, "brands": brands, "topics": topics, "watch": watch}
    return render(request, "playbooks/alert_vocabulary.html", context, status=status)
