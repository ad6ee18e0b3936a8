"""Pages of two-factor sign-in: the second step of signing in, and the person's own settings (outside any
workspace: it is theirs, in every workspace)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from sam import authlog, security
from sam.forms import apply_errors
from sam.http import AuthedRequest
from sam.twofactor import selectors, services, signin
from sam.twofactor.forms import ConfirmDeviceForm, SignInCodeForm, StillYouForm
from sam.twofactor.qr import qr_svg
from sam.twofactor.services import Check

WAIT = "Too many wrong codes in a row: wait a few seconds, then type the code the app shows."


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in, for a session whose password step passed a moment ago."""
    if request.user.is_authenticated:
        return redirect("home")
    halfway = signin.pending(request)
    if halfway is None:
        messages.info(request, "Sign in again: the code is asked for a few minutes after the password.")
        return redirect("login")
    user, email = halfway.user, halfway.user.get_username()
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if security.lockout_active(request, email):
            signin.end(request)
            return security.lockout_response(request, email)
        result = services.second_factor_check(user=user, code=form.cleaned_data["code"])
        if result in (Check.APP, Check.RECOVERY):
            signin.end(request)
            auth_login(request, user, backend=halfway.backend or settings.AUTHENTICATION_BACKENDS[-1])
            if result is Check.RECOVERY:
                left = selectors.recovery_codes_left(user)
                authlog.event("2fa-recovery-code-used", request, left=left)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; it cannot be used again. {left} left: "
                    "make new ones in your two-factor settings if you are running out.",
                )
            return HttpResponseRedirect(halfway.next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        if result is Check.WAIT:
            form.add_error("code", WAIT)
        else:
            authlog.event("2fa-failed", request, user=user.pk, step="sign-in")
            if security.lockout_count_failure(request, email):
                signin.end(request)
                return security.lockout_response(request, email)
            if signin.count_wrong(request) == 0:
                messages.error(request, "Too many wrong codes: give your password again.")
                return redirect("login")
            form.add_error("code", "That code does not match, or that recovery code was used already.")
    return render(request, "registration/login_code.html", {"form": form, "email": email})


def _next_url(request: HttpRequest) -> str:
    """Where the person was going when a workspace sent them to set up two-factor sign-in (a page of this site)."""
    given = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(given, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return given if safe else ""


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: AuthedRequest) -> HttpResponse:
    """Two-factor sign-in of the person signed in: set it up (a new key, confirmed by a code from it), or, once it
    is on, its state and the forms to renew the recovery codes or turn it off."""
    user = request.user
    device = selectors.confirmed_device(user)
    if device is not None:
        return _settings_page(request, device)
    next_url = _next_url(request)
    form = ConfirmDeviceForm(request.POST or None, initial={"next": next_url})
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.device_confirm(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _codes_page(request, codes, turned_on=True, next_url=next_url)
    pending = services.device_pending(user=user)
    context = {
        "form": form,
        "key": selectors.key_text(pending),
        "qr": qr_svg(pending.config_url, title="QR code of your new key, for your authenticator app"),
        "next_url": next_url,
    }
    return render(request, "sam/two_factor_setup.html", context, status=400 if form.errors else 200)


def _settings_page(
    request: AuthedRequest,
    device: object,
    *,
    renew_form: StillYouForm | None = None,
    off_form: StillYouForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "device": device,
        "codes_left": selectors.recovery_codes_left(request.user),
        "renew_form": renew_form or StillYouForm(auto_id="renew_%s"),
        "off_form": off_form or StillYouForm(auto_id="off_%s"),
    }
    return render(request, "sam/two_factor.html", context, status=status)


def _codes_page(request: AuthedRequest, codes: list[str], *, turned_on: bool, next_url: str = "") -> HttpResponse:
    """The recovery codes, shown this once (only their hashes are kept)."""
    context = {"codes": codes, "turned_on": turned_on, "next_url": next_url}
    return render(request, "sam/two_factor_codes.html", context)


def _still_you(request: AuthedRequest, form: StillYouForm) -> HttpResponse | None:
    """None when the form holds the person's password or the app's code now; else the answer to give (the page
    with the error, or the lockout once wrong answers reach the sign-in limit)."""
    user = request.user
    email = user.get_username()
    if security.lockout_active(request, email):
        return security.lockout_response(request, email)
    if form.is_valid():
        if services.password_or_code_check(user=user, given=form.cleaned_data["password"]):
            update_session_auth_hash(request, user)  # in case checking the password rehashed it
            return None
        authlog.event("2fa-failed", request, step="settings")
        if security.lockout_count_failure(request, email):
            return security.lockout_response(request, email)
        form.add_error("password", "That is neither your password nor the code your app shows now.")
    device = selectors.confirmed_device(user)
    if device is None:
        return redirect("two_factor")
    forms = {"renew_form": form} if form.auto_id == "renew_%s" else {"off_form": form}
    return _settings_page(request, device, status=400, **forms)


@login_required
@require_POST
def two_factor_recovery_codes(request: AuthedRequest) -> HttpResponse:
    """New recovery codes in place of the old ones."""
    refused = _still_you(request, StillYouForm(request.POST, auto_id="renew_%s"))
    if refused is not None:
        return refused
    try:
        codes = services.recovery_codes_renew(user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("two_factor")
    return _codes_page(request, codes, turned_on=False)


@login_required
@require_POST
def two_factor_off(request: AuthedRequest) -> HttpResponse:
    refused = _still_you(request, StillYouForm(request.POST, auto_id="off_%s"))
    if refused is not None:
        return refused
    services.two_factor_off(user=request.user)
    messages.success(request, "Two-factor sign-in is off: signing in takes your password alone.")
    return redirect("two_factor")
