"""The search page, and the same search as you type under the header's box (an htmx fragment)."""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from sam.http import TenantRequest
from sam.permissions import tenant_view
from search.selectors import search_run
from search.terms import MAX_QUERY_CHARS, terms_of

PER_KIND_PAGE = 10
PER_KIND_DROPDOWN = 5
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@tenant_view("tenant.view")
@require_GET
def search(request: TenantRequest) -> HttpResponse:
    """``?q=``: whatever was typed answers a page (or the fragment), found things or an empty state."""
    typed = request.GET.get("q", "")[:MAX_QUERY_CHARS]
    terms = terms_of(typed)
    dropdown = bool(request.htmx) and not request.htmx.boosted
    per_kind = PER_KIND_DROPDOWN if dropdown else PER_KIND_PAGE
    groups = search_run(terms=terms, per_kind=per_kind, request=request)
    context = {
        "q": CONTROL.sub(" ", typed).strip(),  # shown back as typed, but for control characters
        "terms": terms,
        "groups": groups,
        "count": sum(len(g.hits) for g in groups),
        "more": any(g.more for g in groups),
        "per_kind": per_kind,
    }
    template = "search/results.html#dropdown" if dropdown else "search/results.html"
    response = render(request, template, context)
    # The page and its fragment share the address: a cache (or the browser's history) must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response
