"""The PDF pipeline: versions, rendering, failures, stale renders, safety, downloads; and the Operations Review."""

from __future__ import annotations

import io
import socket
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts import reports, services
from accounts.models import ActionItem, IncidentCategory
from sam.documents import services as documents
from sam.documents.pdf import html_to_pdf
from sam.documents.tasks import documents_sweep_stale_all, render_document
from sam.models import Document
from sam.roles import Role
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db


def pdf_text(document: Document) -> str:
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def request_and_render(world, account, params=None, *, capture):
    with world.ctx(), capture(execute=False) as callbacks:
        document, created = documents.document_request(
            kind=reports.KIND, subject=account, params=params or {}, acting_user=world.admin
        )
    assert created and len(callbacks) == 1
    assert render_document.apply(args=[world.tenant.pk, document.pk]).result == "ready"
    with world.ctx():
        document.refresh_from_db()
    return document


def test_operations_review_renders_with_its_content(tenant_a, account_a, django_capture_on_commit_callbacks):
    now = timezone.now()
    with tenant_a.ctx():
        cat = IncidentCategory.objects.get(name="Outage")
        for n in range(3):
            services.incident_record(
                account=account_a,
                data={"category": cat, "summary": f"Portal down {n}", "opened_at": now - timedelta(days=5 + n),
                      "resolved_at": now - timedelta(days=5 + n) + timedelta(hours=2), "external_ref": f"INC-{n}"},
            )  # fmt: skip
        item, _ = services.action_item_add(account=account_a, title="Patch the load balancer")
        services.action_item_update(item=item, data={"status": "done"}, acting_user=None)
        services.action_item_add(account=account_a, title="Late thing", due=timezone.localdate() - timedelta(days=3))
        reports.narrative_save(
            account=account_a, summary="A calm quarter <script>x</script>", recommendations="Upgrade storage",
            acting_user=None,
        )  # fmt: skip
    document = request_and_render(tenant_a, account_a, capture=django_capture_on_commit_callbacks)
    assert document.status == "ready" and document.pages >= 1 and len(document.checksum) == 64
    text = pdf_text(document)
    for expected in ("Operations Review: Globex", "Alpha Supplies", "A calm quarter <script>x</script>",
                     "Portal down 1", "INC-2", "Patch the load balancer", "Late thing", "Upgrade storage",
                     "Page 1 of", "Outage"):  # fmt: skip
        assert expected in text, expected


def test_pdf_pages_become_png(tenant_a, account_a, django_capture_on_commit_callbacks, tmp_path):
    document = request_and_render(tenant_a, account_a, capture=django_capture_on_commit_callbacks)
    pdf = tmp_path / "report.pdf"
    with document.file.open("rb") as handle:
        pdf.write_bytes(handle.read())
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True, timeout=60)
    assert len(list(tmp_path.glob("page-*.png"))) == document.pages


def test_same_request_while_queued_renders_once_then_versions(tenant_a, account_a, django_capture_on_commit_callbacks):
    with tenant_a.ctx(), django_capture_on_commit_callbacks() as callbacks:
        first, created1 = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
        second, created2 = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
    assert (first.pk, created1, created2) == (second.pk, True, False)
    assert len(callbacks) == 1
    render_document.apply(args=[tenant_a.tenant.pk, first.pk])
    with tenant_a.ctx():
        third, created3 = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
    assert created3 and third.version == 2
    # A second delivery of the same task renders nothing twice.
    assert render_document.apply(args=[tenant_a.tenant.pk, first.pk]).result == "not-mine"


def test_failure_is_readable_and_not_retried(tenant_a, account_a, monkeypatch):
    with tenant_a.ctx():
        document, _ = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)

    def broken(document):
        raise ValueError("bad data in the template")

    monkeypatch.setattr(documents, "document_html", broken)
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "failed"
    with tenant_a.ctx():
        document.refresh_from_db()
    assert document.status == "failed" and "bad data in the template" in document.error and not document.file
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "not-mine"


