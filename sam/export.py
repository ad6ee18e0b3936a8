"""A workspace's data, all of it, as one zip file: each table as JSON and as CSV, made by a worker through the
documents pipeline (a document of the kind ``workspace_export``, asked for by an admin).

Every tenant-owned model of every app is in it (found in the app registry, so a new one is not forgotten), read
in one transaction as the workspace sees it (row-level security). Left out: the columns holding a hash of a secret
(tokens, keys), which are no use outside and would help no one but an attacker. Stored files (logos, deliverables,
reports) are listed by name in the manifest, not copied.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from sam.csvsafe import neutralise
from sam.documents import registry
from sam.history import HIDDEN
from sam.models import WorkspaceSettings
from sam.tenancy.context import required_tenant
from sam.tenancy.models import TenantOwned
from sam.tenancy.urls import tenant_reverse

KIND = "workspace_export"
CHUNK = 2000


def exported_models() -> list[type[models.Model]]:
    return sorted(
        (m for m in apps.get_models() if issubclass(m, TenantOwned) and not m._meta.proxy),
        key=lambda m: m._meta.label_lower,
    )


def _columns(model: type[models.Model]) -> list[tuple[str, str]]:
    """(column name in the files, attribute) of the model's fields, without the workspace and secrets' hashes."""
    columns = [(str(f.column), f.attname) for f in model._meta.concrete_fields]
    return [(column, attname) for column, attname in columns if column != "tenant_id" and not HIDDEN.search(column)]


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a stored file: its name
        return value.name or ""
    return value


def workspace_export(settings_row: WorkspaceSettings, params: dict[str, Any]) -> bytes:
    """The zip of every table of the current workspace (the document's subject is its settings row)."""
    tenant = required_tenant()
    manifest: dict[str, Any] = {
        "workspace": {"id": tenant.pk, "name": tenant.name, "slug": tenant.slug},
        "exported_at": timezone.now().isoformat(),
        "tables": {},
        "files": [],
    }
    with tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024) as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for model in exported_models():
                columns = _columns(model)
                name = f"{model._meta.app_label}/{model._meta.model_name}"
                rows = 0
                json_out = io.StringIO()
                csv_out = io.StringIO()
                writer = csv.writer(csv_out)
                writer.writerow([c for c, _ in columns])
                json_out.write("[")
                file_fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
                for obj in model._default_manager.order_by("pk").iterator(chunk_size=CHUNK):
                    values = {column: _cell(getattr(obj, attname)) for column, attname in columns}
                    json_out.write(("," if rows else "") + "\n" + json.dumps(values, cls=DjangoJSONEncoder))
                    writer.writerow([neutralise(v) if isinstance(v, str) else v for v in values.values()])
                    manifest["files"] += [v for a in file_fields if (v := _cell(getattr(obj, a)))]
                    rows += 1
                json_out.write("\n]\n")
                archive.writestr(f"{name}.json", json_out.getvalue())
                archive.writestr(f"{name}.csv", csv_out.getvalue())
                manifest["tables"][name] = {"table": model._meta.db_table, "rows": rows}
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, cls=DjangoJSONEncoder))
        spool.seek(0)
        return spool.read()


def register() -> None:
    from sam.permissions import can

    registry.register(
        registry.DocumentKind(
            key=KIND,
            label="Workspace export",
            subject_model=WorkspaceSettings,
            template="",
            context=lambda subject, params: {},
            title=lambda subject, params: f"Export of all data {timezone.localdate():%Y-%m-%d}",
            page_url=lambda subject, slug: tenant_reverse("workspace_data", slug=slug),
            viewer=lambda request, subject: can(request, "tenant.manage_settings"),
            produce=workspace_export,
            extension="zip",
            content_type="application/zip",
        )
    )
