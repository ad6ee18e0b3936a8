"""The dashboard's filters: read from the URL (page, PDF and API alike), so a view can be bookmarked."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import Account, Tier
from dashboard.selectors import Filters, months_back
from sam.forms import DATE, MemberChoiceField, StyledFormMixin, choice, model_choice, scoped_choice
from sam.models import User
from sam.selectors import member_choices

MAX_WINDOW_DAYS = 366 * 10
EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)
WINDOWS = [
    ("3", "Last 3 months"),
    ("6", "Last 6 months"),
    ("12", "Last 12 months"),
    ("24", "Last 2 years"),
    ("36", "Last 3 years"),
]
SCOPES = [("mine", "My accounts"), ("all", "Whole portfolio")]
# Where each role starts: the people who run accounts see theirs first.
MINE_FIRST = ("account_manager", "member")


def _industries() -> list[tuple[str, str]]:
    names = set(Account.objects.alive().exclude(industry="").values_list("industry", flat=True))
    return [("", "Every industry"), *((name, name) for name in sorted(names, key=str.lower))]


class FilterForm(StyledFormMixin, forms.Form):
    scope = forms.ChoiceField(choices=SCOPES, required=False, label="Accounts")
    window = forms.ChoiceField(choices=[("", "Chosen dates"), *WINDOWS], required=False, label="Period")
    start = forms.DateField(required=False, widget=DATE, label="From")
    end = forms.DateField(required=False, widget=DATE, label="To")
    tier = scoped_choice(Tier, required=False, label="Tier", empty_label="Every tier")
    owner = MemberChoiceField(queryset=User.objects.none(), required=False, label="Owner", empty_label="Anyone")
    industry = forms.ChoiceField(required=False, label="Industry")

    def __init__(self, *args: Any, role: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role = role
        model_choice(self, "tier").queryset = Tier.objects.all()
        model_choice(self, "owner").queryset = member_choices()
        choice(self, "industry").choices = _industries  # a callable: read only when the form is shown

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        for name in ("start", "end"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, f"Choose a day from {EARLIEST:%Y} to {LATEST:%Y}.")
        if self.errors:
            return data
        start, end = data.get("start"), data.get("end") or timezone.localdate()
        if start and end < start:
            self.add_error("end" if data.get("end") else "start", "The end of the period comes before its start.")
        elif start and (end - start).days > MAX_WINDOW_DAYS:
            self.add_error("start", "Choose a period of at most ten years.")
        return data

    def filters(self, user: Any) -> Filters:
        """The filters asked for; with none, the role's starting view over the last 12 months."""
        data = self.cleaned_data
        today = timezone.localdate()
        scope = data.get("scope") or ("mine" if self.role in MINE_FIRST else "all")
        end = data.get("end") or today
        if data.get("window"):
            start = months_back(end, int(data["window"])) + timedelta(days=1)
        else:
            start = data.get("start") or months_back(end, 12) + timedelta(days=1)
        return Filters(
            start=start,
            end=end,
            window=int(data["window"]) if data.get("window") else None,
            end_given=bool(data.get("end")),
            tier_id=data["tier"].pk if data.get("tier") else None,
            owner_id=data["owner"].pk if data.get("owner") else None,
            industry=data.get("industry") or "",
            mine_user_id=user.pk if scope == "mine" else None,
        )
