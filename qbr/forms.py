"""Forms of the QBR pages: every value a page posts is read and checked here, never by hand in a view."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from qbr.models import Interval, Qbr
from sam.forms import MemberChoiceField, StyledFormMixin, model_choice
from sam.models import User
from sam.selectors import member_choices

DATE_ERROR = {"invalid": "Give the date as YYYY-MM-DD."}


def checked(form: forms.Form) -> dict[str, Any]:
    """The form's values, or a ValidationError with its messages (the page shows them above the card)."""
    if not form.is_valid():
        raise ValidationError([message for messages in form.errors.values() for message in messages])
    return form.cleaned_data


class ScheduleForm(StyledFormMixin, forms.Form):
    """The QBR's date, time and place, in the time zone of the meeting."""

    day = forms.DateField(required=False, error_messages=DATE_ERROR)
    time = forms.TimeField(
        required=False, input_formats=["%H:%M", "%H:%M:%S"], error_messages={"invalid": "Give the time as HH:MM."}
    )
    timezone = forms.CharField(required=False, max_length=60)
    location = forms.CharField(required=False, max_length=400)
    confirm = forms.BooleanField(required=False)

    def clean_timezone(self) -> str:
        name = (self.cleaned_data.get("timezone") or "").strip() or "UTC"
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError("Choose a known time zone.") from exc
        return name

    def when(self) -> datetime | None:
        """The meeting's moment in its own time zone (10:00 when no time is given); None without a day."""
        day = self.cleaned_data.get("day")
        if day is None:
            return None
        at = self.cleaned_data.get("time") or time(10, 0)
        return datetime.combine(day, at).replace(tzinfo=zoneinfo.ZoneInfo(self.cleaned_data["timezone"]))


class AgendaStatusForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(choices=Qbr.AgendaStatus.choices)
    agreed_on = forms.DateField(required=False, error_messages={"invalid": "Give the day it was agreed as YYYY-MM-DD."})


class QbrActionForm(StyledFormMixin, forms.Form):
    """An action agreed in the meeting, for the account's running register."""

    title = forms.CharField(max_length=400)
    owner = MemberChoiceField(queryset=User.objects.none(), required=False)
    due = forms.DateField(required=False, error_messages={"invalid": "Give the due date as YYYY-MM-DD."})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "owner").queryset = member_choices()


class CadenceForm(StyledFormMixin, forms.Form):
    """How often the account meets (empty: the program's default), and a pause with its reason."""

    interval_months = forms.TypedChoiceField(
        choices=[("", "The program's default"), *Interval.choices], coerce=int, empty_value=None, required=False
    )
    paused_until = forms.DateField(
        required=False, error_messages={"invalid": "Give the end of the pause as YYYY-MM-DD."}
    )
    pause_reason = forms.CharField(required=False, max_length=400)
