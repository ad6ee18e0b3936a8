"""The public survey pages: no login, the token moved out of the address at once.

The emailed link ``/s/<token>/`` keeps the token in a signed, HttpOnly, SameSite=Lax cookie limited to the
survey pages (``/s/``) and redirects: the token then never reaches a Referer header or the browser's history,
and the server keeps nothing of it but its hash. Answering or unsubscribing removes the cookie.

Every refusal (unknown, tampered, expired, used, revoked, another tenant's) is the same friendly page,
with status 200 so nothing about the token reaches the request log.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from sam.models import Tenant, WorkspaceSettings
from sam.numbers import whole
from sam.security import FAIL_OPEN, client_address, rate_limited
from sam.security import private as _private
from voc import services

# "token" in the name: error reports redact the value, as they do every such cookie.
COOKIE, SALT, PATH = "sam_survey_token", "sam.voc.survey", "/s/"
COOKIE_AGE = 60 * 60 * 24 * 30  # the campaign's close date ends the link sooner


def _sorry(request: HttpRequest, tenant: Tenant | None = None, *, referrer: str = "same-origin") -> HttpResponse:
    return _forget(_private(render(request, "voc/public_sorry.html", {"brand": tenant}), referrer))


def _busy(request: HttpRequest) -> HttpResponse:
    return _private(render(request, "voc/public_sorry.html", {"busy": True}, status=429), "no-referrer")


def _cookie(request: HttpRequest) -> tuple[str, int | None]:
    """The token and the survey version its page shows, from the signed cookie (``("", None)`` without one)."""
    value = str(request.get_signed_cookie(COOKIE, default="", salt=SALT, max_age=COOKIE_AGE))
    token, _, version = value.partition(":")
    return token, whole(version)


def keep_token(response: HttpResponse, token: str, version_id: int) -> HttpResponse:
    """Keep a survey link's token in the survey pages' cookie (the emailed link, or the portal opening a survey)."""
    response.set_signed_cookie(
        COOKIE,
        f"{token}:{version_id}",
        salt=SALT,
        max_age=COOKIE_AGE,
        path=PATH,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def _forget(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(COOKIE, path=PATH, samesite="Lax")
    return response


def _limited(request: HttpRequest) -> bool:
    """The limit on presenting tokens. Only the emailed link takes one; the pages after it take the signed cookie,
    which only that link gives, so guessing tokens goes through this limit."""
    return rate_limited(f"survey:{client_address(request)}", limit=settings.SURVEY_RATE_LIMIT, fail_open=FAIL_OPEN)


@require_http_methods(["GET"])
def survey_start(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: check the token, keep it in the survey cookie, and leave this address at once."""
    if _limited(request):
        return _busy(request)
    with services.token_context(token) as (_, invitation, _):
        if invitation is None:
            return _sorry(request, referrer="no-referrer")  # no branding: the address may be a guess
        services.invitation_opened(invitation)
    # This address holds the token: leave it at once.
    return keep_token(_private(redirect("survey_form"), referrer="no-referrer"), token, invitation.campaign.version_id)


@require_http_methods(["GET", "POST"])
def survey_form(request: HttpRequest) -> HttpResponse:
    """The questions; on POST the answers are taken once and the token is spent
    (``services.response_submit_by_token``: on the hot path one round trip, its commit included)."""
    token, version_id = _cookie(request)
    if services.tenant_of_token(token) is None:  # no cookie, or one we did not sign: nothing is looked up
        return _sorry(request)
    errors: dict[str, str] = {}
    posted: dict[str, Any] = {}
    if request.method == "POST":
        posted = dict(request.POST.lists())
        try:
            brand = services.response_submit_by_token(token, version_id, posted)
        except services.TokenInvalid as exc:
            return _sorry(request, exc.tenant)
        except ValidationError as exc:
            errors = {k: v[0] for k, v in exc.message_dict.items()}
        else:
            return _forget(_private(render(request, "voc/public_thanks.html", {"brand": brand})))
    with services.token_context(token) as (tenant, invitation, questions):
        if invitation is None:
            return _sorry(request, tenant)
        posted = {str(q.pk): services.form_value(q, posted.get(str(q.pk), [])) for q in questions}
        context = {
            "brand": tenant,
            "logo": WorkspaceSettings.current().logo_data_uri() if tenant else None,
            "contact": invitation.contact,
            "questions": [(q, errors.get(str(q.pk)), posted.get(str(q.pk), "")) for q in questions],
            "errors": errors,
            "scale": {"nps": range(0, 11), "rating": range(1, 6)},
        }
        return _private(render(request, "voc/public_form.html", context, status=400 if errors else 200))


@require_http_methods(["POST"])
def survey_unsubscribe(request: HttpRequest) -> HttpResponse:
    """No more surveys for this contact: the invitation ends and the contact is opted out."""
    with services.token_context(_cookie(request)[0], lock=True) as (tenant, invitation, _):
        if invitation is None:
            return _sorry(request, tenant)

        services.invitation_unsubscribe(invitation)
    return _forget(_private(render(request, "voc/public_thanks.html", {"brand": tenant, "unsubscribed": True})))