def test_stale_render_is_requeued_then_given_up(tenant_a, account_a, monkeypatch, django_capture_on_commit_callbacks):
    enqueued = []
    monkeypatch.setattr(render_document, "apply_async", lambda args, **options: enqueued.append(args[1]))
    with tenant_a.ctx():
        document, _ = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
        # A worker claimed it and was killed mid-render.
        documents.document_claim(document.pk)
        Document.objects.filter(pk=document.pk).update(started_at=timezone.now() - timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert documents_sweep_stale_all() == 1
    assert enqueued == [document.pk]
    with tenant_a.ctx():
        assert Document.objects.get(pk=document.pk).status == "queued"
        Document.objects.filter(pk=document.pk).update(
            status="rendering", attempts=3, started_at=timezone.now() - timedelta(minutes=30)
        )
    documents_sweep_stale_all()
    with tenant_a.ctx():
        stuck = Document.objects.get(pk=document.pk)
    assert stuck.status == "failed" and "several times" in stuck.error


def test_a_redelivery_of_the_same_task_takes_over_at_once(tenant_a, account_a):
    with tenant_a.ctx():
        document, _ = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
        documents.document_claim(document.pk, token="task-1")  # the first delivery, then its worker died
    other = render_document.apply(args=[tenant_a.tenant.pk, document.pk], task_id="task-2")
    assert other.result == "not-mine"  # another task may not steal a fresh claim
    again = render_document.apply(args=[tenant_a.tenant.pk, document.pk], task_id="task-1")
    assert again.result == "ready"


def test_redelivered_task_renders_a_stale_claim(tenant_a, account_a):
    with tenant_a.ctx():
        document, _ = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
        documents.document_claim(document.pk)
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "not-mine"  # still fresh
    with tenant_a.ctx():
        Document.objects.filter(pk=document.pk).update(started_at=timezone.now() - timedelta(minutes=30))
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "ready"


class Listener:
    """A local HTTP server that records every connection (none may come)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n")
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join(timeout=2)
        self.sock.close()


def test_rendering_fetches_nothing_but_static_files():
    listener = Listener()
    try:
        evil = f"""<html><head>
          <link rel="stylesheet" href="http://127.0.0.1:{listener.port}/x.css">
          <style>@import url("http://127.0.0.1:{listener.port}/imported.css");
                 body {{ background: url("file:///etc/passwd"); }}</style>
          <link rel="attachment" href="file:///etc/passwd">
          <link rel="attachment" href="http://127.0.0.1:{listener.port}/redirects-to-passwd">
        </head><body>
          <img src="http://127.0.0.1:{listener.port}/pixel.png">
          <img src="/static/../../etc/passwd">
          <a rel="attachment" href="/etc/passwd">x</a>
          <img src="/static/img/logo.svg"><p>Hello</p>
        </body></html>"""
        pdf, pages, refused = html_to_pdf(evil)
    finally:
        listener.close()
    assert listener.hits == 0
    reader = PdfReader(io.BytesIO(pdf))
    assert pages == 1 and "Hello" in reader.pages[0].extract_text()
    assert reader.attachments == {}
    assert b"root:" not in pdf
    assert any("127.0.0.1" in url for url in refused) and any("passwd" in url for url in refused)


def test_user_text_is_escaped_in_the_report(tenant_a, account_a, django_capture_on_commit_callbacks):
    listener = Listener()
    try:
        with tenant_a.ctx():
            reports.narrative_save(
                account=account_a,
                summary=f'<img src="http://127.0.0.1:{listener.port}/p.png"><link rel=attachment href=file:///etc/passwd>',
                recommendations=f'<style>@import "http://127.0.0.1:{listener.port}/a.css";</style>',
                acting_user=None,
            )
        document = request_and_render(tenant_a, account_a, capture=django_capture_on_commit_callbacks)
    finally:
        listener.close()
    assert listener.hits == 0
    assert "<link rel=attachment href=file:///etc/passwd>" in pdf_text(document)  # shown as text
    with document.file.open("rb") as handle:
        assert PdfReader(io.BytesIO(handle.read())).attachments == {}


def test_download_preview_and_status_are_tenant_scoped(
    tenant_a, tenant_b, account_a, client_for, django_capture_on_commit_callbacks
):
    document = request_and_render(tenant_a, account_a, capture=django_capture_on_commit_callbacks)
    client = client_for(tenant_a.users[Role.VIEWER])
    download = client.get(reverse("document_download", args=["alpha", document.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    preview = client.get(reverse("document_preview", args=["alpha", document.pk]))
    assert preview.status_code == 200 and preview["Content-Disposition"].startswith("inline")
    assert download["Cache-Control"] == preview["Cache-Control"] == "private, no-store"  # no cache keeps a copy
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    row = client.get(reverse("document_status", args=["alpha", document.pk])).content.decode()
    assert "ready" in row and "hx-trigger" not in row
    outsider = client_for(tenant_b.admin)
    for name in ("document_download", "document_preview", "document_status"):
        assert outsider.get(reverse(name, args=["bravo", document.pk])).status_code == 404
    assert not Path(document.file.path).is_relative_to(Path(__file__).parents[2] / "static")


def test_in_progress_row_polls(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        document, _ = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
    row = client_for(tenant_a.admin).get(reverse("document_status", args=["alpha", document.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in row and "queued" in row
    response = client_for(tenant_a.admin).get(reverse("document_download", args=["alpha", document.pk]))
    assert response.status_code == 404  # not ready yet


def test_operations_review_page(tenant_a, account_a, client_for, django_capture_on_commit_callbacks):
    path = reverse("operations_review", args=["alpha", account_a.pk])
    member = tenant_a.users[Role.MEMBER]
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=member.pk, role="customer_service_manager")
    client = client_for(member)
    assert b"No PDF made yet" in client.get(path).content
    save = reverse("operations_review_save", args=["alpha", account_a.pk])
    pdf = reverse("operations_review_pdf", args=["alpha", account_a.pk])
    data = {"start": "2026-08-01", "end": "2026-10-31", "summary": "Stable quarter", "recommendations": ""}
    assert client.post(save, data).status_code == 302
    assert b"Stable quarter" in client.get(path).content  # the preview shows it
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(pdf, {**data, "summary": "Stable, and said so in the PDF"})
    assert response.status_code == 302 and len(callbacks) == 1
    with tenant_a.ctx():
        document = Document.objects.get()
    assert document.params == {"start": "2026-08-01", "end": "2026-10-31"}
    assert b"Stable, and said so in the PDF" in client.get(path).content  # the narrative went with the PDF
    bad = client.post(save, {**data, "end": "2026-01-01"})
    assert bad.status_code == 400 and b"must end after it starts" in bad.content
    assert client.post(save, {**data, "summary": "a\x00b"}).status_code == 400
    assert client.get(save).status_code == 405
    viewer = client_for(tenant_a.users[Role.VIEWER])
    assert viewer.get(path).status_code == 200
    assert viewer.post(pdf, data).status_code == 403
    assert viewer.post(save, data).status_code == 403


def test_report_data_gathering_query_count_is_constant(tenant_a, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small, large = make_account(tenant_a, "Small"), make_account(tenant_a, "Large")
    now = timezone.now()

    def fill(account, count):
        today = timezone.localdate()
        with tenant_a.ctx():
            cat = IncidentCategory.objects.get(name="Outage")
            term = {"title": "MSA", "start": today - timedelta(days=700), "end": today + timedelta(days=100)}
            services.contract_save(account=account, data=term)
            for n in range(count):
                opened = now - timedelta(days=3, hours=n)
                resolved = {"category": cat, "summary": f"i{n}", "opened_at": opened,
                            "resolved_at": opened + timedelta(hours=1)}  # fmt: skip
                services.incident_record(account=account, data=resolved)
                aging = {"category": cat, "summary": f"open{n}", "opened_at": now - timedelta(days=30)}
                services.incident_record(account=account, data=aging)
                item, _ = services.action_item_add(account=account, title=f"a{n}", due=today - timedelta(days=1))
                if n % 2:
                    services.action_item_update(item=item, data={"status": ActionItem.Status.DONE}, acting_user=None)

    fill(small, 1)
    fill(large, 40)
    with tenant_a.ctx():
        connection.queries_log.clear()  # a request resets the log: start from empty
        with CaptureQueriesContext(connection) as few:
            reports.operations_review_context(small, {})
        with django_assert_max_num_queries(few.final_queries - few.initial_queries):
            context = reports.operations_review_context(large, {})
    assert len(context["resolved"]) == 40 and len(context["overdue"]) == 20


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_render_is_recovered_by_the_stale_sweep(tenant_a):
    """SIGKILL a real worker while it renders: the stale-render sweep (tick) puts it back, a worker renders it.

    (A redelivery of the same task takes over the claim at once; see the in-process test above.)"""
    import os
    import signal

    from accounts.models import Incident
    from tests.worker import celery_worker, wait_for

    account = make_account(tenant_a, "Big")
    now = timezone.now()
    with tenant_a.ctx():
        cat = IncidentCategory.objects.get(name="Outage")
        Incident.objects.bulk_create(
            Incident(account=account, category=cat, summary=f"Request {n}", tenant_id=tenant_a.tenant.pk,
                     opened_at=now - timedelta(days=2, minutes=n), resolved_at=now - timedelta(days=1, minutes=n))
            for n in range(700)
        )  # fmt: skip

    def status():
        with tenant_a.ctx():
            return Document.objects.values_list("status", "attempts").get()

    with celery_worker(queues="reports") as worker:
        with tenant_a.ctx():
            documents.document_request(kind=reports.KIND, subject=account, acting_user=None)
        assert wait_for(lambda: status()[0] == "rendering", timeout=30)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert status()[0] == "rendering"  # the killed render left it claimed
    with tenant_a.ctx():  # minutes later, nobody has finished it
        Document.objects.update(started_at=timezone.now() - timedelta(minutes=4))
    with celery_worker(queues="reports"):
        assert documents_sweep_stale_all() == 1
        assert wait_for(lambda: status()[0] == "ready", timeout=90), status()
    assert status() == ("ready", 2)
    with tenant_a.ctx():
        assert Document.objects.count() == 1
        assert Document.objects.get().pages > 5


@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_make_one_version(tenant_a):
    import threading

    from django.db import connection as main_connection

    account = make_account(tenant_a, "Busy")
    results, barrier = [], threading.Barrier(4)

    def ask():
        from django.db import connection

        try:
            barrier.wait(timeout=10)
            with tenant_a.ctx():
                results.append(documents.document_request(kind=reports.KIND, subject=account, acting_user=None)[0].pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    main_connection.close()
    assert len(results) == 4 and len(set(results)) == 1
    with tenant_a.ctx():
        assert Document.objects.count() == 1


def test_static_files_resolve_in_production_layout(tmp_path, settings):
    from sam.documents.pdf import static_file

    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "print.0123abcd.css").write_text("body{}")
    settings.STATIC_ROOT = tmp_path
    assert static_file("css/print.0123abcd.css") == (tmp_path / "css" / "print.0123abcd.css").resolve()
    assert static_file("css/print.css") is not None  # the source file, through the finders
    for bad in ("/etc/passwd", "../../etc/passwd", "css/../../../etc/passwd", "", "css\\\\..\\\\x"):
        assert static_file(bad) is None


def test_transient_error_is_retried_others_are_not(tenant_a, account_a, monkeypatch):
    from sam.documents import tasks

    calls = []

    def down(html):
        calls.append("down")
        raise ConnectionError("storage unreachable")

    with tenant_a.ctx():
        document, _ = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
    monkeypatch.setattr(tasks, "html_to_pdf", down)
    # Run eagerly, Celery performs the retries inline: 3 tries in all, then a readable failure.
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "failed"
    assert len(calls) == 3
    with tenant_a.ctx():
        assert "ConnectionError: storage unreachable" in Document.objects.get(pk=document.pk).error

    def denied(html):
        calls.append("denied")
        raise PermissionError("read-only file system")

    with tenant_a.ctx():
        document, _ = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
    monkeypatch.setattr(tasks, "html_to_pdf", denied)
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "failed"
    assert calls.count("denied") == 1  # not transient: no retry
    with tenant_a.ctx():
        assert "read-only file system" in Document.objects.get(pk=document.pk).error


def test_letter_paper_and_tenant_logo(tenant_a, account_a, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    from sam.models import WorkspaceSettings

    with tenant_a.ctx():
        workspace = WorkspaceSettings.current()
        workspace.paper_size = "Letter"
        workspace.logo.save(
            "logo.svg", ContentFile(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
        )
    with tenant_a.ctx():
        document, _ = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
        html = documents.document_html(document)
    assert "data:image/svg+xml;base64," in html
    render_document.apply(args=[tenant_a.tenant.pk, document.pk])
    with tenant_a.ctx():
        document.refresh_from_db()
    with document.file.open("rb") as handle:
        box = PdfReader(io.BytesIO(handle.read())).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_chart_leaves_room_for_its_labels():
    import re as regex

    from sam.charts import Bar, bar_chart

    svg = str(bar_chart("t", [Bar("Outage", 22, "avg 5.0 h to resolve"), Bar("x" * 40, 3)]))
    width = int(regex.search(r'viewBox="0 0 (\d+)', svg).group(1))
    for x, text in regex.findall(r'<text x="([\d.]+)" y="[\d.]+" font-size="12" fill="#1d273b">([^<]+)<', svg):
        assert float(x) + len(text) * 7 <= width + 1, text
    assert "xxxxxxxxxxxxxxxxxxxxxxxxx…" in svg
    assert regex.search(r'aria-labelledby="(chart-\d+)".*<title id="\1">', svg)


def test_impossible_period_in_the_address_is_refused(tenant_a, account_a, client_for):
    path = reverse("operations_review", args=["alpha", account_a.pk])
    client = client_for(tenant_a.admin)
    assert client.get(path + "?start=2026-02-30&end=2026-03-01").status_code == 400
    assert client.get(path + "?start=1900-01-01&end=2999-12-31").status_code == 400
    ok = client.get(path + "?start=2026-01-01&end=2026-03-31")
    assert ok.status_code == 200 and b"1 Jan 2026 to 31 Mar 2026" in ok.content


def test_a_render_that_lost_its_claim_stores_nothing(tenant_a, account_a):
    """A render the sweep thought lost (its worker looked dead) finishes after all: only the claimant stores."""
    with tenant_a.ctx():
        document, _ = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
        first = documents.document_claim(document.pk, token="task-1")
        Document.objects.filter(pk=document.pk).update(started_at=timezone.now() - timedelta(minutes=30))
        documents.document_claim(document.pk, token="task-2")  # taken over
        assert documents.document_store(first, b"%PDF-1.7 late", 1) is None
        taken = Document.objects.get(pk=document.pk)
    assert (taken.status, taken.render_token, taken.file.name) == ("rendering", "task-2", "")
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk], task_id="task-2").result == "ready"


def test_a_full_storage_fails_readably_leaves_no_partial_file_and_a_later_request_succeeds(
    tenant_a, account_a, monkeypatch, settings, tmp_path
):
    import errno

    from django.core.files.storage import FileSystemStorage

    settings.MEDIA_ROOT = tmp_path
    real_save = FileSystemStorage._save

    def full(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.7 half")  # the disk fills part-way through the file
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", full)
    with tenant_a.ctx():
        document, _ = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "failed"
    with tenant_a.ctx():
        document.refresh_from_db()
    assert document.status == "failed" and document.error == documents.STORAGE_FULL_TEXT
    assert "No space" not in document.error and str(tmp_path) not in document.error
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no half-written PDF left behind

    monkeypatch.setattr(FileSystemStorage, "_save", real_save)  # space was freed
    with tenant_a.ctx():
        again, created = documents.document_request(kind=reports.KIND, subject=account_a, acting_user=None)
    assert created and again.version == document.version + 1
    assert render_document.apply(args=[tenant_a.tenant.pk, again.pk]).result == "ready"
    with tenant_a.ctx():
        again.refresh_from_db()
    assert again.status == "ready" and again.size > 0 and again.file.name.endswith(f"-v{again.version}.pdf")
