"""Forms of the accounts pages. Choice lists are built per request, inside the current tenant."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import (
    Account,
    AccountsSettings,
    ActionItem,
    ChangeRequest,
    Contact,
    Contract,
    Decision,
    Deliverable,
    Incident,
    IncidentCategory,
    LossReason,
    PlanGoal,
    PlanObjective,
    PlaybookStep,
    RecurringIssue,
    RevenueSource,
    TeamRole,
    Tier,
    TimelineEntry,
    weekdays,
)
from sam.documents.logos import MAX_LOGO_BYTES, logo_type
from sam.forms import DATE, DATETIME, MemberChoiceField, StyledFormMixin, model_choice, scoped_choice
from sam.icalendar import zone_of
from sam.models import Membership, User, WorkspaceSettings
from sam.selectors import member_choices

WEEKDAY_CHOICES = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class PrimeDaysField(forms.TypedMultipleChoiceField):
    """The customer's prime days, ticked on a week."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("base_field", None)
        kwargs.pop("max_length", None)
        super().__init__(
            choices=WEEKDAY_CHOICES,
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label="Prime days",
            help_text="A change planned in these hours on these days is flagged.",
        )


class AccountForm(StyledFormMixin, forms.ModelForm[Account]):
    tier = scoped_choice(Tier)
    prime_days = PrimeDaysField()
    parent = scoped_choice(Account, required=False, label="Parent account")
    tier_reason = forms.CharField(
        required=False,
        label="Reason for leaving the strategic tier",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when a strategic account moves to another tier; kept with the account's history.",
    )

    class Meta:
        model = Account
        fields = [
            "name",
            "industry",
            "tier",
            "status",
            "owner",
            "annual_revenue",
            "currency",
            "parent",
            "notes",
            "time_zone",
            "prime_start",
            "prime_end",
            "prime_days",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "prime_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "prime_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        labels = {
            "owner": "Account manager (owner)",
            "parent": "Parent account",
            "time_zone": "Customer's time zone",
            "prime_start": "Prime hours start",
            "prime_end": "Prime hours end",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "tier").queryset = Tier.objects.all()
        self.fields["owner"] = MemberChoiceField(
            queryset=User.objects.filter(
                pk__in=Membership.objects.filter(role__in=("admin", "account_manager")).values("user_id")
            ).order_by("full_name", "email"),
            required=False,
            label="Account manager (owner)",
        )
        self.style_fields()
        parents = Account.objects.alive()
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        model_choice(self, "parent").queryset = parents
        self.fields["annual_revenue"].widget.attrs["min"] = "0"
        for name in ("time_zone", "prime_start", "prime_end"):
            self.fields[name].required = False  # left empty: as it was, or the usual 08:00-18:00 UTC
        if not self.instance.pk:
            self.initial.setdefault("prime_days", list(weekdays()))

    def clean_time_zone(self) -> str:
        return (self.cleaned_data.get("time_zone") or "").strip() or self.instance.time_zone or "UTC"

    def clean_prime_start(self) -> Any:
        return self.cleaned_data.get("prime_start") or self.instance.prime_start

    def clean_prime_end(self) -> Any:
        return self.cleaned_data.get("prime_end") or self.instance.prime_end

    def clean_currency(self) -> str:
        value = (self.cleaned_data.get("currency") or "").strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError("Use a three-letter currency code, e.g. EUR.")
        return value

    def clean_annual_revenue(self) -> Any:
        value = self.cleaned_data.get("annual_revenue")
        if value is not None and value < 0:
            raise forms.ValidationError("Revenue cannot be negative.")
        return value

    def _post_clean(self) -> None:
        # The service validates the model; skip ModelForm's own instance checks
        # (they would query uniqueness outside the service's transaction).
        pass


STRATEGIC_REASON = "Say why this strategic account leaves the program; the reason is kept."


class AccountDeleteForm(StyledFormMixin, forms.Form):
    """Why an account leaves the portfolio (a strategic account must say; the service holds that rule)."""

    reason = forms.CharField(
        label="Reason (kept with the account's history)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if account.tier.strategic:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = STRATEGIC_REASON


class ContractForm(StyledFormMixin, forms.ModelForm[Contract]):
    class Meta:
        model = Contract
        fields = ["title", "start", "end", "value", "currency", "renewal_terms"]
        widgets = {"start": DATE, "end": DATE, "renewal_terms": forms.Textarea(attrs={"rows": 2})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", "The end date must be after the start date.")
        if data.get("value") is not None and data["value"] < 0:
            self.add_error("value", "The value cannot be negative.")
        currency = (data.get("currency") or "").strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            self.add_error("currency", "Use a three-letter currency code, e.g. EUR.")
        else:
            data["currency"] = currency
        return data

    def _post_clean(self) -> None:
        pass


class ContactChoiceField(forms.ModelChoiceField[Contact]):
    """A contact of an account, shown with their buyer role (who to invite, who to interview)."""

    def label_from_instance(self, obj: Contact) -> str:
        return f"{obj.name} ({obj.get_buyer_role_display()})" if obj.buyer_role else obj.name


class ContactForm(StyledFormMixin, forms.ModelForm[Contact]):
    class Meta:
        model = Contact
        fields = [
            "name",
            "title",
            "email",
            "phone",
            "buyer_role",
            "influence",
            "relationship_strength",
            "last_interaction",
            "opted_out",
            "approver",
            "relationship_owner",
        ]
        widgets = {"last_interaction": DATE}
        labels = {"relationship_owner": "Relationship owner (our side)"}
        help_texts = {"influence": "1 (little) to 5 (decisive)", "relationship_strength": "1 (cold) to 5 (trusted)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["relationship_owner"] = MemberChoiceField(
            queryset=member_choices(), required=False, label="Relationship owner (our side)"
        )
        for name in ("influence", "relationship_strength"):
            self.fields[name].widget.attrs.update({"min": 1, "max": 5})

    def _post_clean(self) -> None:
        pass


class TeamAssignForm(StyledFormMixin, forms.Form):
    user = MemberChoiceField(queryset=User.objects.none(), label="Person")
    role = forms.ChoiceField(choices=TeamRole.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "user").queryset = member_choices()


class DeliverableForm(StyledFormMixin, forms.ModelForm[Deliverable]):
    link = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Deliverable
        fields = ["status", "owner", "last_reviewed", "link", "file", "note"]
        widgets = {"last_reviewed": DATE, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = MemberChoiceField(queryset=member_choices(), required=False)
        self.style_fields()

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload and getattr(upload, "size", 0) > 20 * 1024 * 1024:
            raise forms.ValidationError("Files up to 20 MB; link larger documents instead.")
        return upload

    def _post_clean(self) -> None:
        pass


class GoalForm(StyledFormMixin, forms.ModelForm[PlanGoal]):
    class Meta:
        model = PlanGoal
        fields = ["title"]
        labels = {"title": "New goal"}


class ObjectiveForm(StyledFormMixin, forms.ModelForm[PlanObjective]):
    class Meta:
        model = PlanObjective
        fields = ["title", "measure"]
        labels = {"title": "New objective", "measure": "How we measure it"}


class PlanReviewForm(StyledFormMixin, forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ActionItemForm(StyledFormMixin, forms.ModelForm[ActionItem]):
    objective = scoped_choice(PlanObjective, required=False, label="Plan objective (optional)")
    owner_contact = scoped_choice(
        Contact, required=False, label="Customer contact", help_text="Who at the customer owns it (theirs only)."
    )

    class Meta:
        model = ActionItem
        fields = ["title", "owner", "due", "status", "side", "owner_contact", "joint", "objective", "detail"]
        labels = {"side": "Whose action", "joint": "Shared with the customer"}
        widgets = {"due": DATE, "detail": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = MemberChoiceField(queryset=member_choices(), required=False)
        model_choice(self, "owner_contact").queryset = Contact.objects.filter(account=account)
        self.fields["side"].required = False  # left out: as it was (ours, for a new action)
        self.style_fields()
        model_choice(self, "objective").queryset = PlanObjective.objects.filter(goal__account=account)
        self.fields["objective"].required = False
        self.fields["objective"].label = "Plan objective (optional)"

    def clean_side(self) -> str:
        side: str = self.cleaned_data.get("side") or ""
        return side or (self.instance.side if self.instance.pk else ActionItem.Side.SUPPLIER)

    def _post_clean(self) -> None:
        pass


class ActionReturnForm(forms.Form):
    """Where a change to an action returns to: the account's plan or action register, or one's own actions (a
    name from this list, never an address)."""

    PLAN, ACTIONS, MY_ACTIONS = "plan", "actions", "my_actions"

    return_to = forms.ChoiceField(
        choices=[(PLAN, "The account plan"), (ACTIONS, "The action register"), (MY_ACTIONS, "My actions")],
        required=False,
    )

    def place(self) -> str:
        """The page to return to: the action register unless another one was named."""
        return (self.cleaned_data.get("return_to") if self.is_valid() else "") or self.ACTIONS


class IncidentForm(StyledFormMixin, forms.ModelForm[Incident]):
    category = scoped_choice(IncidentCategory)

    class Meta:
        model = Incident
        fields = ["category", "severity", "opened_at", "resolved_at", "summary", "external_ref"]
        widgets = {"opened_at": DATETIME, "resolved_at": DATETIME}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "category").queryset = IncidentCategory.objects.filter(active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if data.get("opened_at") and data.get("resolved_at") and data["resolved_at"] < data["opened_at"]:
            self.add_error("resolved_at", "An incident cannot be resolved before it was opened.")
        return data

    def _post_clean(self) -> None:
        pass


class RecurringIssueForm(StyledFormMixin, forms.ModelForm[RecurringIssue]):
    class Meta:
        model = RecurringIssue
        fields = ["owner", "root_cause", "status"]
        widgets = {"root_cause": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = MemberChoiceField(queryset=member_choices(), required=True, label="Owner (one person)")
        self.style_fields()

    def _post_clean(self) -> None:
        pass


class CriteriaForm(StyledFormMixin, forms.Form):
    """One score (0-5) and justification per active selection criterion."""

    def __init__(self, *args: Any, criteria: list[Any], answers: dict[int, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            answer = answers.get(criterion.pk)
            self.fields[f"score_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.question,
                choices=[("", "not scored")] + [(i, str(i)) for i in range(6)],
                coerce=int,
                required=False,
                initial=answer.score if answer else "",
            )
            self.fields[f"why_{criterion.pk}"] = forms.CharField(
                label="Why",
                required=False,
                max_length=500,
                initial=answer.justification if answer else "",
                widget=forms.Textarea(attrs={"rows": 1, "class": "why"}),
            )
        self.style_fields()

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [(c, self[f"score_{c.pk}"], self[f"why_{c.pk}"]) for c in self.criteria]

    def answers(self) -> dict[int, tuple[int | None, str]]:
        """Every criterion of the form; a blank score (None) clears that answer."""
        result: dict[int, tuple[int | None, str]] = {}
        for criterion in self.criteria:
            score = self.cleaned_data.get(f"score_{criterion.pk}")
            why = self.cleaned_data.get(f"why_{criterion.pk}", "")
            result[criterion.pk] = (None if score in (None, "") else int(score), why)
        return result


class ProgramSettingsForm(StyledFormMixin, forms.ModelForm[AccountsSettings]):
    """The program's rules (the accounts app's settings) and the paper size of every report (the workspace's)."""

    paper_size = forms.ChoiceField(choices=WorkspaceSettings.PaperSize.choices, label="Paper size")

    class Meta:
        model = AccountsSettings
        fields = [
            "portfolio_band",
            "portfolio_custom_cap",
            "recurrence_threshold",
            "recurrence_window_days",
            "review_stale_days",
            "quiet_role_days",
            "removed_retention_days",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if data.get("portfolio_band") == AccountsSettings.PortfolioBand.CUSTOM and not data.get("portfolio_custom_cap"):
            self.add_error("portfolio_custom_cap", "Give the cap for a custom portfolio size.")
        for name in ("recurrence_threshold", "recurrence_window_days", "review_stale_days"):
            if data.get(name) is not None and not 1 <= data[name] <= 3650:
                self.add_error(name, "Use a number from 1 to 3650.")
        return data


class CsvUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma separated, with a header row. Up to 5 MB.")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 5 MB.")
        return upload


class OperationsReviewForm(StyledFormMixin, forms.Form):
    start = forms.DateField(widget=DATE, label="Period from")
    end = forms.DateField(widget=DATE, label="to")
    summary = forms.CharField(
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the customer should take away: the period in a few sentences.",
    )
    recommendations = forms.CharField(
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What to fix or decide before it hurts, and who decides.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if data.get("start") and data.get("end"):
            if data["end"] < data["start"]:
                self.add_error("end", "The period must end after it starts.")
            elif (data["end"] - data["start"]).days > 730:
                self.add_error("start", "A report covers at most two years.")
        return data


class LogoForm(StyledFormMixin, forms.Form):
    logo = forms.FileField(label="Logo for reports", help_text="PNG, JPEG or SVG, up to 256 KB.")

    def clean_logo(self) -> Any:
        upload = self.cleaned_data["logo"]
        if upload.size > MAX_LOGO_BYTES:
            raise forms.ValidationError("The logo is larger than 256 KB.")
        head = upload.read(4096)
        upload.seek(0)
        if not logo_type(head):
            raise forms.ValidationError("Use a PNG, JPEG or SVG image.")
        return upload


# --- renewals, revenue and money --------------------------------------------------------------------------


class ContractOutcomeForm(StyledFormMixin, forms.Form):
    outcome = forms.ChoiceField(choices=Contract.Outcome.choices, label="Outcome")
    renewed_as = scoped_choice(
        Contract, required=False, label="Renewed as", help_text="The contract that continues it."
    )
    value_change = forms.DecimalField(
        required=False,
        max_digits=16,
        decimal_places=2,
        label="Value change",
        help_text="New value minus old value in this contract's currency: above zero for an expansion, below for a "
        "contraction. Left empty, it is worked out from the new contract's value.",
    )
    lost_reason = scoped_choice(LossReason, required=False, label="Why it was lost")
    competitor = forms.CharField(required=False, max_length=200, label="Lost to (competitor)")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="Note")

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Contract.objects.filter(account_id=contract.account_id).exclude(pk=contract.pk)
        model_choice(self, "renewed_as").queryset = others
        model_choice(self, "lost_reason").queryset = LossReason.objects.filter(active=True)


class RevenueEntryForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(min_value=1900, max_value=2200, label="Year")
    quarter = forms.TypedChoiceField(
        choices=[(0, "Whole year"), (1, "Q1"), (2, "Q2"), (3, "Q3"), (4, "Q4")],
        coerce=int,
        initial=0,
        label="Period",
    )
    source = scoped_choice(RevenueSource, label="Revenue source")
    amount = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2, label="Amount")
    currency = forms.CharField(max_length=3, label="Currency")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "source").queryset = RevenueSource.objects.filter(active=True)


class ExchangeRateForm(StyledFormMixin, forms.Form):
    currency = forms.CharField(max_length=3, label="Currency", help_text="Three letters, e.g. EUR.")
    valid_from = forms.DateField(widget=DATE, label="In force from")
    rate = forms.DecimalField(max_digits=20, decimal_places=8, label="Rate", help_text="One unit in the base currency.")


class PortfolioSettingsForm(StyledFormMixin, forms.ModelForm[AccountsSettings]):
    class Meta:
        model = AccountsSettings
        fields = ["base_currency", "retention_target", "monthly_review_email"]
        labels = {
            "base_currency": "Base currency",
            "retention_target": "Retention target (%)",
            "monthly_review_email": "Send the monthly portfolio review",
        }

    def clean_base_currency(self) -> str:
        code = (self.cleaned_data.get("base_currency") or "").strip().upper()
        if len(code) != 3 or not code.isascii() or not code.isalpha():
            raise forms.ValidationError("Use a three-letter currency code, e.g. EUR.")
        return code

    def clean_retention_target(self) -> Any:
        value = self.cleaned_data.get("retention_target")
        if value is not None and not 0 <= value <= 100:
            raise forms.ValidationError("Use a percentage from 0 to 100.")
        return value


class ListItemForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=120, label="Name")


class TierForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=60, required=False, label="Name")
    strategic = forms.BooleanField(required=False, label="Strategic")
    needed_roles = forms.MultipleChoiceField(
        choices=TeamRole.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Roles its accounts need"
    )
    # The roles' boxes were on the form: none ticked then means "no role needed", not "keep them".
    roles_shown = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def cleaned_roles(self) -> list[str] | None:
        return list(self.cleaned_data["needed_roles"]) if self.cleaned_data["roles_shown"] else None


class NeededRolesForm(StyledFormMixin, forms.Form):
    """The roles this account's team must fill, or its tier's default."""

    follow_tier = forms.BooleanField(required=False, label="As its tier says")
    roles = forms.MultipleChoiceField(
        choices=TeamRole.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Roles this account needs"
    )

    def cleaned_roles(self) -> list[str] | None:
        return None if self.cleaned_data["follow_tier"] else list(self.cleaned_data["roles"])


class CriterionForm(StyledFormMixin, forms.Form):
    question = forms.CharField(max_length=300, label="New question")
    weight = forms.IntegerField(min_value=1, max_value=10, initial=1, label="Weight")


class CriterionWeightForm(StyledFormMixin, forms.Form):
    weight = forms.IntegerField(min_value=1, max_value=10, label="Weight")


class IncidentCategoryForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=80, label="New category")


# --- change control, decisions, escalations ----------------------------------------------------------------


class ChangeRequestForm(StyledFormMixin, forms.Form):
    """A change asked for ahead of its window (or, with ``emergency``, one made without approval)."""

    title = forms.CharField(max_length=200, label="What changes")
    detail = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="In detail")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why")
    risk = forms.ChoiceField(choices=ChangeRequest.Risk.choices, initial=ChangeRequest.Risk.MEDIUM, label="Risk")
    risk_note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="What could go wrong, and who would notice"
    )
    window_start = forms.DateTimeField(widget=DATETIME, label="Window starts")
    window_end = forms.DateTimeField(widget=DATETIME, label="Window ends")
    rollback = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="How it is undone (rollback)")
    recurring_issue = scoped_choice(RecurringIssue, required=False, label="Recurring issue it fixes")
    incident = scoped_choice(Incident, required=False, label="Incident it answers")
    needs_customer_approval = forms.BooleanField(required=False, label="The customer must approve it")

    def __init__(self, *args: Any, account: Account, emergency: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The window is typed on the customer's clock, as its prime hours are.
        self.zone = zone_of(account.time_zone)
        for name in ("window_start", "window_end"):
            self.fields[name].help_text = f"The customer's time ({account.time_zone})."
        model_choice(self, "recurring_issue").queryset = RecurringIssue.objects.filter(account=account).select_related(
            "category"
        )
        model_choice(self, "incident").queryset = Incident.objects.filter(account=account).order_by("-opened_at")[:100]
        if emergency:
            del self.fields["needs_customer_approval"]
            self.fields["window_start"].label = "Made from"
            self.fields["window_end"].label = "Until"
            self.fields["reason"].label = "Why it could not wait for approval"
            self.fields["outcome"] = forms.CharField(
                required=False, widget=forms.Textarea(attrs={"rows": 2}), label="How it went"
            )
            self.style_fields()

    def _on_customer_clock(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        return timezone.make_aware(value.replace(tzinfo=None), self.zone) if value is not None else None

    def clean_window_start(self) -> Any:
        return self._on_customer_clock("window_start")

    def clean_window_end(self) -> Any:
        return self._on_customer_clock("window_end")


class ChangeDecideForm(StyledFormMixin, forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("yes", "Approve"), ("no", "Reject")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Decision",
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Note (a rejection says why)"
    )


class ChangeDoneForm(StyledFormMixin, forms.Form):
    outcome = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}), label="How it went"
    )
    emergency = forms.BooleanField(required=False, label="Made without approval: record it as an emergency change")


