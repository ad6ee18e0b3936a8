from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import Account, BuyerRole, Tier
from sam.forms import StyledFormMixin, model_choice
from voc.models import Campaign, Question, SurveyTemplate, VocSettings
from voc.selectors import account_campaigns

LOCAL = "%Y-%m-%dT%H:%M"


class LocalDateTime(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=LOCAL)


AUDIENCE_FIELDS = ("tiers", "buyer_roles", "accounts")


class CampaignForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=200, help_text="Customers do not see it.")
    template = forms.ModelChoiceField(queryset=SurveyTemplate.unscoped.none(), label="Survey", empty_label=None)
    tiers = forms.ModelMultipleChoiceField(
        queryset=Tier.unscoped.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every tier.",
        error_messages={
            "invalid_choice": "Choose tiers from the list.",
            "invalid_pk_value": "Choose tiers from the list.",
        },
    )
    buyer_roles = forms.MultipleChoiceField(
        choices=BuyerRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every role.",
        error_messages={"invalid_choice": "Choose buyer roles from the list."},
    )
    accounts = forms.ModelMultipleChoiceField(
        queryset=Account.unscoped.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="None chosen: every account of the tiers above.",
        error_messages={
            "invalid_choice": "Choose accounts from the list.",
            "invalid_pk_value": "Choose accounts from the list.",
        },
    )
    send_at = forms.DateTimeField(label="Send on", widget=LocalDateTime(), input_formats=[LOCAL])
    closes_at = forms.DateTimeField(
        label="Close on", widget=LocalDateTime(), input_formats=[LOCAL], help_text="Links stop working then."
    )
    reminder_after_days = forms.IntegerField(
        label="Remind non-responders after (days)", min_value=1, max_value=60, initial=7
    )
    reminder_max = forms.IntegerField(label="At most this many reminders", min_value=0, max_value=5, initial=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "template").queryset = SurveyTemplate.objects.order_by("-is_default", "name")
        model_choice(self, "tiers").queryset = Tier.objects.all()
        model_choice(self, "accounts").queryset = Account.objects.alive().order_by("name")
        for name in ("tiers", "buyer_roles"):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        if not self.is_bound:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("send_at", now + timedelta(hours=1))
            self.initial.setdefault("closes_at", now + timedelta(days=21))
            default = SurveyTemplate.objects.filter(is_default=True).first()
            if default is not None:
                self.initial.setdefault("template", default.pk)

    def audience_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "tiers": [t.pk for t in data.get("tiers") or []],
            "buyer_roles": list(data.get("buyer_roles") or []),
            "accounts": [a.pk for a in data.get("accounts") or []],
        }


class QuestionForm(StyledFormMixin, forms.Form):
    text = forms.CharField(max_length=300, label="Question")
    kind = forms.ChoiceField(choices=Question.Kind.choices, label="Type")
    role = forms.ChoiceField(
        choices=Question.Role.choices,
        label="Measures",
        initial=Question.Role.OTHER,
        help_text="NPS and the two loyalty axes feed the results; one question each.",
    )
    help_text = forms.CharField(max_length=300, required=False, label="Help text")
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Options (choice questions, one a line)",
        max_length=2000,
    )
    required = forms.BooleanField(required=False, initial=True)

    @classmethod
    def of(cls, question: Question) -> QuestionForm:
        """The form of a question as it is, with ids of its own (many on one page)."""
        initial = {
            "text": question.text,
            "kind": question.kind,
            "role": question.role,
            "help_text": question.help_text,
            "choices": "\n".join(question.choices or []),
            "required": question.required,
        }
        return cls(initial=initial, auto_id=f"q{question.pk}-%s")


class SurveyTemplateForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=120, label="New survey")


class VocSettingsForm(StyledFormMixin, forms.ModelForm[VocSettings]):
    class Meta:
        model = VocSettings
        fields = ["anonymous", "anonymity_threshold", "attitude_cutoff", "intent_cutoff"]
        labels = {
            "anonymous": "Anonymous results",
            "anonymity_threshold": "K (fewest answers shown)",
            "attitude_cutoff": "Satisfaction counts as high from",
            "intent_cutoff": "Intent counts as high from",
        }


class ReportForm(StyledFormMixin, forms.Form):
    """Which campaigns an account's VoC report covers: one that asked the account, or all of them."""

    campaign = forms.ModelChoiceField(
        queryset=Campaign.unscoped.none(),
        required=False,
        empty_label="Every campaign",
        label="Campaign",
        error_messages={"invalid_choice": "Choose a campaign that asked this account."},
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "campaign").queryset = account_campaigns(account)
