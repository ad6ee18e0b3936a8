"""The render task: claims the document, renders outside any transaction, stores the file."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from sam.documents import registry, services
from sam.documents.pdf import html_to_pdf
from sam.documents.services import MAX_ATTEMPTS
from sam.models import Document, Tenant
from sam.tasks_base import TenantTask, for_each_tenant, task_on_commit, tenant_step

log = logging.getLogger(__name__)
# Worth another try: the database or the file storage was briefly out of reach; so is a full storage (an
# OSError told apart by services.storage_full), and then the failure says so in plain words.
TRANSIENT = (ConnectionError, TimeoutError, OperationalError, InterfaceError)


@shared_task(
    base=TenantTask,
    bind=True,
    name="sam.documents.render_document",
    queue="reports",
    one_transaction=False,
    soft_time_limit=120,
    time_limit=150,
    max_retries=MAX_ATTEMPTS - 1,  # with the first try, at most MAX_ATTEMPTS renders
)
def render_document(self: TenantTask, tenant_id: int, document_id: int) -> str:
    # Entered into its tenant by TenantTask like every tenant task. Each step below commits on its own
    # (``tenant_step``), so the page sees "rendering" while the PDF is made with no transaction open.
    with tenant_step():
        document = services.document_claim(document_id, token=self.request.id or "")
    if document is None:
        return "not-mine"
    try:
        if registry.get(document.kind).produce is not None:
            with tenant_step():
                produced = services.document_produce(document)
            if produced is None:
                return "failed"
            pdf, pages = produced, 0
        else:
            with tenant_step():
                html = services.document_prepare(document)
            if html is None:
                return "failed"
            pdf, pages, refused = html_to_pdf(html)  # WeasyPrint may take a while
            if refused:
                log.warning("document %s: refused %d external resources", document_id, len(refused))
        with tenant_step():
            if services.document_store(document, pdf, pages) is None:
                return "superseded"
    except SoftTimeLimitExceeded:
        with tenant_step():
            services.document_fail(document, "The report took too long to render.")
        return "failed"
    except (*TRANSIENT, OSError) as exc:
        full = services.storage_full(exc)
        if not full and not isinstance(exc, TRANSIENT):
            return _failed(document, exc)
        if full:
            log.warning("document %s: the file storage is full (%s)", document_id, getattr(exc, "strerror", exc))
        if self.request.retries >= self.max_retries:
            # For a full disk, never the path nor the storage's own words: the requester reads this.
            message = (
                services.STORAGE_FULL_TEXT if full else f"The report could not be stored: {type(exc).__name__}: {exc}"
            )
            with tenant_step():
                services.document_fail(document, message)
            return "failed"
        with tenant_step():
            services.document_requeue(document)
        raise self.retry(exc=exc, countdown=10 * 2**self.request.retries) from exc
    except Exception as exc:  # a bug or bad data: say so to the requester, never loop
        return _failed(document, exc)
    return "ready"


def _failed(document: Document, exc: Exception) -> str:
    log.exception("document %s failed", document.pk)
    with tenant_step():
        services.document_fail(document, f"The report could not be rendered: {type(exc).__name__}: {exc}")
    return "failed"


@shared_task(name="sam.documents.sweep_stale")
def documents_sweep_stale_all() -> int:

    def sweep(tenant: Tenant) -> int:
        stale = services.documents_sweep_stale()
        for document_id in stale:
            task_on_commit("sam.documents.render_document", tenant.pk, document_id)
        return len(stale)

    return sum(for_each_tenant(sweep))
