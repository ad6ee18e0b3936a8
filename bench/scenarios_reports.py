"""Reports: a 10-page Operations Review (data gathering + template + render) against bare WeasyPrint
rendering the very same HTML, in the same process and run. Goal: at most 1.5x the bare render.

The data is made inside a transaction that is rolled back afterwards, so the
demo database is left as it was.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from bench.run import CLEANUP, IN_PROCESS
from sam.tenancy.context import tenant_context

_state: dict[str, Any] = {}


def _prepare() -> dict[str, Any]:
    if _state:
        return _state
    from accounts import reports, services
    from accounts.models import IncidentCategory, Tier
    from sam.documents.services import document_html
    from sam.models import Document, Tenant

    tenant = Tenant.objects.get(slug="northwind")
    context = tenant_context(tenant)
    context.__enter__()
    _state["context"] = context
    account, _ = services.account_create(
        data={"name": "Bench: Operations Review", "tier": Tier.objects.get(name="Key")}, acting_user=None
    )
    categories = list(IncidentCategory.objects.all())
    now = timezone.now()
    for n in range(150):  # about ten pages
        opened = now - timedelta(days=1 + n % 80, hours=n % 24)
        services.incident_record(
            account=account,
            data={
                "category": categories[n % len(categories)],
                "summary": f"Service request {n} escalated",
                "opened_at": opened,
                "resolved_at": opened + timedelta(hours=1 + n % 9),
                "external_ref": f"BENCH-{n}",
            },
        )
    document = Document(
        kind=reports.KIND, subject_type="accounts.account", subject_id=account.pk, version=1, params={}, title="bench"
    )
    _state.update(document=document, html=document_html(document))
    return _state


def full_render() -> None:
    from sam.documents.pdf import html_to_pdf
    from sam.documents.services import document_html

    state = _prepare()
    html_to_pdf(document_html(state["document"]))


def bare_render() -> None:
    from weasyprint import HTML

    from sam.documents.pdf import BASE_URL, StaticOnlyFetcher

    state = _prepare()
    HTML(string=state["html"], base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf()


def _cleanup() -> None:
    if "context" in _state:
        transaction.set_rollback(True)
        _state["context"].__exit__(None, None, None)


IN_PROCESS.append(("bare WeasyPrint, Operations Review HTML", bare_render, None))
IN_PROCESS.append(
    ("Operations Review, 10 pages: data + template + render", full_render, "bare WeasyPrint, Operations Review HTML")
)
CLEANUP.append(_cleanup)
