"""Document pages shared by every report: live status (htmx polling), download, inline preview."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render

from sam.documents import registry
from sam.http import TenantRequest
from sam.models import Document
from sam.permissions import tenant_view


def _document(request: TenantRequest, document_id: int) -> Document:
    """The document, when this member may see it (a kind with its own viewer rule decides; 404 otherwise)."""

    document = Document.objects.filter(pk=document_id).select_related("requested_by").first()
    if document is None:
        raise Http404
    spec = registry.get(document.kind)
    if spec.viewer is not None:
        subject = spec.subject_model.objects.filter(pk=document.subject_id).first()  # type: ignore[attr-defined]
        if subject is None or not spec.viewer(request, subject):
            raise Http404
    return document


@tenant_view("report.view")
def document_status(request: TenantRequest, document_id: int) -> HttpResponse:
    """One document's row; while it is queued or rendering the row asks again every two seconds."""
    return render(request, "documents/_document_row.html", {"d": _document(request, document_id)})


@tenant_view("report.view")
def document_download(request: TenantRequest, document_id: int) -> FileResponse:
    return _file(_document(request, document_id), inline=False)


@tenant_view("report.view")
def document_preview(request: TenantRequest, document_id: int) -> FileResponse:
    """The PDF shown inside our own page (the only place it may be framed)."""
    document = _document(request, document_id)
    if registry.get(document.kind).produce is not None:
        raise Http404("Only a report is shown in the page; download this file.")
    response = _file(document, inline=True)
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


def _file(document: Document, *, inline: bool) -> FileResponse:
    if document.status != Document.Status.READY or not document.file:
        raise Http404("This document is not ready.")
    spec = registry.get(document.kind)
    filename = f"{document.title[:80]} v{document.version}.{spec.extension}".replace("/", "-")
    return FileResponse(
        document.file.open("rb"), as_attachment=not inline, filename=filename, content_type=spec.content_type
    )
