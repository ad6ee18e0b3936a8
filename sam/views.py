"""Pages of the core: landing, tenant switcher, dashboard, members, API tokens, errors."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import defaults
from django.views.decorators.http import require_http_methods, require_POST

from sam import export, health, history, pages, selectors, services
from sam.documents.services import document_request, documents_of
from sam.forms import (
    InvitationAcceptForm,
    InvitationForm,
    LoginForm,
    MemberRoleForm,
    SessionLimitsForm,
    TokenCreateForm,
    TwoFactorRequirementForm,
    apply_errors,
)
from sam.http import AuthedRequest, TenantRequest, api_refusal
from sam.models import ApiToken, DataChange, Invitation, Membership, Tenant, User, WorkspaceSettings
from sam.permissions import tenant_view
from sam.roles import Role
from sam.tenancy.context import tenant_context
from sam.tenancy.urls import tenant_redirect, tenant_reverse
from sam.twofactor import signin
from sam.twofactor.selectors import has_two_factor


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        """The password is right. A person with two-factor sign-in is not signed in yet: the session remembers them
        for the second step (sam/twofactor/signin.py), and only that step signs them in."""
        user = form.get_user()
        if not has_two_factor(user.pk):
            return super().form_valid(form)
        signin.begin(self.request, user, next_url=self.get_success_url())
        return redirect("login_code")


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """After login: the last used tenant, else the only one, else the switcher."""
    memberships = selectors.memberships_of_user(request.user)
    by_id = {m.tenant_id: m for m in memberships}
    last = by_id.get(request.user.last_tenant_id or 0)
    if last is not None:
        return redirect(tenant_reverse("dashboard", slug=last.tenant.slug))
    if len(memberships) == 1:
        return redirect(tenant_reverse("dashboard", slug=memberships[0].tenant.slug))
    return redirect("tenant_switch")


@login_required
@require_POST
def sign_out_everywhere(request: AuthedRequest) -> HttpResponse:
    """End this person's sessions on every device, this one included."""
    services.sign_out_everywhere(user=request.user)
    auth_logout(request)
    messages.success(request, "You are signed out on every device.")
    return redirect("login")


@login_required
def tenant_switch(request: AuthedRequest) -> HttpResponse:
    memberships = selectors.memberships_of_user(request.user)
    return render(request, "sam/tenant_switch.html", {"memberships": memberships})


@tenant_view("tenant.manage_members")
@require_http_methods(["GET", "POST"])
def members(request: TenantRequest) -> HttpResponse:
    """The members and their roles, the invitations waiting for an answer, and a form to invite someone."""
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{invitation.email} is invited as {invitation.get_role_display()}.")
            return tenant_redirect("members")
    return _members_page(request, form, status=400 if form.errors else 200)


