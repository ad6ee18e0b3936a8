"""Forms of the QBR pages: every value a page posts is read and checked here, never by hand in a view."""

from __future__ import annotations

import zoneinfo
from collections.abc import Collection
from datetime import datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.forms import ContactChoiceField
from accounts.models import Contact
from qbr.calc import PREPARATION_TEXT_MAX
from qbr.models import TEAM_COPY, AgendaTemplate, Interval, PreparationRow, Qbr
from sam.forms import DATE, MemberChoiceField, StyledFormMixin, model_choice, scoped_choice
from sam.models import Document, User
from sam.selectors import member_choices

DATE_ERROR = {"invalid": "Give the date as YYYY-MM-DD."}


class ScheduleForm(StyledFormMixin, forms.Form):
    """The QBR's date, time and place, in the time zone of the meeting."""

    day = forms.DateField(required=False, error_messages=DATE_ERROR, widget=DATE)
    time = forms.TimeField(
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": "Give the time as HH:MM."},
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    timezone = forms.CharField(label="Time zone", required=False, max_length=60)
    location = forms.CharField(label="Place or call link", required=False, max_length=300)
    confirm = forms.BooleanField(label="Yes, use this date", required=False)

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
    agreed_on = forms.DateField(
        label="Agreed on",
        required=False,
        error_messages={"invalid": "Give the day it was agreed as YYYY-MM-DD."},
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agreed_on"].widget.attrs["max"] = timezone.localdate().isoformat()  # today or a day past


class QbrActionForm(StyledFormMixin, forms.Form):
    """An action agreed in the meeting, for the account's running register."""

    title = forms.CharField(label="New action", max_length=300)
    owner = MemberChoiceField(queryset=User.objects.none(), required=False, empty_label="—")
    due = forms.DateField(required=False, error_messages={"invalid": "Give the due date as YYYY-MM-DD."}, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "owner").queryset = member_choices()


class CadenceForm(StyledFormMixin, forms.Form):
    """How often the account meets (empty: the program's default), and a pause with its reason."""

    interval_months = forms.TypedChoiceField(
        label="Cadence",
        choices=[("", "The workspace's default"), *Interval.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    paused_until = forms.DateField(
        label="Pause until",
        required=False,
        error_messages={"invalid": "Give the end of the pause as YYYY-MM-DD."},
        widget=DATE,
    )
    pause_reason = forms.CharField(label="Because", required=False, max_length=300)


class ContactInviteForm(StyledFormMixin, forms.Form):
    """A contact of the account to invite (one not invited yet)."""

    contact = ContactChoiceField(
        queryset=Contact.unscoped.none(), label="Contact", error_messages={"required": "Choose a contact."}
    )

    def __init__(self, *args: Any, qbr: Qbr, invited: Collection[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = model_choice(self, "contact")
        field.queryset = Contact.objects.filter(account=qbr.account).exclude(pk__in=invited)
        field.empty_label = f"A contact of {qbr.account.name}…"
        field.label = f"Contact of {qbr.account.name}"


class ColleagueInviteForm(StyledFormMixin, forms.Form):
    """A colleague of the workspace to invite (one not invited yet)."""

    user = MemberChoiceField(
        queryset=User.objects.none(), label="Colleague", error_messages={"required": "Choose a colleague."}
    )

    def __init__(self, *args: Any, invited: Collection[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = model_choice(self, "user")
        field.queryset = member_choices().exclude(pk__in=invited)
        field.empty_label = "A colleague…"


class AgendaTemplatePickForm(StyledFormMixin, forms.Form):
    """The template an empty agenda starts from (the default when none is chosen)."""

    template = scoped_choice(AgendaTemplate, label="Agenda template", required=False, empty_label=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "template").queryset = AgendaTemplate.objects.order_by("-is_default", "name")


class AgendaTemplateItemForm(StyledFormMixin, forms.Form):
    """One item of an agenda template: its title and time box."""

    title = forms.CharField(max_length=200)
    minutes = forms.IntegerField(label="Time box (min)", min_value=1, max_value=480, initial=10, required=False)

    def __init__(self, *args: Any, new: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if new:
            self.fields["title"].label = "New item"


class AgendaItemForm(AgendaTemplateItemForm):
    """One item of a QBR's agenda: its title, time box and owner."""

    owner = MemberChoiceField(queryset=User.objects.none(), required=False, empty_label="No owner")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "owner").queryset = member_choices()

    def service_data(self) -> dict[str, Any]:
        owner = self.cleaned_data["owner"]
        return {**self.cleaned_data, "owner": owner.pk if owner else None}


class AgendaTemplateForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="New template", max_length=120)


class MinutesForm(StyledFormMixin, forms.Form):
    """What was said and decided on one agenda item."""

    notes = forms.CharField(
        label="Minutes", required=False, max_length=20000, strip=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    decisions = forms.CharField(required=False, max_length=20000, strip=False, widget=forms.Textarea(attrs={"rows": 1}))


class MilestoneForm(forms.Form):
    done = forms.TypedChoiceField(choices=[("1", "Done"), ("0", "Not done")], coerce=lambda value: value == "1")


class PrereadForm(StyledFormMixin, forms.Form):
    preread_notes = forms.CharField(
        label="Pre-read notes", required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )


class AgendaCommentForm(StyledFormMixin, forms.Form):
    """The team's answer to the customer's comments on the agenda (shown to them in the portal)."""

    text = forms.CharField(label="Reply to the customer", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class DocumentChoiceField(forms.ModelChoiceField[Document]):
    def label_from_instance(self, obj: Document) -> str:
        return f"{obj.title} (version {obj.version})"


class DocumentSendForm(StyledFormMixin, forms.Form):
    """A ready version of this QBR's pack or minutes, to email to the participants."""

    document = DocumentChoiceField(
        queryset=Document.unscoped.none(), label="Send to the participants", empty_label=None
    )

    def __init__(self, *args: Any, qbr: Qbr, kinds: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = model_choice(self, "document")
        ready = Document.objects.filter(subject_id=qbr.pk, kind__in=kinds, status="ready")
        field.queryset = ready.exclude(params__contains=TEAM_COPY).order_by("-pk")  # the team's copy stays in


class HeldForm(StyledFormMixin, forms.Form):
    no_minutes_reason = forms.CharField(
        label="No minutes? Say why (otherwise write them on the agenda items first)", required=False, max_length=300
    )


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label="Cancel, because", max_length=300)


class QbrProgramForm(StyledFormMixin, forms.Form):
    """The tenant's QBR program: the default cadence and the milestone timeline (checked again by the service)."""

    interval_months = forms.TypedChoiceField(
        choices=Interval.choices,
        coerce=int,
        label="Default cadence",
        help_text="Each strategic account's QBR comes once per period of this length, unless the account has its "
        "own cadence.",
    )
    invite_days_before = forms.IntegerField(
        min_value=0, max_value=180, label="Date fixed and invitations sent, days before"
    )
    agenda_days_before = forms.IntegerField(
        min_value=0, max_value=180, label="Agenda agreed with the customer, days before"
    )
    preread_days_before = forms.IntegerField(
        min_value=0, max_value=180, label="Joint scorecard and pre-read sent, days before"
    )
    minutes_days_after = forms.IntegerField(min_value=0, max_value=180, label="Minutes sent, days after")

    @classmethod
    def of(cls, program: Any) -> QbrProgramForm:
        return cls(initial={name: getattr(program, name) for name in cls.base_fields})


class PreparationForm(StyledFormMixin, forms.Form):
    """The preparation checklist in one form: per topic, what we expect the customer to say (each one is needed
    to mark it complete, which the service checks) and, if we have it, how we will answer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "prep-%s")
        super().__init__(*args, **kwargs)
        for topic, _label in PreparationRow.Topic.choices:
            self.fields[f"{topic}_expected"] = forms.CharField(
                label="What we expect the customer to say",
                required=False,
                max_length=PREPARATION_TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"{topic}_answer"] = forms.CharField(
                label="How we will answer (optional)",
                required=False,
                max_length=PREPARATION_TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.style_fields()

    @classmethod
    def of(cls, rows: list[dict[str, Any]]) -> PreparationForm:
        """The form filled with what is written down (``rows`` as the preparation's selector gives them)."""
        initial = {}
        for row in rows:
            initial[f"{row['topic']}_expected"] = row["expected"]
            initial[f"{row['topic']}_answer"] = row["answer"]
        return cls(initial=initial)

    def fields_of(self, topic: str) -> tuple[forms.BoundField, forms.BoundField]:
        return self[f"{topic}_expected"], self[f"{topic}_answer"]

    def service_rows(self) -> dict[str, dict[str, str]]:
        return {
            topic: {"expected": self.cleaned_data[f"{topic}_expected"], "answer": self.cleaned_data[f"{topic}_answer"]}
            for topic in PreparationRow.Topic.values
        }
