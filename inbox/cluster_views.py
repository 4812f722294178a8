"""Crisis cluster pages (htmx): the list by size, a cluster with its mentions, and its bulk actions.

Everyone at the console sees them; only community managers (and administrators) act, as on mentions.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crisisdesk.roles import CONSOLE_STAFF, SignedInRequest, roles_required
from inbox import cluster_actions, cluster_selectors, selectors, services
from inbox.views import REPLIERS

PROGRESS_POLL_SECONDS = 2


class ClusterAnswerForm(forms.Form):
    body = forms.CharField(
        max_length=5000,
        label=gettext_lazy("Approved answer"),
        help_text=gettext_lazy("{nombre} is each author's name, {zona} their zone. Each reply is signed."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    zone_fallback = forms.CharField(
        max_length=80,
        required=False,
        label=gettext_lazy("Zone when the mention has none"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("your area")}),
    )


class ClusterHideForm(forms.Form):
    reason = forms.CharField(max_length=200, label=gettext_lazy("Why are they hidden?"))
    as_troll = forms.BooleanField(required=False, label=gettext_lazy("Hide as trolling"))


class ClusterAssignForm(forms.Form):
    assignee = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label=gettext_lazy("Assign to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        managers = [(user.pk, user.signature_name) for user in selectors.community_managers()]
        self.fields["assignee"].choices = [("", gettext_lazy("Nobody (unassign)"))] + managers


@roles_required(*CONSOLE_STAFF)
def clusters_page(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    clusters = list(cluster_selectors.clusters_list(status=status if status in ("open", "answered", "closed") else ""))
    trends = cluster_selectors.clusters_trends(cluster_ids=[cluster.pk for cluster in clusters])
    rows = [
        {"cluster": cluster, "trend": trends[cluster.pk], "spark": cluster_selectors.sparkline(trends[cluster.pk])}
        for cluster in clusters
    ]
    template = "inbox/_cluster_rows.html" if request.headers.get("HX-Request") else "inbox/clusters.html"
    return render(request, template, {"rows": rows, "status": status})


@roles_required(*CONSOLE_STAFF)
def cluster_page(request: HttpRequest, cluster_id: int) -> HttpResponse:
    return _detail(request, cluster_id)


def _detail(request: HttpRequest, cluster_id: int, *, status: int = 200, **forms_) -> HttpResponse:
    cluster = cluster_selectors.cluster_detail(cluster_id=cluster_id)
    if cluster is None:
        raise Http404
    trend = cluster_selectors.cluster_trend(cluster_id=cluster.pk)
    actions = list(cluster_selectors.cluster_actions(cluster_id=cluster.pk))
    progress = [cluster_selectors.cluster_action_progress(action_id=action.pk) for action in actions]
    context = {
        "cluster": cluster,
        "trend": trend,
        "spark": cluster_selectors.sparkline(trend),
        "shares": cluster_selectors.sentiment_shares(cluster),
        "mentions": cluster_selectors.cluster_mentions(cluster_id=cluster.pk),
        "progress_list": progress,
        "poll_seconds": PROGRESS_POLL_SECONDS,
        "answer_form": forms_.get("answer_form") or ClusterAnswerForm(),
        "hide_form": forms_.get("hide_form") or ClusterHideForm(),
        "assign_form": forms_.get("assign_form") or ClusterAssignForm(),
    }
    return render(request, "inbox/cluster_detail.html", context, status=status)


def _refused(request: HttpRequest, cluster_id: int, message: str, **forms_) -> HttpResponse:
    messages.error(request, message)
    return _detail(request, cluster_id, status=400, **forms_)


def _errors(form: forms.Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@require_POST
@roles_required(*REPLIERS)
def cluster_answer(request: SignedInRequest, cluster_id: int) -> HttpResponse:
    form = ClusterAnswerForm(request.POST)
    if not form.is_valid():
        return _refused(request, cluster_id, _errors(form), answer_form=form)
    try:
        action = cluster_actions.cluster_answer(cluster_id=cluster_id, actor=request.user, **form.cleaned_data)
    except services.MentionNotFound as error:
        raise Http404 from error
    except services.InboxError as error:
        return _refused(request, cluster_id, str(error), answer_form=form)
    messages.success(request, _("%(count)s replies scheduled.") % {"count": action.total})
    return redirect("inbox:cluster", cluster_id=cluster_id)


@require_POST
@roles_required(*REPLIERS)
def cluster_hide(request: SignedInRequest, cluster_id: int) -> HttpResponse:
    form = ClusterHideForm(request.POST)
    if not form.is_valid():
        return _refused(request, cluster_id, _errors(form), hide_form=form)
    return _bulk(
        request,
        cluster_id,
        lambda: cluster_actions.cluster_hide(cluster_id=cluster_id, actor=request.user, **form.cleaned_data),
    )


@require_POST
@roles_required(*REPLIERS)
def cluster_assign(request: SignedInRequest, cluster_id: int) -> HttpResponse:
    form = ClusterAssignForm(request.POST)
    if not form.is_valid():
        return _refused(request, cluster_id, _errors(form), assign_form=form)
    assignee_id = form.cleaned_data["assignee"]
    assignee = None if assignee_id is None else selectors.community_managers().filter(pk=assignee_id).first()
    return _bulk(
        request,
        cluster_id,
        lambda: cluster_actions.cluster_assign(cluster_id=cluster_id, actor=request.user, assignee=assignee),
    )


@require_POST
@roles_required(*REPLIERS)
def cluster_close(request: SignedInRequest, cluster_id: int) -> HttpResponse:
    try:
        cluster_actions.cluster_close(cluster_id=cluster_id, actor=request.user)
    except services.MentionNotFound as error:
        raise Http404 from error
    except services.InboxError as error:
        return _refused(request, cluster_id, str(error))
    return redirect("inbox:cluster", cluster_id=cluster_id)


def _bulk(request: HttpRequest, cluster_id: int, act) -> HttpResponse:
    try:
        action = act()
    except services.MentionNotFound as error:
        raise Http404 from error
    except services.InboxError as error:
        return _refused(request, cluster_id, str(error))
    messages.success(request, _("%(done)s of %(total)s mentions done.") % {"done": action.sent, "total": action.total})
    return redirect("inbox:cluster", cluster_id=cluster_id)


@roles_required(*CONSOLE_STAFF)
def cluster_action_progress(request: HttpRequest, action_id: int) -> HttpResponse:
    """The progress bar of one action, polled by htmx every few seconds until it is finished."""
    progress = cluster_selectors.cluster_action_progress(action_id=action_id)
    if progress is None:
        raise Http404
    context = {
        "progress": progress,
        "results": cluster_selectors.cluster_action_results(action_id=action_id),
        "poll_seconds": PROGRESS_POLL_SECONDS,
    }
    return render(request, "inbox/_cluster_progress.html", context)