class DecisionForm(StyledFormMixin, forms.Form):
    question = forms.CharField(max_length=300, label="What the customer is asked to decide")
    detail = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Background")
    contact = scoped_choice(
        Contact, label="Asked of", help_text="The economic or technical buyer, or a contact flagged as an approver."
    )
    due = forms.DateField(widget=DATE, label="Answer needed by")
    recurring_issue = scoped_choice(RecurringIssue, required=False, label="Recurring issue")
    change_request = scoped_choice(ChangeRequest, required=False, label="Change")

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # every contact of the account is offered: asking one without authority is refused with the reason
        model_choice(self, "contact").queryset = Contact.objects.filter(account=account).order_by("name")
        model_choice(self, "recurring_issue").queryset = RecurringIssue.objects.filter(account=account).select_related(
            "category"
        )
        model_choice(self, "change_request").queryset = ChangeRequest.objects.filter(account=account)


class DecisionAnswerForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        choices=[("approved", "Approved"), ("declined", "Declined")],
        widget=forms.RadioSelect,
        label="The customer's answer",
    )
    answered_on = forms.DateField(widget=DATE, label="Answered on")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Note")


class EscalationForm(StyledFormMixin, forms.Form):
    title = forms.CharField(max_length=200, label="What needs an executive")
    detail = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Detail")
    due = forms.DateField(widget=DATE, label="Resolve by")
    owner = MemberChoiceField(
        queryset=User.objects.none(), required=False, label="Owner (when the account has no Executive Partner)"
    )
    recurring_issue = scoped_choice(RecurringIssue, required=False, label="Recurring issue")
    decision = scoped_choice(Decision, required=False, label="Customer decision")

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "owner").queryset = User.objects.filter(
            pk__in=Membership.objects.filter(role__in=("executive", "admin")).values("user_id")
        ).order_by("full_name", "email")
        model_choice(self, "recurring_issue").queryset = RecurringIssue.objects.filter(account=account).select_related(
            "category"
        )
        model_choice(self, "decision").queryset = Decision.objects.filter(account=account)


