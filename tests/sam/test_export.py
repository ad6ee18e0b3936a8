"""An admin exports all of the workspace's data: one zip from a worker (the documents pipeline), every table as
JSON and CSV, no hashes of secrets, nothing of another workspace; only admins ask for it or download it."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse

from accounts.models import Account, Contact
from sam import export
from sam.documents.tasks import render_document
from sam.models import Document
from sam.roles import Role
from sam.services import token_create

pytestmark = pytest.mark.django_db


def test_an_admin_exports_every_table_of_the_workspace(
    tenant_a, tenant_b, account_a, client_for, django_capture_on_commit_callbacks
) -> None:
    from tests.accounts.conftest import make_account

    make_account(tenant_b, "Bravo Only Corp")
    with tenant_a.ctx():
        Contact.objects.create(account=account_a, name="=cmd|' /C calc'!A0", email="erin@example.test")
        _, secret = token_create(membership=tenant_a.memberships[Role.ADMIN], name="CI", expires_in_days=None)
    admin = client_for(tenant_a.admin)
    page = reverse("workspace_data", kwargs={"tenant_slug": "alpha"})
    assert admin.get(page).status_code == 200
    with django_capture_on_commit_callbacks(execute=False):
        assert admin.post(page).status_code == 302
    with tenant_a.ctx():
        document = Document.objects.get(kind=export.KIND)
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "ready"

    assert "Download" in admin.get(page).content.decode()
    download = reverse("document_download", kwargs={"tenant_slug": "alpha", "document_id": document.pk})
    answer = admin.get(download)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
    assert answer["Content-Disposition"].endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    names = set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    assert len(manifest["tables"]) == len(export.exported_models()) > 70
    for model in export.exported_models():
        base = f"{model._meta.app_label}/{model._meta.model_name}"
        assert {f"{base}.json", f"{base}.csv"} <= names
    accounts = json.loads(archive.read("accounts/account.json"))
    assert [a["name"] for a in accounts] == [account_a.name]
    assert manifest["tables"]["accounts/account"]["rows"] == 1
    everything = b"".join(archive.read(n) for n in names).decode()
    assert "Bravo Only Corp" not in everything and secret not in everything
    assert "key_hash" not in archive.read("sam/apitoken.csv").decode().splitlines()[0]
    contacts = list(csv.DictReader(io.StringIO(archive.read("accounts/contact.csv").decode())))
    assert contacts[0]["name"].startswith("'=")  # inert in a spreadsheet
    assert "datachange" in " ".join(names)  # the record of changes goes with it
    preview = reverse("document_preview", kwargs={"tenant_slug": "alpha", "document_id": document.pk})
    assert admin.get(preview).status_code == 404  # a zip is not shown in the page
    for role in (Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.MEMBER, Role.VIEWER):  # the whole workspace: admins only
        other = client_for(tenant_a.users[role])
        assert other.get(download).status_code == 404
        status = reverse("document_status", kwargs={"tenant_slug": "alpha", "document_id": document.pk})
        assert other.get(status).status_code == 404


def test_only_admins_export(tenant_a, client_for) -> None:
    page = reverse("workspace_data", kwargs={"tenant_slug": "alpha"})
    for role in (Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.MEMBER, Role.VIEWER):
        client = client_for(tenant_a.users[role])
        assert client.get(page).status_code == 403
        assert client.post(page).status_code == 403
    with tenant_a.ctx():
        assert not Document.objects.filter(kind=export.KIND).exists()
        assert Account.objects.count() == 0
