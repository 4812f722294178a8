"""The "Start a drill" form: a stored crisis (or a brand and a window) and how much faster to replay it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.drills import DRILL_BRAND_PREFIX, DRILL_KIND
from inbox.models import Channel
from playbooks.models import Crisis, Playbook
from playbooks.models_drills import MAX_COMPRESSION, MIN_COMPRESSION

ARCHIVED_CRISES_SHOWN = 50


class DrillStartForm(forms.Form):
    crisis = forms.ModelChoiceField(
        label=_("Stored crisis to replay"), queryset=Crisis.objects.none(), required=False,
        empty_label=_("— a brand and a time window instead —"),
    )
    brand = forms.ChoiceField(label=_("Brand"), required=False)
    window_start = forms.DateTimeField(
        label=_("From"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    window_end = forms.DateTimeField(
        label=_("To"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    compression = forms.FloatField(
        label=_("Compression (times faster)"), min_value=MIN_COMPRESSION, max_value=MAX_COMPRESSION, initial=12,
        help_text=_("12 replays 4 hours in 20 minutes."),
    )
    playbook = forms.ModelChoiceField(
        label=_("Playbook it tests"), queryset=Playbook.objects.all(), required=False,
        empty_label=_("— the crisis's own —"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        crises = Crisis.objects.exclude(brand__startswith=DRILL_BRAND_PREFIX).order_by("-detected_at")
        crisis_field = self.fields["crisis"]
        assert isinstance(crisis_field, forms.ModelChoiceField)
        crisis_field.queryset = crises.filter(pk__in=list(crises.values_list("pk", flat=True)[:ARCHIVED_CRISES_SHOWN]))
        brands = Channel.objects.exclude(kind=DRILL_KIND).order_by("brand").values_list("brand", flat=True).distinct()
        brand_field = self.fields["brand"]
        assert isinstance(brand_field, forms.ChoiceField)
        brand_field.choices = [("", "—"), *((brand, brand) for brand in brands)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("crisis") and not (data.get("brand") and data.get("window_start") and data.get("window_end")):
            raise forms.ValidationError(_("Choose a stored crisis, or a brand with the window's start and end."))
        return data