class EscalationResolveForm(StyledFormMixin, forms.Form):
    resolution = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), label="How it was resolved")


class TimelineEntryForm(StyledFormMixin, forms.Form):
    """Log a note, call, meeting or email on the account, optionally with one follow-up action."""

    kind = forms.ChoiceField(
        choices=[(k, TimelineEntry.Kind(k).label) for k in TimelineEntry.LOGGED], label="Type", initial="call"
    )
    occurred_at = forms.DateTimeField(widget=DATETIME, label="When", required=False)
    by = MemberChoiceField(queryset=User.objects.none(), required=False, label="Who from our side")
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.unscoped.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Contacts taking part",
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, label="Summary")
    pinned = forms.BooleanField(required=False, label="Pin to the top")
    action_title = forms.CharField(max_length=300, required=False, label="Follow-up action (optional)")
    action_owner = MemberChoiceField(queryset=User.objects.none(), required=False, label="Action owner")
    action_due = forms.DateField(widget=DATE, required=False, label="Action due")

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("by", "action_owner"):
            field = self.fields[name]
            assert isinstance(field, MemberChoiceField)
            field.queryset = member_choices()
        contacts = self.fields["contacts"]
        assert isinstance(contacts, forms.ModelMultipleChoiceField)
        contacts.queryset = Contact.objects.filter(account=account).order_by("name")
        self.style_fields()

    def follow_ups(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        if not data.get("action_title"):
            return []
        return [{"title": data["action_title"], "owner": data.get("action_owner"), "due": data.get("action_due")}]


class PlaybookForm(StyledFormMixin, forms.Form):
    """A playbook's trigger; its steps come in a formset of PlaybookStepForm."""

    name = forms.CharField(max_length=120)
    trigger = forms.ChoiceField(choices=())
    days = forms.IntegerField(required=False, min_value=1, max_value=3650, label="Days (for triggers that take them)")
    active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from accounts.triggers import trigger_choices

        super().__init__(*args, **kwargs)
        trigger = self.fields["trigger"]
        assert isinstance(trigger, forms.ChoiceField)
        trigger.choices = trigger_choices()
        self.style_fields()


class PlaybookStepForm(StyledFormMixin, forms.Form):
    title = forms.CharField(max_length=300, required=False, label="Step")
    role = forms.ChoiceField(choices=(), label="Owned by")
    due_days = forms.IntegerField(min_value=0, max_value=3650, initial=7, label="Due after (days)", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = PlaybookStep.role_choices()
        self.style_fields()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("title") and data.get("due_days") is None and "due_days" not in self.errors:
            self.add_error("due_days", "How many days after the playbook fires is it due? (0: the same day)")
        return data


PlaybookStepFormSet = forms.formset_factory(PlaybookStepForm, extra=3, max_num=20, absolute_max=40)
