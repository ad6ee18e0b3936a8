"""Requesting and rendering documents. Views, API and tasks call these."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.template.loader import render_to_string
from django.utils import timezone

from sam.documents import registry
from sam.models import Document, User, WorkspaceSettings
from sam.replica import read_replica
from sam.tasks_base import task_on_commit
from sam.tenancy.context import current_tenant

log = logging.getLogger(__name__)

# A render is cut off after 150 s (the task's time limit); one older than this has lost its worker.
STALE_AFTER = timedelta(minutes=3)
QUEUED_TOO_LONG = timedelta(minutes=10)  # a queued document whose task never arrived
MAX_ATTEMPTS = 3


def document_request(
    *, kind: str, subject: Any, params: dict[str, Any] | None = None, acting_user: User | None
) -> tuple[Document, bool]:
    """Ask for a new version of a document; rendered by a worker after commit.

    While one is still queued for the same subject and parameters, that one
    is returned and nothing new is queued (it will pick up the latest data
    when it renders). Requests at the same moment are serialised by a
    transaction-level advisory lock on the subject.
    """
    spec = registry.get(kind)
    params = params or {}
    subject_type = registry.subject_label(spec.subject_model)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"document:{subject.tenant_id}:{kind}:{subject_type}:{subject.pk}"],
            )
        pending = (
            Document.objects.filter(kind=kind, subject_type=subject_type, subject_id=subject.pk, params=params)
            .filter(status=Document.Status.QUEUED)
            .first()
        )
        if pending is not None:
            return pending, False
        for _ in range(3):  # two requests at once: the unique version makes one of them retry
            last = Document.objects.filter(kind=kind, subject_type=subject_type, subject_id=subject.pk).aggregate(
                v=Max("version")
            )["v"]
            try:
                with transaction.atomic():
                    document = Document.objects.create(
                        kind=kind,
                        subject_type=subject_type,
                        subject_id=subject.pk,
                        version=(last or 0) + 1,
                        params=params,
                        title=spec.title(subject, params),
                        requested_by=acting_user,
                    )
                break
            except IntegrityError:
                continue
        else:
            raise RuntimeError("Could not allocate a document version.")
        task_on_commit(
            "sam.documents.render_document",
            document.tenant_id,
            document.pk,
            on_lost=lambda: document_publish_lost(document.pk),
        )
    return document, True


def document_publish_lost(document_id: int) -> None:
    """Its render task could not be sent (the broker was out of reach): due for the stale sweep's next pass,
    which sends it again once the broker is back, rather than after the wait a queued render is normally given."""
    Document.objects.filter(pk=document_id, status=Document.Status.QUEUED).update(
        queued_at=timezone.now() - QUEUED_TOO_LONG
    )


def requested_text(created: bool) -> str:
    """What a page says after asking for a PDF."""
    return "The PDF is being made; this page shows when it is ready." if created else "That PDF is already being made."


def document_html(document: Document) -> str:
    """The print HTML of a document, from its registered kind (also used by the preview and tests); its rows are read
    from the replica when there is one that has caught up (sam/replica.py)."""
    spec = registry.get(document.kind)

    def render() -> str:
        subject = spec.subject_model.objects.get(pk=document.subject_id)  # type: ignore[attr-defined]
        context = spec.context(subject, document.params)
        context.update(
            {
                "document": document,
                "tenant": current_tenant(),
                "workspace": WorkspaceSettings.current(),
                "generated_at": timezone.now(),
            }
        )
        return render_to_string(spec.template, context)

    return read_replica(render)


def document_claim(document_id: int, *, token: str = "") -> Document | None:
    """Mark a document as rendering (committed) for the task with this token; None if it is not ours.

    Ours: queued, or rendering by this very task (a redelivery after its
    worker was killed), or rendering so long that its worker must be gone.
    """
    now = timezone.now()
    mine = Q(status=Document.Status.RENDERING, render_token=token) if token else Q(pk__in=[])
    with transaction.atomic():
        claimed = (
            Document.objects.filter(pk=document_id)
            .filter(
                Q(status=Document.Status.QUEUED)
                | Q(status=Document.Status.RENDERING, started_at__lt=now - STALE_AFTER)
                | mine
            )
            .update(
                status=Document.Status.RENDERING,
                started_at=now,
                attempts=F("attempts") + 1,
                error="",
                render_token=token,
            )
        )
        if not claimed:
            return None
        return Document.objects.get(pk=document_id)


def document_prepare(document: Document) -> str | None:
    """The HTML to render, or None when the document has been tried too often (then it is failed)."""
    if document.attempts > MAX_ATTEMPTS:
        document_fail(document, "Rendering stopped several times in a row; ask again later.")
        return None
    return document_html(document)


def document_produce(document: Document) -> bytes | None:
    """The file of a document that is not a printed page (a kind with ``produce``), or None when it has been tried
    too often (then it is failed). Read in the caller's transaction, so the file is one consistent picture."""
    if document.attempts > MAX_ATTEMPTS:
        document_fail(document, "Making the file stopped several times in a row; ask again later.")
        return None
    spec = registry.get(document.kind)
    assert spec.produce is not None
    subject = spec.subject_model.objects.get(pk=document.subject_id)  # type: ignore[attr-defined]
    return spec.produce(subject, document.params)


