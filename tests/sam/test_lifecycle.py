"""Deleting a workspace removes every row of it from every table (read back table by table from the catalog), its
record of changes and its files, and nothing of any other workspace."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from sam import lifecycle
from sam.models import Membership, Tenant, User, WorkspaceSettings
from sam.tenancy.context import tenant_context

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00"
    b"\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_deleted_workspace_leaves_no_row_in_any_table(demo) -> None:
    doomed, kept = (next(t for t in demo if t.slug == slug) for slug in ("contoso", "northwind"))
    with tenant_context(doomed):
        settings = WorkspaceSettings.current()
        settings.logo.save("logo.png", SimpleUploadedFile("logo.png", PNG))
        logo = (settings.logo.storage, settings.logo.name)
    assert logo[0].exists(logo[1])
    before = lifecycle.rows_left(doomed.pk)
    kept_before = lifecycle.rows_left(kept.pk)
    assert sum(before.values()) > 500 and len([n for n in before.values() if n]) > 30
    with tenant_context(doomed):
        member = Membership.objects.values_list("user_id", flat=True).first()
    assert member is not None

    out = io.StringIO()
    call_command("delete_workspace", doomed.slug, stdout=out)  # without --yes: counts only
    assert "Nothing deleted" in out.getvalue()
    assert lifecycle.rows_left(doomed.pk) == before

    call_command("delete_workspace", doomed.slug, "--yes", stdout=out)
    assert "No table holds any row of it any more." in out.getvalue()
    left = lifecycle.rows_left(doomed.pk)
    assert set(left) == set(before) and not any(left.values())
    assert "sam_datachange" in left  # the record of changes is among the tables emptied
    assert not Tenant.objects.filter(pk=doomed.pk).exists()
    assert not logo[0].exists(logo[1])
    assert User.objects.filter(pk=member).exists()  # people keep their logins
    assert lifecycle.rows_left(kept.pk) == kept_before

    with pytest.raises(CommandError, match="No workspace"):
        call_command("delete_workspace", doomed.slug, "--yes")
