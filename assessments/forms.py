"""Forms of the assessment and 4 R's pages: every value a page sends is read and checked here."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import Truncator

from accounts.forms import ContactChoiceField
from accounts.models import Account, Contact, Contract
from assessments import fourrs
from assessments.fourrs_selectors import respondents
from assessments.models import (
    TOPIC_KEYS,
    TOPICS,
    Assessment,
    Finding,
    Interview,
    JourneyStep,
    Payback,
    Recommendation,
    Scope,
)
from assessments.selectors import interview_colleagues
from assessments.services import NOTE_MAX, WHO_BOTH, WHO_MISSING
from sam.forms import DATE, MemberChoiceField, StyledFormMixin, choice, model_choice, scoped_choice
from sam.models import User
from sam.selectors import member_choices


class RollupForm(forms.Form):
    """The 4 R's over time: the day to read the answers on, the day to compare with, and one account's team."""

    on = forms.DateField(required=False)
    before = forms.DateField(required=False)
    account = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def days(self, today: date) -> tuple[date, date]:
        """The two days, today and a year before unless given (call after ``is_valid``)."""
        data = getattr(self, "cleaned_data", {})
        return data.get("on") or today, data.get("before") or today - timedelta(days=365)

    def dates_invalid(self) -> bool:
        return "on" in self.errors or "before" in self.errors


DATE_ERROR = {"invalid": "Give the date as YYYY-MM-DD."}


ACCOUNT_FOR_TEAM = "Choose the account whose team this is about."


class _FourRsScopeForm(StyledFormMixin, forms.Form):
    """About the organisation, or about one account's team (the accounts are set per request)."""

    scope = forms.ChoiceField(label="About", choices=Scope.choices, required=False)
    account = scoped_choice(
        Account,
        label="Account (for one account team)",
        required=False,
        empty_label="—",
        error_messages={"invalid_choice": ACCOUNT_FOR_TEAM},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "account").queryset = Account.objects.alive().order_by("name")

    def clean_scope(self) -> str:
        return self.cleaned_data.get("scope") or Scope.ORGANISATION


