from __future__ import annotations

from django import forms

from sam.forms import StyledFormMixin


class SignInCodeForm(StyledFormMixin, forms.Form):
    """The second step of signing in: the app's code, or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )


class ConfirmDeviceForm(StyledFormMixin, forms.Form):
    """Setting up: the code the app shows for the new key, proof that the app has it."""

    code = forms.CharField(
        label="Code from the app",
        max_length=10,
        help_text="The 6 digits the app shows for SAM now.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class StillYouForm(StyledFormMixin, forms.Form):
    """Before a change to how one signs in: the password, or the app's code now. Two of these share a page: each
    is made with its own ``auto_id`` (the field keeps its name, which the lockout's record leaves out)."""

    password = forms.CharField(
        label="Your password, or the code from your app",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
