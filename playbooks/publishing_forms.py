"""Forms of the publishing calendar and of publishing a statement. They only parse and validate; services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.text import validate_single_line
from playbooks.services.posts import MAX_POST_LENGTH
from playbooks.services.suspension import MAX_REASON_LENGTH, REASON_REQUIRED

# What a browser's <input type="datetime-local"> sends (in the reader's time zone), and ISO 8601 for the API.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class PostForm(forms.Form):
    """A scheduled post: which channel, when, and what it says."""

    channel = forms.TypedChoiceField(label=_("Channel"), coerce=int, choices=())
    scheduled_at = forms.DateTimeField(
        label=_("Goes out at"), input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput()
    )
    body = forms.CharField(
        label=_("Post"), max_length=MAX_POST_LENGTH, strip=True, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: object, channels: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["channel"].choices = channels  # type: ignore[attr-defined]


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON_LENGTH,
        strip=True,
        validators=[validate_single_line],
        error_messages={"required": REASON_REQUIRED},
    )


class ReleaseForm(forms.Form):
    """Release a held post: at its time, now ("publish"), or at a new time ("reschedule")."""

    mode = forms.ChoiceField(choices=[("at_time", "at_time"), ("now", "now"), ("reschedule", "reschedule")])
    scheduled_at = forms.DateTimeField(required=False, input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput())

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("mode") == "reschedule" and not cleaned.get("scheduled_at"):
            raise forms.ValidationError(_("Choose the new time."))
        return cleaned


class StatementPublishForm(forms.Form):
    channels = forms.TypedMultipleChoiceField(label=_("Channels"), coerce=int, choices=())

    def __init__(self, *args: object, channels: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["channels"].choices = channels  # type: ignore[attr-defined]
