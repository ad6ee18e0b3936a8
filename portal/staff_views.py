"""The team's side of the portal, on the account page's "Customer portal" tab: who has access, when they last
signed in, what they did; giving, renewing and revoking access (the account's manager or an admin decides, in the
services)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_POST

from accounts.models import Account, Contact
from accounts.views import account_detail_tab, account_or_404, tab_done
from portal import selectors, services
from portal.models import PortalAccess
from sam.http import TenantRequest
from sam.numbers import whole
from sam.permissions import can, tenant_view

TAB = "portal"


def tab_context(request: TenantRequest, account: Account) -> dict[str, Any]:
    return {**selectors.access_of_account(account), "can_manage": can(request, "account.edit", account)}


def _refused(request: TenantRequest, account: Account, exc: ValidationError) -> HttpResponse:
    messages.error(request, " ".join(exc.messages))
    response = account_detail_tab(request, account, TAB)
    response.status_code = 422 if request.htmx else 400
    return response


@tenant_view("account.view")
@require_POST
def access_grant(request: TenantRequest, account_id: int) -> HttpResponse:
    """Give a contact access (or send a new sign-in link to one who has it): they get an emailed link."""
    account = account_or_404(account_id)
    raw = str(request.POST.get("contact", ""))
    contact = Contact.objects.filter(account=account, pk=whole(raw) or 0).first()
    if contact is None:
        return _refused(request, account, ValidationError("Choose a contact of this account."))
    try:
        services.portal_access_grant(contact=contact, acting_user=request.user)
    except PermissionDenied:
        raise
    except ValidationError as exc:
        return _refused(request, account, exc)
    return tab_done(request, account, TAB, f"A sign-in link is on its way to {contact.name}.")


@tenant_view("account.view")
@require_POST
def access_revoke(request: TenantRequest, account_id: int, access_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    access = PortalAccess.objects.filter(pk=access_id, contact__account=account).select_related("contact").first()
    if access is None:
        raise Http404
    services.portal_access_revoke(access=access, acting_user=request.user)
    return tab_done(request, account, TAB, f"{access.contact.name} can no longer sign in to the portal.")
