"""The account's timeline tab: its story page by page, logging an entry (with a follow-up action), pinning and
removing entries. One small view per action; the services decide who may."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts import events, timeline_selectors, timeline_services
from accounts.forms import TimelineEntryForm
from accounts.models import Account, Contact, TimelineEntry
from accounts.views import account_child_or_404, account_or_404, tab_done, tab_with_form
from sam.forms import apply_errors
from sam.http import TenantRequest
from sam.permissions import can, tenant_view
from sam.selectors import member_choices
from sam.tenancy.urls import tenant_reverse

TAB = "timeline"


def _decorate(request: TenantRequest, account: Account, page: timeline_selectors.TimelinePage) -> None:
    """Each entry's label, link, contacts, actions and whether this member may remove it (no queries)."""
    slug = request.tenant.slug
    # Reversed once for the page: an entry's own paths follow the timeline's (accounts/urls.py).
    prefix = tenant_reverse("timeline_more", account.pk)
    for entry in page.pinned + page.upcoming + page.entries:
        entry.pin_url = f"{prefix}{entry.pk}/{'unpin' if entry.pinned else 'pin'}/"  # type: ignore[attr-defined]
        entry.delete_url = f"{prefix}{entry.pk}/delete/"  # type: ignore[attr-defined]
        entry.label = (  # type: ignore[attr-defined]
            events.event_label(entry.event) if entry.kind == TimelineEntry.Kind.EVENT else entry.get_kind_display()
        )
        entry.url = timeline_selectors.entry_link(entry, slug)  # type: ignore[attr-defined]
        entry.people = [link.contact for link in getattr(entry, "contact_links", [])]  # type: ignore[attr-defined]
        entry.follow_ups = page.actions.get(entry.pk, [])  # type: ignore[attr-defined]
        entry.account = account  # the page's: the allow table reads its owner without a query
        entry.removable = entry.kind != TimelineEntry.Kind.EVENT and can(  # type: ignore[attr-defined]
            request, "timeline.remove", entry
        )


def _page(request: TenantRequest, account: Account) -> timeline_selectors.TimelinePage:
    filters = timeline_selectors.TimelineFilters.parse(request.GET)
    cursor = str(request.GET.get("cursor", ""))[:64]
    page = timeline_selectors.timeline_page(account, filters=filters, cursor=cursor)
    _decorate(request, account, page)
    return page


def timeline_tab_context(request: TenantRequest, account: Account) -> dict[str, Any]:
    can_log = can(request, "timeline.log", account)
    form = (
        TimelineEntryForm(
            account=account,
            initial={"by": request.user.pk, "occurred_at": _now_local(), "action_owner": request.user.pk},
        )
        if can_log
        else None
    )
    return {
        "timeline": _page(request, account),
        "timeline_form": form,
        "can_log": can_log,
        "timeline_people": member_choices(),
        "timeline_contacts": Contact.objects.filter(account=account).order_by("name"),
        "timeline_kinds": TimelineEntry.Kind.choices,
    }


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


@tenant_view("account.view")
@require_GET
def timeline_more(request: TenantRequest, account_id: int) -> HttpResponse:
    """The next page of entries (htmx appends it in place of the "Show older" button; without JS the link opens
    the tab at that page)."""
    account = account_or_404(account_id)
    context = {
        "account": account,
        "timeline": _page(request, account),
        "can_log": can(request, "timeline.log", account),
    }
    return render(request, "accounts/_timeline_tab.html#timeline_rows", context)


@tenant_view("account.view")
@require_POST
def timeline_log(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    form = TimelineEntryForm(request.POST, account=account)
    if form.is_valid():
        data = form.cleaned_data
        try:
            timeline_services.timeline_entry_log(
                account=account,
                kind=data["kind"],
                summary=data["summary"],
                occurred_at=data["occurred_at"],
                contact_ids=[c.pk for c in data["contacts"]],
                by=data["by"],
                pinned=data["pinned"],
                actions=form.follow_ups(),
                acting_user=request.user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            logged = dict(TimelineEntry.Kind.choices)[data["kind"]]
            return tab_done(request, account, TAB, f"{logged} logged.")
    return tab_with_form(request, account, TAB, "timeline_form", form)


@tenant_view("account.view")
@require_POST
def timeline_pin(request: TenantRequest, account_id: int, timeline_entry_id: int, pinned: bool) -> HttpResponse:
    account = account_or_404(account_id)
    entry = account_child_or_404(TimelineEntry, account, timeline_entry_id)
    timeline_services.timeline_entry_pin(entry=entry, pinned=pinned, acting_user=request.user)
    return tab_done(request, account, TAB, "Pinned to the top." if pinned else "Unpinned.")


@tenant_view("account.view")
@require_POST
def timeline_delete(request: TenantRequest, account_id: int, timeline_entry_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    entry = account_child_or_404(TimelineEntry, account, timeline_entry_id)
    timeline_services.timeline_entry_delete(entry=entry, acting_user=request.user)
    return tab_done(request, account, TAB, "Entry removed.")