class FourRsRoundForm(_FourRsScopeForm):
    """A new round of the 4 R's: its title, when it closes, and whom it is about."""

    title = forms.CharField(label="Title", max_length=200)
    closes_on = forms.DateField(
        label="Closes after", required=False, widget=DATE, input_formats=["%Y-%m-%d"], error_messages=DATE_ERROR
    )

    field_order = ["title", "closes_on", "scope", "account"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["placeholder"] = f"4 R's review {timezone.localdate().year}"


class RoundParamForm(forms.Form):
    """The round a page is about, named in its address or posted with its form (not a number: none)."""

    round = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def round_id(self) -> int | None:
        return self.cleaned_data.get("round") if self.is_valid() else None


class FourRsAnswersForm(_FourRsScopeForm):
    """One person's 15 ratings, 1 to 5; on one's own also whom they are about (in a round the round says)."""

    def __init__(self, *args: Any, in_round: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_round = in_round
        for key in fourrs.KEYS:
            self.fields[key] = forms.TypedChoiceField(
                choices=[(str(n), str(n)) for n in range(1, 6)],
                coerce=int,
                error_messages={"required": "Rate this statement.", "invalid_choice": "A rating from 1 to 5."},
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.in_round and data.get("scope") != Scope.ACCOUNT_TEAM and data.get("account") is not None:
            self.add_error(
                "account",
                "To answer about an account's team, choose “One account team”; about the organisation, leave the "
                "account empty.",
            )
        return data

    def answers(self) -> dict[str, int]:
        return {key: self.cleaned_data[key] for key in fourrs.KEYS}


def _amount(label: str, **kwargs: Any) -> forms.CharField:
    """A sum as typed ("1,000", "12.5"): the service reads it (commas, rounding, never negative; empty is 0)."""
    return forms.CharField(
        label=label, required=False, max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **kwargs
    )


class SummaryForm(StyledFormMixin, forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        label="What we learned, in a few lines",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class ExpertForm(StyledFormMixin, forms.Form):
    """A colleague from outside the account team, newest to this account first (rotate the experts)."""

    user = forms.TypedChoiceField(
        label="Invite a subject-matter expert",
        coerce=int,
        help_text="Colleagues new to this account come first: rotate the experts.",
    )
    expertise = forms.CharField(
        required=False, max_length=120, widget=forms.TextInput(attrs={"placeholder": "e.g. service operations"})
    )

    def __init__(self, *args: Any, candidates: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice(self, "user").choices = [
            (
                c["user"].pk,
                f"{c['user'].display_name} (served {c['served']} time{'s' if c['served'] != 1 else ''} on this account)"
                if c["served"]
                else f"{c['user'].display_name} (new to this account)",
            )
            for c in candidates
        ]


class InterviewForm(StyledFormMixin, forms.Form):
    """An interview: with a contact of the customer or a colleague of our team (one of the two), when, by whom,
    and the notes per topic of the guide. A new one offers the people not interviewed yet; an edit offers the
    account's contacts and the team (with whoever it was with), the same lists for every row."""

    contact = ContactChoiceField(
        label="A contact of the customer", queryset=Contact.unscoped.none(), required=False, empty_label="—"
    )
    colleague = MemberChoiceField(
        label="or a colleague of our team",
        queryset=User.objects.none(),
        required=False,
        empty_label="—",
        help_text="On the account's team or on this assessment's team.",
    )
    held_on = forms.DateField(label="Held on", required=False, error_messages=DATE_ERROR, widget=DATE)
    interviewer = MemberChoiceField(queryset=User.objects.none(), required=False, empty_label="—")

    def __init__(self, *args: Any, assessment: Assessment, new: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new = new
        taken = Interview.objects.filter(assessment=assessment)
        contacts = Contact.objects.filter(account=assessment.account).order_by("name")
        colleagues = interview_colleagues(assessment)
        if new:
            contacts = contacts.exclude(pk__in=taken.filter(contact__isnull=False).values("contact_id"))
            colleagues = colleagues.exclude(pk__in=taken.filter(colleague__isnull=False).values("colleague_id"))
        else:  # who this interview is with stays on offer, on the team or not any more
            colleagues = User.objects.filter(
                Q(pk__in=colleagues.values("pk")) | Q(pk__in=taken.values("colleague_id"))
            ).order_by("full_name", "email")
        model_choice(self, "contact").queryset = contacts
        model_choice(self, "colleague").queryset = colleagues
        model_choice(self, "interviewer").queryset = member_choices()
        for key, label, guide in TOPICS:
            self.fields[f"topic-{key}"] = forms.CharField(
                label=label,
                help_text=guide,
                required=False,
                max_length=NOTE_MAX,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.style_fields()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            if data.get("contact") is not None and data.get("colleague") is not None:
                self.add_error("contact", WHO_BOTH)
                self.add_error("colleague", WHO_BOTH)
            elif data.get("contact") is None and data.get("colleague") is None:
                self.add_error("contact", WHO_MISSING)
        return data

    def topics(self) -> list[forms.BoundField]:
        return [self[f"topic-{key}"] for key in TOPIC_KEYS]

    def service_data(self) -> dict[str, Any]:
        """The interview for ``interview_save``: only the topics the form sent (an API may send a few)."""
        data = self.cleaned_data
        return {
            "contact": data["contact"],
            "colleague": data["colleague"],
            "held_on": data["held_on"],
            "interviewer": data["interviewer"],
            "notes": {key: data[f"topic-{key}"] for key in TOPIC_KEYS if f"topic-{key}" in self.data},
        }


class ConfirmationForm(StyledFormMixin, forms.Form):
    """Who at the customer confirmed the recommendations, and when (optional when the assessment is shared: the
    day counts only with a contact chosen)."""

    confirmed_by = ContactChoiceField(
        label="Confirmed by", queryset=Contact.unscoped.none(), required=False, empty_label="—"
    )
    confirmed_on = forms.DateField(
        label="Confirmed on", required=False, widget=DATE, input_formats=["%Y-%m-%d"], error_messages=DATE_ERROR
    )

    def __init__(self, *args: Any, account: Any, required: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.required = required
        field = model_choice(self, "confirmed_by")
        field.queryset = Contact.objects.filter(account=account).order_by("name")
        field.error_messages["invalid_choice"] = "Choose a contact of this account."
        if required:
            field.empty_label = None
            field.required = self.fields["confirmed_on"].required = True
            field.error_messages["required"] = "Name the contact who confirmed the recommendations."
            self.fields["confirmed_on"].error_messages["required"] = "When did they confirm? Give the date."

    def service_data(self) -> dict[str, Any] | None:
        """The confirmation for the services, or None when sharing without one."""
        contact = self.cleaned_data.get("confirmed_by")
        if contact is None and not self.required:
            return None
        return {"confirmed_by": contact, "confirmed_on": self.cleaned_data.get("confirmed_on")}


class StepForm(StyledFormMixin, forms.Form):
    """One step of the customer's journey with us."""

    name = forms.CharField(label="Step", max_length=200)
    touchpoint = forms.CharField(required=False, max_length=200)
    rating = forms.TypedChoiceField(
        choices=[("", "—"), *[(n, str(n)) for n in range(1, 6)]], coerce=int, empty_value=None, required=False
    )
    moment_of_truth = forms.BooleanField(label="Moment of truth", required=False)


class FindingForm(StyledFormMixin, forms.Form):
    """A strength, opportunity or weakness, linked to the journey steps it is about."""

    kind = forms.ChoiceField(choices=Finding.Kind.choices)
    text = forms.CharField(label="Finding", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    steps = forms.ModelMultipleChoiceField(
        label="About these journey steps",
        queryset=JourneyStep.unscoped.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "steps").queryset = JourneyStep.objects.filter(assessment=assessment)

    def clean_steps(self) -> list[JourneyStep]:
        return list(self.cleaned_data["steps"])


class RecommendationForm(StyledFormMixin, forms.Form):
    """A recommendation: steps, obstacles, timeframe, cost, priority, the finding it answers, and the payback grid
    (a year's amount and a note per beneficiary and category; "known to exist" when the amount is not known)."""

    title = forms.CharField(label="Recommendation", max_length=200)
    priority = forms.TypedChoiceField(choices=Recommendation.Priority.choices, coerce=int, initial=2)
    steps = forms.CharField(
        label="Steps, one a line",
        required=False,
        max_length=5000,
        help_text="Accepted, each step becomes an action due along the timeframe.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    obstacles = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    start = forms.DateField(error_messages=DATE_ERROR, widget=DATE)
    end = forms.DateField(error_messages=DATE_ERROR, widget=DATE)
    cost_hours = _amount("Cost in hours", initial=0)
    cost_money = _amount("Cost in money", initial=0)
    finding = scoped_choice(Finding, label="Answers this finding", required=False, empty_label="—")

    def __init__(self, *args: Any, assessment: Assessment, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cost_money"].label = f"Cost in money ({currency})"
        field = model_choice(self, "finding")
        field.queryset = Finding.objects.filter(assessment=assessment)
        field.label_from_instance = lambda obj: f"{obj.kind}: {Truncator(obj.text).chars(90)}"  # type: ignore[method-assign]
        for who, who_label in Payback.Beneficiary.choices:
            for what, what_label in Payback.Category.choices:
                cell = f"{what_label} to {who_label.lower()}"
                self.fields[f"pb-{who}-{what}"] = _amount(f"{cell}, amount")
                self.fields[f"pbk-{who}-{what}"] = forms.BooleanField(label="known to exist", required=False)
                self.fields[f"pbn-{who}-{what}"] = forms.CharField(
                    label=f"{cell}, note",
                    required=False,
                    max_length=300,
                    widget=forms.TextInput(attrs={"placeholder": "note"}),
                )
        self.style_fields()
        for name, each in self.fields.items():
            if name.startswith(("pb-", "pbn-")):
                each.widget.attrs["class"] += " form-control-sm"

    @staticmethod
    def initial_for(rec: Recommendation) -> dict[str, Any]:
        found = {
            "title": rec.title,
            "priority": rec.priority,
            "steps": rec.steps,
            "obstacles": rec.obstacles,
            "start": rec.start,
            "end": rec.end,
            "cost_hours": rec.cost_hours,
            "cost_money": rec.cost_money,
            "finding": rec.finding_id,
        }
        for p in rec.paybacks.all():
            key = f"{p.beneficiary}-{p.category}"
            found |= {f"pb-{key}": p.amount, f"pbk-{key}": True, f"pbn-{key}": p.note}
        return found

    def grid(self) -> list[dict[str, Any]]:
        """The payback grid: a row per beneficiary, a cell per category with its three fields."""
        return [
            {
                "who": who,
                "label": label,
                "cells": [
                    {
                        "label": what_label,
                        "amount": self[f"pb-{who}-{what}"],
                        "known": self[f"pbk-{who}-{what}"],
                        "note": self[f"pbn-{who}-{what}"],
                    }
                    for what, what_label in Payback.Category.choices
                ],
            }
            for who, label in Payback.Beneficiary.choices
        ]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        paybacks = []
        for who, _ in Payback.Beneficiary.choices:
            for what, _ in Payback.Category.choices:
                amount, note = data[f"pb-{who}-{what}"], data[f"pbn-{who}-{what}"]
                if amount or note or data[f"pbk-{who}-{what}"]:
                    paybacks.append({"beneficiary": who, "category": what, "amount": amount or None, "note": note})
        fields = ("title", "priority", "steps", "obstacles", "start", "end", "finding")
        costs = {k: data[k] or "0" for k in ("cost_hours", "cost_money")}
        return {**{k: data[k] for k in fields}, **costs, "paybacks": paybacks}


class RoundInviteForm(StyledFormMixin, forms.Form):
    """Members to invite to a 4 R's round (viewers do not take it; the ones invited already are left out)."""

    users = forms.TypedMultipleChoiceField(
        label="Invite by email",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose who to invite."},
    )

    def __init__(self, *args: Any, invited: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice(self, "users").choices = [(u.pk, u.display_name) for u in respondents() if u.pk not in invited]


class StatusForm(forms.Form):
    """The next step of the assessment's workflow."""

    status = forms.ChoiceField(
        choices=Assessment.Status.choices, error_messages={"invalid_choice": "Choose a step of the workflow."}
    )


def _contract_label(contract: Contract) -> str:
    return f"{contract.title} ({contract.start:%b %Y} to {contract.end:%b %Y})"


class AssessmentNewForm(StyledFormMixin, forms.Form):
    title = forms.CharField(max_length=200)
    contract = scoped_choice(Contract, required=False)
    summary = forms.CharField(
        max_length=20000, required=False, label="Purpose (optional)", widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, account: Any, hint: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contracts = Contract.objects.filter(account=account).order_by("-end")
        field = model_choice(self, "contract")
        field.queryset = contracts
        field.empty_label = "The running contract" if contracts.exists() else "No contract on record"
        field.label_from_instance = _contract_label  # type: ignore[method-assign,assignment]
        field.help_text = hint


class AssessmentSettingsForm(StyledFormMixin, forms.Form):
    """The mid-contract window and the cost of an hour (checked again by the service)."""

    window_start_pct = forms.IntegerField(min_value=0, max_value=100, label="Prompt window from (% of the term)")
    window_end_pct = forms.IntegerField(min_value=0, max_value=100, label="to (% of the term)")
    hourly_rate = forms.DecimalField(
        min_value=0, max_digits=9, decimal_places=2, label="Cost of one hour of the team's work"
    )
    currency = forms.CharField(min_length=3, max_length=3, label="Currency")
    fourrs_min_answers = forms.IntegerField(
        min_value=3,
        max_value=100,
        label="4 R's round averages from (answers)",
        help_text="A closed round shows its averages from this many answers; never fewer than 3.",
    )

    @classmethod
    def of(cls, config: Any) -> AssessmentSettingsForm:
        return cls(initial={name: getattr(config, name) for name in cls.base_fields})
