from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.template.loader import render_to_string

from sam import authlog, services
from sam.models import DataChange, User, WorkspaceSettings
from sam.roles import Role

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def scoped_choice(model: Any, **kwargs: Any) -> forms.ModelChoiceField[Any]:
    """A choice of the tenant's rows; the real queryset is set per request in the form's __init__
    (a form class is built at import time, when no tenant is active)."""
    return forms.ModelChoiceField(queryset=model.unscoped.none(), **kwargs)


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """A form's model-choice field, to set its choices per request (``form.fields`` holds plain fields)."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def choice(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """A form's choice field, to set its choices per request."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def share_choices(forms_: list[Any], *names: str) -> None:
    """Many copies of one form on a page (an edit form per row): read each choice field's options once, from the
    first copy, and give them to all, so the page costs the same queries however many rows it has."""
    if not forms_:
        return
    for name in names:
        options = list(forms_[0].fields[name].choices)
        for form in forms_:
            form.fields[name].choices = options


class MemberChoiceField(forms.ModelChoiceField[User]):
    """A member of the current tenant, shown by name and email (queryset: ``sam.selectors.member_choices()``)."""

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


class StyledFormMixin:
    """Bootstrap classes on every widget, and error state for screen readers and eyes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields()

    def style_fields(self) -> None:
        """Give every widget its Bootstrap class (call again after adding fields)."""
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            base = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):  # RadioSelect: also checkbox lists
                base = "form-check-input"
            classes = widget.attrs.get("class", "").split()
            if base not in classes:
                widget.attrs["class"] = " ".join([*classes, base])

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"


class LoginForm(StyledFormMixin, AuthenticationForm):
    username = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": "That email and password do not match an account. Passwords are case-sensitive.",
        "inactive": "That email and password do not match an account. Passwords are case-sensitive.",
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class InvitationForm(StyledFormMixin, forms.Form):
    email = forms.EmailField(max_length=254)
    name = forms.CharField(max_length=200, required=False, label="Name", help_text="How you know them; for the email.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class SessionLimitsForm(StyledFormMixin, forms.Form):
    session_idle_minutes = forms.IntegerField(min_value=15, max_value=1440, label="Sign out after idle (minutes)")
    session_max_hours = forms.IntegerField(min_value=1, max_value=12, label="Sign out after (hours in all)")


class TwoFactorRequirementForm(StyledFormMixin, forms.Form):
    two_factor_required = forms.ChoiceField(
        label="Required of",
        choices=WorkspaceSettings.TwoFactor.choices,
        widget=forms.RadioSelect,
    )


class InvitationAcceptForm(StyledFormMixin, forms.Form):
    """A person without an account accepts: their name and a password (checked by Django's validators)."""

    full_name = forms.CharField(max_length=200, label="Your name")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "The two passwords differ.")
        return data


class MemberRoleForm(StyledFormMixin, forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class TokenCreateForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'CRM sync'.")
    expires_in_days = forms.TypedChoiceField(
        label="Expires",
        coerce=int,
        choices=[(30, "in 30 days"), (90, "in 90 days"), (365, "in a year"), (0, "never")],
        initial=90,
    )


class PasswordResetForm(StyledFormMixin, auth_forms.PasswordResetForm):
    """Reset, or first set, a password. The email goes through the outbox."""

    def get_users(self, email: str) -> Iterator[User]:
        # Unlike Django's default this includes people who never had a
        # password: invited members and a new tenant's first admin set
        # theirs here.
        return iter(User.objects.filter(email__iexact=email.strip(), is_active=True))

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        # Nothing secret in the row: the link is made as the email leaves (sam/services.py, security emails).
        context = {**context, "link": services.PASSWORD_LINK, "uid": "", "token": ""}
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        services.password_reset_enqueue(user=context["user"], subject=subject, text=body)


class SetPasswordForm(StyledFormMixin, auth_forms.SetPasswordForm):  # type: ignore[type-arg]  # generic for mypy only
    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        authlog.event("password-set", user=user.pk)  # from a reset or an invitation's first link
        return user


def apply_errors(form: forms.BaseForm, exc: Any) -> None:
    """A service's ValidationError on the form: next to its field when there is one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


class ChangeFilterForm(StyledFormMixin, forms.Form):
    """Which recorded data changes to show: by person, kind of row (and one row), action and dates."""

    person = MemberChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone")
    kind = forms.ChoiceField(required=False, label="What")
    row = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    action = forms.ChoiceField(required=False)
    since = forms.DateField(required=False, widget=DATE, label="From")
    until = forms.DateField(required=False, widget=DATE, label="To")

    def __init__(self, *args: Any, people: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "person").queryset = people
        choice(self, "kind").choices = [("", "Everything"), *kinds]
        choice(self, "action").choices = [("", "Any change"), *DataChange.Action.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end is before the start.")
        if data.get("row") and not data.get("kind"):
            self.add_error("kind", "Say what kind of row.")
        return data
