"""The public survey pages: no login, the token moved out of the address into the session at once.

Every refusal (unknown, tampered, expired, used, revoked, another tenant's) is the same friendly page,
with status 200 so nothing about the token reaches the request log.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from sam.models import Tenant
from sam.security import client_address, rate_limited
from sam.tenancy.context import tenant_context
from voc import services
from voc.models import Invitation, Question

SESSION_KEY = "voc_token"


def _private(response: HttpResponse, referrer: str = "same-origin") -> HttpResponse:
    """No caching or indexing. The pages past the first carry no token, so they keep same-origin (a form
    POST under no-referrer would send ``Origin: null`` and fail the CSRF check)."""
    response["Referrer-Policy"] = referrer
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _sorry(request: HttpRequest, tenant: Tenant | None = None, *, referrer: str = "same-origin") -> HttpResponse:
    return _private(render(request, "voc/public_sorry.html", {"brand": tenant}), referrer)


def _tenant(token: str) -> Tenant | None:
    tenant_id = services.tenant_of_token(token)
    return Tenant.objects.filter(pk=tenant_id, active=True).first() if tenant_id else None


def _limited(request: HttpRequest) -> bool:
    return rate_limited(f"survey:{client_address(request)}", limit=getattr(settings, "SURVEY_RATE_LIMIT", 30))


@require_http_methods(["GET"])
def survey_start(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: check the token, keep it in the session, and leave this address at once."""
    if _limited(request):
        return _private(render(request, "voc/public_sorry.html", {"busy": True}, status=429), "no-referrer")
    tenant = _tenant(token)
    if tenant is None:
        return _sorry(request, referrer="no-referrer")
    with tenant_context(tenant):
        try:
            invitation = services.invitation_for(token)
        except services.TokenInvalid:
            return _sorry(request, referrer="no-referrer")
        if invitation.opened_at is None:  # conditional updates: never undo a revoke or an answer made meanwhile
            now = timezone.now()
            Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENT).update(
                status=Invitation.Status.OPENED, opened_at=now
            )
            Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
    request.session[SESSION_KEY] = token
    return _private(redirect("survey_form"), referrer="no-referrer")  # this address holds the token


@require_http_methods(["GET", "POST"])
def survey_form(request: HttpRequest) -> HttpResponse:
    """The questions; on POST the answers are taken once and the token is spent."""
    token = request.session.get(SESSION_KEY, "")
    tenant = _tenant(token)
    if tenant is None:
        return _sorry(request)
    if request.method == "POST" and _limited(request):
        return _private(render(request, "voc/public_sorry.html", {"busy": True}, status=429))
    with tenant_context(tenant):
        errors: dict[str, str] = {}
        posted: dict[str, Any] = {}
        if request.method == "POST":  # the common path: one locked lookup, the answers taken, the token spent
            posted = dict(request.POST.lists())
            try:
                services.response_submit(token=token, answers=posted, form=True)
            except services.TokenInvalid:
                request.session.pop(SESSION_KEY, None)
                return _sorry(request, tenant)
            except ValidationError as exc:
                errors = {k: v[0] for k, v in exc.message_dict.items()}
            else:
                request.session.pop(SESSION_KEY, None)
                return _private(render(request, "voc/public_thanks.html", {"brand": tenant}))
        try:
            invitation = services.invitation_for(token)
        except services.TokenInvalid:
            request.session.pop(SESSION_KEY, None)
            return _sorry(request, tenant)
        questions = list(Question.objects.filter(version_id=invitation.campaign.version_id))
        posted = {str(q.pk): services.form_value(q, posted.get(str(q.pk), [])) for q in questions}
        context = {
            "brand": tenant,
            "logo": tenant.logo_data_uri(),
            "contact": invitation.contact,
            "questions": [(q, errors.get(str(q.pk)), posted.get(str(q.pk), "")) for q in questions],
            "errors": errors,
            "scale": {"nps": range(0, 11), "rating": range(1, 6)},
        }
        return _private(render(request, "voc/public_form.html", context, status=400 if errors else 200))


@require_http_methods(["POST"])
def survey_unsubscribe(request: HttpRequest) -> HttpResponse:
    """No more surveys for this contact: the invitation ends and the contact is opted out."""
    token = request.session.get(SESSION_KEY, "")
    tenant = _tenant(token)
    if tenant is None:
        return _sorry(request)
    with tenant_context(tenant):
        try:
            invitation = services.invitation_for(token)
        except services.TokenInvalid:
            return _sorry(request, tenant)
        from accounts.models import Contact

        Contact.objects.filter(pk=invitation.contact_id).update(opted_out=True)
        Invitation.objects.filter(pk=invitation.pk, status__in=services.OPEN).update(status=Invitation.Status.OPTED_OUT)
    request.session.pop(SESSION_KEY, None)
    return _private(render(request, "voc/public_thanks.html", {"brand": tenant, "unsubscribed": True}))
