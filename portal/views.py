"""The customer portal's pages, under ``/p/``: a contact signs in from an emailed link and sees their account.

* The emailed link ``/p/in/<token>/`` keeps the token in a signed, HttpOnly cookie limited to ``/p/`` and leaves
  the address at once; the next page asks the contact to sign in (a mail scanner opening the link spends
  nothing), and signing in spends the link and starts a portal session.
* The portal session is a cookie of its own (``sam_portal_token``, limited to ``/p/``): staff sign-in means
  nothing here, and the portal's cookie means nothing on staff pages or the API (``PortalBoundaryMiddleware``).
* Every refusal of a link (unknown, used, expired, revoked, another tenant's) is the same friendly page; bad links
  from one address lock it out for a while.
* Each page runs inside the contact's tenant; every lookup starts from the contact's account (``selectors``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import ActionItem, Contact
from assessments.models import Recommendation
from portal import selectors, services
from portal.middleware import SESSION_COOKIE
from portal.models import PortalSession
from portal.tasks import portal_link_request_task
from qbr.calendar import ics
from sam.models import Tenant, WorkspaceSettings
from sam.numbers import whole
from sam.security import FAIL_CLOSED, FAIL_OPEN, client_address, rate_count, rate_limited
from sam.security import private as _private
from sam.tasks_base import publish
from sam.tenancy.context import tenant_context
from voc import public as survey_pages
from voc import services as survey_services

PATH = "/p/"
# "token" in the names: error reports redact these cookies' values.

LINK_COOKIE, LINK_SALT = "sam_portal_link_token", "sam.portal.link"
TENANT_COOKIE, TENANT_SALT = "sam_portal_workspace", "sam.portal.workspace"


# --- answers every portal page shares ------------------------------------------------------------------------


def _cookie(response: HttpResponse, name: str, value: str, *, max_age: int | None, salt: str | None = None) -> None:
    options: dict[str, Any] = {
        "max_age": max_age,
        "path": PATH,
        "httponly": True,
        "samesite": "Lax",
        "secure": settings.SESSION_COOKIE_SECURE,
    }
    if salt is None:
        response.set_cookie(name, value, **options)
    else:
        response.set_signed_cookie(name, value, salt=salt, **options)


def _remember_workspace(response: HttpResponse, tenant_id: int) -> None:
    """Which workspace a visitor came from, so a request for a new link looks there only."""
    _cookie(response, TENANT_COOKIE, str(tenant_id), max_age=60 * 60 * 24 * 90, salt=TENANT_SALT)


def _brand(tenant: Tenant | None) -> dict[str, Any]:
    if tenant is None:
        return {"brand": None, "logo": None}
    with tenant_context(tenant):
        return {"brand": tenant, "logo": WorkspaceSettings.current().logo_data_uri()}


def _visitor_brand(request: HttpRequest) -> dict[str, Any]:
    """The workspace a visitor came from (a link or a session of theirs named it), for the pages before signing
    in."""
    raw = str(request.get_signed_cookie(TENANT_COOKIE, default="", salt=TENANT_SALT))
    tenant = Tenant.objects.filter(pk=whole(raw) or 0, active=True).first()
    return _brand(tenant)


def _sorry(request: HttpRequest, *, referrer: str = "same-origin", status: int = 200) -> HttpResponse:
    """The one answer to any link that does not open the portal; status 200 so nothing reaches the logs."""
    response = _private(render(request, "portal/sorry.html", {}, status=status), referrer)
    response.delete_cookie(LINK_COOKIE, path=PATH, samesite="Lax")
    return response


def _busy(request: HttpRequest) -> HttpResponse:
    response = _private(render(request, "portal/sorry.html", {"busy": True}, status=429), "no-referrer")
    response["Retry-After"] = "60"
    return response


# --- bad links lock an address out ---------------------------------------------------------------------------


def _locked_out(request: HttpRequest) -> bool:
    return rate_count(f"portal-bad:{client_address(request)}") >= settings.PORTAL_BAD_LINK_LIMIT


def _bad_link(request: HttpRequest) -> None:
    rate_limited(
        f"portal-bad:{client_address(request)}",
        limit=settings.PORTAL_BAD_LINK_LIMIT,
        fail_open=FAIL_OPEN,
        window_seconds=settings.PORTAL_LOCKOUT_MINUTES * 60,
    )


def _presenting_refused(request: HttpRequest) -> bool:
    """Locked out, or too many links presented from this address this minute."""
    return _locked_out(request) or rate_limited(
        f"portal-link:{client_address(request)}", limit=settings.PORTAL_LINK_RATE_LIMIT, fail_open=FAIL_OPEN
    )


# --- signing in and out --------------------------------------------------------------------------------------


@require_safe
def link_open(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: check it, keep it in a cookie of the portal, and leave this address at once."""
    if _presenting_refused(request):
        return _busy(request)
    link = services.portal_link_check(token=token)
    if link is None:
        _bad_link(request)
        return _sorry(request, referrer="no-referrer")
    response = _private(redirect("portal_sign_in"), referrer="no-referrer")
    _cookie(response, LINK_COOKIE, token, max_age=settings.PORTAL_LINK_MINUTES * 60, salt=LINK_SALT)
    _remember_workspace(response, link.tenant_id)
    return response


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Whose link it is and a button to sign in; the POST spends the link and starts the portal session."""
    token = str(request.get_signed_cookie(LINK_COOKIE, default="", salt=LINK_SALT, max_age=3600))
    if not token:
        return _private(redirect("portal_home"))
    if _locked_out(request):
        return _busy(request)
    if request.method == "GET":
        link = services.portal_link_check(token=token)
        if link is None:
            return _sorry(request)
        context = {**_brand(link.tenant), "contact": link.access.contact, "account": link.access.contact.account}
        return _private(render(request, "portal/sign_in.html", context))
    try:
        key, session = services.portal_sign_in(token=token, address=client_address(request))
    except services.PortalRefused:
        _bad_link(request)
        return _sorry(request)
    response = _private(redirect("portal_home"))
    response.delete_cookie(LINK_COOKIE, path=PATH, samesite="Lax")
    # A cookie of the browser's session: it ends with the browser, or sooner when idle on the server.
    _cookie(response, SESSION_COOKIE, key, max_age=None)
    _remember_workspace(response, session.tenant_id)
    return response


@require_http_methods(["GET", "POST"])
def link_request(request: HttpRequest) -> HttpResponse:
    """Ask for a new sign-in link by email. The answer never tells whether the address is known: the looking up
    and sending happen in a worker."""
    sent = False
    error = ""
    email = ""
    if request.method == "POST":
        if rate_limited(
            f"portal-request:{client_address(request)}",
            limit=settings.PORTAL_LINK_REQUEST_RATE_LIMIT,
            fail_open=FAIL_CLOSED,  # it sends email to the address typed: it can wait for Redis
        ):
            return _busy(request)
        email = str(request.POST.get("email", "")).strip()
        if not email or "@" not in email or len(email) > 254 or "\x00" in email:
            error = "Enter the email address our emails reach you at."
        else:
            tenant_id = str(request.get_signed_cookie(TENANT_COOKIE, default="", salt=TENANT_SALT))
            # Nothing is stored before the task runs: with the broker out of reach, ask again in a minute.
            if not publish(portal_link_request_task.name, email, whole(tenant_id)):
                return _busy(request)
            sent = True
    context = {
        **_visitor_brand(request),
        "sent": sent,
        "error": error,
        "email": email,
        "minutes": settings.PORTAL_LINK_MINUTES,
    }
    return _private(render(request, "portal/link_request.html", context, status=400 if error else 200))


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    try:
        session = services.portal_session_of(key=request.COOKIES.get(SESSION_COOKIE, ""))
    except services.PortalRefused:
        pass
    else:
        services.portal_sign_out(session=session)
    response = _private(render(request, "portal/signed_out.html", _visitor_brand(request)))
    response.delete_cookie(SESSION_COOKIE, path=PATH, samesite="Lax")
    return response


# --- the contact's pages -------------------------------------------------------------------------------------


class PortalRequest(HttpRequest):
    portal: PortalSession
    contact: Contact


PortalView = Callable[..., HttpResponse | FileResponse]


def portal_view(view: PortalView) -> Callable[..., HttpResponse | FileResponse]:
    """A page of a signed-in contact, run inside their tenant in one transaction. Without a live portal session:
    the page that explains how to get a new link (htmx requests are told to reload)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse | FileResponse:
        try:
            session = services.portal_session_of(key=request.COOKIES.get(SESSION_COOKIE, ""))
        except services.PortalRefused:
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("portal_home")
                return response
            context = {**_visitor_brand(request), "expired": True}
            response = _private(render(request, "portal/signed_out.html", context, status=200))
            response.delete_cookie(SESSION_COOKIE, path=PATH, samesite="Lax")
            return response
        tenant = Tenant.objects.get(pk=session.tenant_id)
        with tenant_context(tenant):
            request.portal = session  # type: ignore[attr-defined]
            request.contact = session.access.contact  # type: ignore[attr-defined]
            request.tenant = tenant  # type: ignore[attr-defined]
            answer = view(request, *args, **kwargs)
            if answer.status_code >= 500:
                transaction.set_rollback(True)
        return _private(answer)

    return wrapped


