"""How a page's change runs, the same in every app: a form (or a button) -> a service -> the part of the page that
changed, or the form again with its errors. Each app's views say what "done" and "show again" are for its page
(a card or a tab swapped by htmx, or the whole page without JavaScript)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from sam import history, selectors
from sam.forms import ChangeFilterForm, apply_errors
from sam.http import TenantRequest
from sam.models import DataChange
from sam.tenancy.urls import tenant_redirect

# A success message, or how to word it from what the service returned.
Message = str | Callable[[Any], str]


def worded(message: Message, result: Any) -> str:
    return message if isinstance(message, str) else message(result)


def form_change(
    form: forms.BaseForm,
    *,
    save: Callable[[dict[str, Any]], Any],
    message: Message,
    done: Callable[[str], HttpResponse],
    again: Callable[[], HttpResponse],
) -> HttpResponse:
    """Validate the form, change through the service; a service's refusal goes next to its field."""
    if form.is_valid():
        try:
            result = save(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return done(worded(message, result))
    return again()


def button_change(
    request: HttpRequest,
    *,
    change: Callable[[], Any],
    message: Message,
    done: Callable[[str], HttpResponse],
    again: Callable[[], HttpResponse],
) -> HttpResponse:
    """A change without a form (a button): its message, or its refusal shown above the part of the page."""
    try:
        result = change()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return again()
    return done(worded(message, result))


def done_redirect(request: HttpRequest, name: str, *args: Any) -> Callable[[str], HttpResponse]:
    """After a change of a whole page: its message, then a page of the tenant by its address (post/redirect/get)."""

    def done(text: str) -> HttpResponse:
        messages.success(request, text)
        return tenant_redirect(name, *args)

    return done


# --- pages of recorded data changes (sam/history.py) -------------------------------------------------------------

CHANGES_PAGE = 50


def change_filter(request: TenantRequest, *, kinds: list[tuple[str, str]]) -> ChangeFilterForm:
    """The filter of a page of recorded changes, from the address's query (bound even when empty)."""
    return ChangeFilterForm(request.GET, people=selectors.member_choices(), kinds=kinds)


def changes_page(request: TenantRequest, changes: QuerySet[DataChange], form: ChangeFilterForm) -> dict[str, Any]:
    """One page of the changes the form asks for, as people read them; invalid filters show nothing."""
    if not form.is_valid():
        return {"form": form, "page": None, "rows": []}
    page = Paginator(history.filtered(changes, form.cleaned_data), CHANGES_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"form": form, "page": page, "rows": history.rows(page.object_list), "query": query.urlencode()}