def _members_page(
    request: TenantRequest,
    form: InvitationForm,
    *,
    limits_form: SessionLimitsForm | None = None,
    two_factor_form: TwoFactorRequirementForm | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = WorkspaceSettings.read()
    context = {
        "form": form,
        "limits_form": limits_form
        or SessionLimitsForm(
            initial={
                "session_idle_minutes": workspace.session_idle_minutes,
                "session_max_hours": workspace.session_max_hours,
            }
        ),
        "two_factor_form": two_factor_form
        or TwoFactorRequirementForm(initial={"two_factor_required": workspace.two_factor_required}),
        "members": selectors.tenant_members(),
        "invitations": selectors.open_invitations(),
        "active_nav": "admin",
        "role_choices": Role.choices,
    }
    return render(request, "sam/members.html", context, status=status)


@tenant_view("tenant.manage_members")
@require_POST
def session_limits(request: TenantRequest) -> HttpResponse:
    form = SessionLimitsForm(request.POST)
    return pages.form_change(
        form,
        save=lambda data: services.session_limits_update(data=data, acting_user=request.user),
        message="Sign-in limits saved: they apply within a minute.",
        done=lambda text: _members_saved(request, text),
        again=lambda: _members_page(request, InvitationForm(), limits_form=form, status=400),
    )


def _members_saved(request: TenantRequest, text: str) -> HttpResponse:
    messages.success(request, text)
    return tenant_redirect("members")


@tenant_view("tenant.manage_members")
@require_POST
def two_factor_requirement(request: TenantRequest) -> HttpResponse:
    form = TwoFactorRequirementForm(request.POST)
    return pages.form_change(
        form,
        save=lambda data: services.two_factor_requirement_update(
            required=data["two_factor_required"], acting_user=request.user
        ),
        message="Two-factor sign-in requirement saved: it applies within a minute.",
        done=lambda text: _members_saved(request, text),
        again=lambda: _members_page(request, InvitationForm(), two_factor_form=form, status=400),
    )


@tenant_view("tenant.manage_members")
@require_POST
def invitation_resend(request: TenantRequest, member_invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects, pk=member_invitation_id)
    return _members_change(
        request,
        lambda: services.invitation_resend(invitation=invitation, acting_user=request.user),
        f"The invitation went to {invitation.email} again, with a new link.",
    )


@tenant_view("tenant.manage_members")
@require_POST
def invitation_revoke(request: TenantRequest, member_invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects, pk=member_invitation_id)
    return _members_change(
        request,
        lambda: services.invitation_revoke(invitation=invitation, acting_user=request.user),
        f"The invitation of {invitation.email} is withdrawn: its link no longer works.",
    )


@require_http_methods(["GET", "POST"])
def invitation_open(request: HttpRequest, tenant_id: int, token: str) -> HttpResponse:
    """The emailed link: the invited person joins, signed in with the invited address, or makes their account."""
    tenant = Tenant.objects.filter(pk=tenant_id, active=True).first()
    if tenant is None:
        return _invitation_page(request, None, None, status=404)
    with tenant_context(tenant):
        invitation = services.invitation_by_token(token)
        if invitation is None:
            return _invitation_page(request, tenant, None, status=404)
        user = request.user
        if user.is_authenticated:
            if user.email.lower() != invitation.email:
                return _invitation_page(request, tenant, invitation, wrong_account=True, status=403)
            if request.method == "POST":
                try:
                    services.invitation_accept(invitation=invitation, user=user)
                except ValidationError:  # used or withdrawn a moment ago
                    return _invitation_page(request, tenant, None, status=404)
                messages.success(request, f"Welcome to {tenant.name}.")
                return redirect(tenant_reverse("dashboard", slug=tenant.slug))
            return _invitation_page(request, tenant, invitation)
        if User.objects.filter(email__iexact=invitation.email).exists():
            return _invitation_page(request, tenant, invitation, sign_in=True)
        form = InvitationAcceptForm(request.POST or None, initial={"full_name": invitation.name})
        if request.method == "POST" and form.is_valid():
            try:
                new_user = services.invitation_accept_new(
                    invitation=invitation,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password1"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                auth_login(request, new_user, backend=settings.AUTHENTICATION_BACKENDS[-1])
                messages.success(request, f"Welcome to {tenant.name}.")
                return redirect(tenant_reverse("dashboard", slug=tenant.slug))
        return _invitation_page(request, tenant, invitation, form=form, status=400 if form.errors else 200)


def _invitation_page(
    request: HttpRequest,
    tenant: Tenant | None,
    invitation: Invitation | None,
    *,
    form: InvitationAcceptForm | None = None,
    wrong_account: bool = False,
    sign_in: bool = False,
    status: int = 200,
) -> HttpResponse:
    context = {
        "workspace": tenant,
        "invitation": invitation,
        "form": form,
        "wrong_account": wrong_account,
        "sign_in": sign_in,
        "login_url": reverse("login") + f"?next={request.path}",
    }
    return render(request, "sam/invitation.html", context, status=status)


def _membership_or_404(membership_id: int) -> Membership:
    membership = Membership.objects.select_related("user").filter(pk=membership_id).first()
    if membership is None:
        raise Http404
    return membership


@tenant_view("tenant.manage_members")
@require_POST
def member_role(request: TenantRequest, membership_id: int) -> HttpResponse:
    """Change one member's role. With htmx, answers with the updated table row only."""
    membership = _membership_or_404(membership_id)
    form = MemberRoleForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Choose one of the listed roles."
    else:
        try:
            membership = services.membership_set_role(
                membership=membership, role=form.cleaned_data["role"], acting_user=request.user
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if request.htmx:
        membership.refresh_from_db()
        context = {"m": membership, "role_choices": Role.choices, "row_error": error, "row_saved": not error}
        # 422: htmx swaps it in (see htmx-config in base.html) so the error shows in place.
        return render(request, "sam/members.html#member_row", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{membership.user.email} is now {membership.get_role_display()}.")
    return tenant_redirect("members")


@tenant_view("tenant.manage_members")
@require_POST
def member_remove(request: TenantRequest, membership_id: int) -> HttpResponse:
    membership = _membership_or_404(membership_id)
    return _members_change(
        request,
        lambda: services.membership_remove(membership=membership, acting_user=request.user),
        f"{membership.user.email} no longer has access to this workspace.",
    )


def _members_change(request: TenantRequest, change: Callable[[], object], done: str) -> HttpResponse:
    """A change made from the members page: its refusal, or what it did, as a message back on the page."""
    try:
        change()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return tenant_redirect("members")


@tenant_view("token.manage_own")
@require_http_methods(["GET", "POST"])
def tokens(request: TenantRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _, new_token = services.token_create(
            membership=request.membership,
            name=form.cleaned_data["name"],
            expires_in_days=form.cleaned_data["expires_in_days"] or None,
        )
        form = TokenCreateForm()
    context = {
        "form": form,
        "tokens": selectors.tokens_of_membership(request.membership),
        "new_token": new_token,
        "active_nav": "tokens",
        "api_docs_url": reverse("api-docs"),
    }
    return render(request, "sam/tokens.html", context, status=400 if form.errors else 200)


@tenant_view("token.manage_own")
@require_POST
def token_revoke(request: TenantRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_id, membership=request.membership).first()
    if token is None:
        raise Http404
    services.token_revoke(token=token, acting_user=request.user)
    messages.success(request, f"Token “{token.name}” was revoked.")
    return tenant_redirect("tokens")


@tenant_view("tenant.manage_members")
def workspace_tokens(request: TenantRequest) -> HttpResponse:
    """Every member's API tokens in this workspace, for an admin to see and revoke (never their secrets)."""
    context = {"tokens": selectors.workspace_tokens(), "active_nav": "admin"}
    return render(request, "sam/workspace_tokens.html", context)


@tenant_view("tenant.manage_members")
@require_POST
def workspace_token_revoke(request: TenantRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.select_related("membership__user"), pk=token_id)
    services.token_revoke(token=token, acting_user=request.user)
    messages.success(request, f"Token “{token.name}” of {token.membership.user.email} was revoked.")
    return tenant_redirect("workspace_tokens")


# --- the record of data changes ------------------------------------------------------------------------------------


@tenant_view("tenant.manage_settings")
@require_http_methods(["GET", "POST"])
def workspace_data(request: TenantRequest) -> HttpResponse:
    """The workspace's data as a whole: an export of all of it (made by a worker), and how long removed data stays."""
    settings_row = WorkspaceSettings.current()
    if request.method == "POST":
        _, created = document_request(kind=export.KIND, subject=settings_row, acting_user=request.user)
        messages.success(
            request,
            "The export is being made; it shows here when ready." if created else "An export is already on the way.",
        )
        return tenant_redirect("workspace_data")
    context = {"documents": documents_of(settings_row, export.KIND)[:10], "active_nav": "admin"}
    return render(request, "sam/workspace_data.html", context)


@tenant_view("tenant.view_audit")
def audit(request: TenantRequest) -> HttpResponse:
    """Every recorded change to the workspace's data: who changed which field, from what to what, and when."""
    context = pages.changes_page(request, DataChange.objects.all(), pages.change_filter(request, kinds=history.kinds()))
    context.update(active_nav="admin")
    return render(request, "sam/audit.html", context, status=200 if context["page"] is not None else 400)


@tenant_view("tenant.view_audit")
def audit_export(request: TenantRequest) -> HttpResponse:
    """The changes the filter asks for as CSV, one line per field changed (at most ``EXPORT_ROWS`` changes)."""
    form = pages.change_filter(request, kinds=history.kinds())
    if not form.is_valid():
        return HttpResponse("The filter is not valid: " + form.errors.as_text(), status=400, content_type="text/plain")
    changes = history.filtered(DataChange.objects.all(), form.cleaned_data)[: history.EXPORT_ROWS]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="changes-{request.tenant.slug}.csv"'
    history.write_csv(response, changes)
    return response


# The API answers in JSON also where Django answers before DRF does: an address that matches no route (an id
# that is not a number), a refusal outside a view, a server error.
def error_400(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A request Django refuses before any view (too many form fields, a forged host)."""
    return api_refusal(request, "Bad request.", 400) or defaults.bad_request(request, exception)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return api_refusal(request, "Not found.", 404) or render(request, "404.html", status=404)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    refused = "You do not have permission to perform this action."
    return api_refusal(request, refused, 403) or render(request, "403.html", status=403)


def error_500(request: HttpRequest) -> HttpResponse:
    return api_refusal(request, "Server error.", 500) or render(request, "500.html", status=500)


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Nothing else is asked (a database or Redis outage is not a reason to
    restart the web process)."""
    return HttpResponse("ok", content_type="text/plain")


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when PostgreSQL, Redis and the Celery broker answer, else 503 naming what is down."""
    checks = health.readiness()
    down = [name for name, result in checks.items() if result != "ok"]
    body = {"status": "unavailable" if down else "ready", "down": down, "checks": checks}
    response = JsonResponse(body, status=503 if down else 200)
    response["Cache-Control"] = "no-store"
    # Not a server error to log on every probe: the cache and the broker say once that they are out of reach.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