def _page(request: PortalRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    contact = request.contact
    base = {
        "brand": request.tenant,  # type: ignore[attr-defined]
        "logo": WorkspaceSettings.current().logo_data_uri(),
        "contact": contact,
        "account": contact.account,
    }
    return render(request, template, {**base, **context}, status=status)


@portal_view
@require_safe
def home(request: PortalRequest) -> HttpResponse:
    contact = request.contact
    actions = selectors.actions_of(contact)
    context = {
        "qbrs": selectors.qbrs_of(contact),
        "actions": actions,
        "assessments": selectors.assessments_of(contact),
        "surveys": selectors.open_surveys(contact),
        "active": "home",
    }
    return _page(request, "portal/home.html", context)


@portal_view
@require_safe
def qbr_detail(request: PortalRequest, qbr_id: int) -> HttpResponse:
    qbr = selectors.qbr_of(request.contact, qbr_id)
    return _page(request, "portal/qbr.html", {**selectors.qbr_view(qbr), "active": "home"})


def _agenda(request: PortalRequest, qbr: Any, *, errors: dict[str, str] | None = None, posted: Any = None) -> Any:
    """The agenda card after a change: the partial for htmx, the whole page otherwise."""
    context = {**selectors.qbr_view(qbr), "errors": errors or {}, "posted": posted or {}, "active": "home"}
    status = 400 if errors else 200
    if request.headers.get("HX-Request"):
        return _page(request, "portal/_agenda.html", context, status=status)
    if errors:
        return _page(request, "portal/qbr.html", context, status=status)
    return redirect("portal_qbr", qbr.pk)


def _errors(exc: ValidationError) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {k: " ".join(str(m) for m in v[0].messages) for k, v in exc.error_dict.items()}
    return {"form": " ".join(exc.messages)}


@portal_view
@require_POST
def agenda_propose(request: PortalRequest, qbr_id: int) -> HttpResponse:
    qbr = selectors.qbr_of(request.contact, qbr_id)
    data = {"title": request.POST.get("title", ""), "minutes": request.POST.get("minutes", "")}
    try:
        services.contact_agenda_propose(contact=request.contact, qbr=qbr, data=data)
    except ValidationError as exc:
        return _agenda(request, qbr, errors=_errors(exc), posted=data)
    qbr.refresh_from_db()
    return _agenda(request, qbr)


@portal_view
@require_POST
def agenda_comment(request: PortalRequest, qbr_id: int) -> HttpResponse:
    qbr = selectors.qbr_of(request.contact, qbr_id)
    text = request.POST.get("text", "")
    try:
        services.contact_agenda_comment(
            contact=request.contact, qbr=qbr, text=text, item_id=request.POST.get("item") or None
        )
    except ValidationError as exc:
        return _agenda(request, qbr, errors={f"comment_{k}": v for k, v in _errors(exc).items()}, posted={"text": text})
    return _agenda(request, qbr)


@portal_view
@require_POST
def agenda_agree(request: PortalRequest, qbr_id: int) -> HttpResponse:
    qbr = selectors.qbr_of(request.contact, qbr_id)
    try:
        qbr = services.contact_agenda_agree(contact=request.contact, qbr=qbr)
    except ValidationError as exc:
        return _agenda(request, qbr, errors={"agree": " ".join(exc.messages)})
    return _agenda(request, qbr)


@portal_view
@require_safe
def qbr_calendar(request: PortalRequest, qbr_id: int) -> HttpResponse:
    """The meeting as a calendar file (for the contact's own calendar)."""
    qbr = selectors.qbr_of(request.contact, qbr_id)
    if qbr.scheduled_at is None or not qbr.open:
        raise Http404("This QBR has no date yet.")
    response = HttpResponse(ics(qbr), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="qbr-{qbr.period_label}.ics"'
    return response


@portal_view
@require_safe
def document_download(request: PortalRequest, document_id: int) -> FileResponse:
    document = selectors.document_of(request.contact, document_id)
    services.contact_document_opened(contact=request.contact, document=document)
    filename = f"{document.title[:80]} v{document.version}.pdf".replace("/", "-")
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf")


@portal_view
@require_safe
def scorecard(request: PortalRequest) -> HttpResponse:
    joint = selectors.joint_scorecard(request.contact)
    return _page(request, "portal/scorecard.html", {"joint": joint, "active": "scorecard"})


@portal_view
@require_safe
def actions(request: PortalRequest) -> HttpResponse:
    show_all = request.GET.get("show") == "all"
    context = {
        **selectors.actions_of(request.contact, show_all=show_all),
        "show_all": show_all,
        "statuses": services.CONTACT_STATUSES,
        "active": "actions",
    }
    return _page(request, "portal/actions.html", context)


def _answered(
    request: PortalRequest,
    change: Callable[[], Any],
    missing: type[Exception],
    context: Callable[[dict[str, str]], dict[str, Any]],
    *,
    partial: str,
    page: str,
    done: HttpResponse,
) -> HttpResponse:
    """One edit of a contact: the service's change; then the row again for htmx, the page with the reasons when
    refused, else ``done``. An object the service does not let them touch is a 404."""
    errors: dict[str, str] = {}
    try:
        change()
    except missing as exc:
        raise Http404 from exc
    except ValidationError as exc:
        errors = _errors(exc)
    if request.headers.get("HX-Request"):
        return _page(request, partial, context(errors), status=400 if errors else 200)
    if errors:
        return _page(request, page, context(errors), status=400)
    return done


@portal_view
@require_POST
def action_update(request: PortalRequest, action_id: int) -> HttpResponse:
    item = selectors.customer_action_of(request.contact, action_id)
    status, note = str(request.POST.get("status", "")), request.POST.get("note", "")

    def context(errors: dict[str, str]) -> dict[str, Any]:
        fresh = item if errors else selectors.customer_action_of(request.contact, item.pk)
        return {"a": fresh, "errors": errors, "note": note if errors else "", "statuses": services.CONTACT_STATUSES}

    return _answered(
        request,
        lambda: services.contact_action_update(contact=request.contact, item=item, status=status, note=note),
        ActionItem.DoesNotExist,
        context,
        partial="portal/_action.html",
        page="portal/action_error.html",
        done=redirect("portal_actions"),
    )


@portal_view
@require_safe
def assessment_detail(request: PortalRequest, assessment_id: int) -> HttpResponse:
    context = {**selectors.assessment_of(request.contact, assessment_id), "active": "assessments"}
    return _page(request, "portal/assessment.html", context)


@portal_view
@require_POST
def recommendation_answer(request: PortalRequest, recommendation_id: int) -> HttpResponse:
    rec = selectors.recommendation_of(request.contact, recommendation_id)
    answer, comment = str(request.POST.get("answer", "")), request.POST.get("comment", "")

    def context(errors: dict[str, str]) -> dict[str, Any]:
        fresh = rec if errors else selectors.recommendation_of(request.contact, rec.pk)
        return {
            "r": fresh,
            "assessment": fresh.assessment,
            "recommendations": [fresh],
            "errors": errors,
            "comment": comment if errors else "",
        }

    return _answered(
        request,
        lambda: services.contact_recommendation_answer(
            contact=request.contact, recommendation=rec, answer=answer, comment=comment
        ),
        Recommendation.DoesNotExist,
        context,
        partial="portal/_recommendation.html",
        page="portal/assessment.html",
        done=redirect("portal_assessment", rec.assessment_id),
    )


@portal_view
@require_safe
def survey_open(request: PortalRequest, invitation_id: int) -> HttpResponse:
    """An open survey of the contact's: to its page, as its emailed link would (the survey's own cookie)."""
    invitation = selectors.survey_of(request.contact, invitation_id)
    if not invitation.token_salt:
        raise Http404("This survey is answered through its emailed link.")
    token = survey_services.invitation_token(invitation)
    survey_services.invitation_opened(invitation)
    services.contact_survey_opened(contact=request.contact, invitation=invitation)
    response = redirect("survey_form")
    return survey_pages.keep_token(response, token, invitation.campaign.version_id)
