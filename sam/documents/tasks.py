"""The render task: claims the document, renders outside any transaction, stores the file."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from sam.documents import services
from sam.documents.pdf import html_to_pdf
from sam.documents.services import MAX_ATTEMPTS
from sam.models import Document, Tenant
from sam.tasks import active_tenants
from sam.tenancy.context import tenant_context

log = logging.getLogger(__name__)
# Worth another try: the database or the file storage was briefly out of reach.
TRANSIENT = (ConnectionError, TimeoutError, OperationalError, InterfaceError)


@shared_task(
    base=DjangoTask,
    bind=True,
    name="sam.documents.render_document",
    queue="reports",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=120,
    time_limit=150,
    max_retries=MAX_ATTEMPTS - 1,  # with the first try, at most MAX_ATTEMPTS renders
)
def render_document(self: DjangoTask, tenant_id: int, document_id: int) -> str:
    tenant = Tenant.objects.filter(pk=tenant_id, active=True).first()
    if tenant is None:
        return "no-tenant"
    # Short transactions: the page sees "rendering" while the PDF is made.
    with tenant_context(tenant):
        document = services.document_claim(document_id, token=self.request.id or "")
    if document is None:
        return "not-mine"
    try:
        with tenant_context(tenant):
            html = services.document_prepare(document)
        if html is None:
            return "failed"
        # WeasyPrint runs with no transaction open: it may take a while.
        pdf, pages, refused = html_to_pdf(html)
        if refused:
            log.warning("document %s: refused %d external resources", document_id, len(refused))
        with tenant_context(tenant):
            services.document_store(document, pdf, pages)
    except SoftTimeLimitExceeded:
        with tenant_context(tenant):
            services.document_fail(document, "The report took too long to render.")
        return "failed"
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            with tenant_context(tenant):
                services.document_fail(document, f"The report could not be stored: {type(exc).__name__}: {exc}")
            return "failed"
        with tenant_context(tenant):
            Document.objects.filter(pk=document.pk).update(status=Document.Status.QUEUED)
        raise self.retry(exc=exc, countdown=10 * 2**self.request.retries) from exc
    except Exception as exc:  # a bug or bad data: say so to the requester, never loop
        log.exception("document %s failed", document_id)
        with tenant_context(tenant):
            services.document_fail(document, f"The report could not be rendered: {type(exc).__name__}: {exc}")
        return "failed"
    return "ready"


@shared_task(name="sam.documents.sweep_stale")
def documents_sweep_stale_all() -> int:
    count = 0
    for tenant in active_tenants():
        with tenant_context(tenant):
            for document_id in services.documents_sweep_stale():
                render_document.delay_on_commit(tenant.pk, document_id)
                count += 1
    return count