def document_store(document: Document, pdf: bytes, pages: int) -> Document | None:
    """Save the rendered PDF as this version's file and mark it ready; None (and nothing stored) when the render
    is no longer ours: another task took the claim over (the sweep thought this one lost) or finished it.

    A storage that fails part-way (a full disk) leaves no partial file behind: the error goes up to the task.
    """
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.status != Document.Status.RENDERING or locked.render_token != document.render_token:
            log.warning("document %s: a render that lost its claim is dropped (its claimant stores it)", locked.pk)
            return None
        storage, field = locked.file.storage, locked.file.field
        name = storage.get_available_name(
            field.generate_filename(
                locked, f"{locked.kind}-{locked.subject_id}-v{locked.version}.{registry.get(locked.kind).extension}"
            ),
            max_length=field.max_length,
        )
        try:
            locked.file.name = storage.save(name, ContentFile(pdf), max_length=field.max_length)
        except OSError:
            with contextlib.suppress(Exception):
                if storage.exists(name):
                    storage.delete(name)
            raise
        locked.checksum = hashlib.sha256(pdf).hexdigest()
        locked.size = len(pdf)
        locked.pages = pages
        locked.status = Document.Status.READY
        locked.finished_at = timezone.now()
        locked.save()
    return locked


# A storage with no room left: the disk or the quota is full, or the file is bigger than the process may write.
STORAGE_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
STORAGE_FULL_TEXT = (
    "There was no room left in the file storage to save this PDF. It was tried again and still did not fit: "
    "ask for it again once space has been freed (an administrator can see the storage's free space)."
)


def storage_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in STORAGE_FULL


def document_requeue(document: Document) -> None:
    """Back in the queue, for the render task's next try (a passing fault of storage or the database)."""
    Document.objects.filter(pk=document.pk).update(status=Document.Status.QUEUED)


def document_fail(document: Document, message: str) -> Document:
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.FAILED, error=message[:2000], finished_at=timezone.now()
    )
    document.refresh_from_db()
    return document


def documents_sweep_stale(*, now: Any = None) -> list[int]:
    """Documents whose render or task was lost (worker killed): back in the queue, or failed after retries.

    Returns the ids to enqueue again (the caller enqueues after commit).
    """
    now = now or timezone.now()
    stale = Document.objects.filter(
        Q(status=Document.Status.RENDERING, started_at__lt=now - STALE_AFTER)
        | Q(status=Document.Status.QUEUED, queued_at__lt=now - QUEUED_TOO_LONG)
    )
    again: list[int] = []
    for document in stale.select_for_update(skip_locked=True):
        if document.attempts >= MAX_ATTEMPTS:
            document_fail(document, "Rendering stopped several times in a row; ask again later.")
        else:
            Document.objects.filter(pk=document.pk).update(status=Document.Status.QUEUED, queued_at=now)
            again.append(document.pk)
    return again


def documents_of(subject: Any, kind: str) -> Any:
    spec = registry.get(kind)
    return Document.objects.filter(
        kind=kind, subject_type=registry.subject_label(spec.subject_model), subject_id=subject.pk
    ).select_related("requested_by")
