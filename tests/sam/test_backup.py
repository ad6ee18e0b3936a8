"""``manage.py backup`` and ``restore``: every workspace's rows into one file, and back into a new database with
the same rows per table, owned, granted and protected by row-level security as the original."""

from __future__ import annotations

import os
from io import StringIO

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from accounts import services as account_services
from sam import backup
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump reads what is committed


def test_a_backup_restores_into_a_new_database_with_the_same_rows(tenant_a, tenant_b, tmp_path):
    for world in (tenant_a, tenant_b):
        account = make_account(world)
        with world.ctx():
            account_services.contact_save(account=account, data={"name": "Hank", "email": "hank@globex.test"})
    path = tmp_path / "sam.dump"
    call_command("backup", output=str(path), stdout=StringIO())
    assert path.stat().st_size > 10_000 and not path.with_name("sam.dump.partial").exists()
    scratch = f"sam_restore_check_{os.getpid()}"
    owner = settings.DB_OWNER
    try:
        out = StringIO()
        call_command("restore", str(path), into=scratch, stdout=out)
        source = backup.row_counts(str(connection.settings_dict["NAME"]))
        restored = backup.row_counts(scratch)
        assert restored == source, {t: (source.get(t), restored.get(t)) for t in source if source[t] != restored[t]}
        assert source["accounts_contact"] == 2 and source["sam_membership"] == 10  # both workspaces, every row
        assert f"Restored into {scratch}" in out.getvalue()
        # The app role in the restored database: its grants, and row-level security showing one workspace.
        app = connection.settings_dict
        with psycopg.connect(backup.conninfo(dict(app), scratch), password=app["PASSWORD"] or None) as c:
            c.execute("SELECT set_config('sam.tenant_id', %s, false)", [str(tenant_a.tenant.pk)])
            seen = c.execute("SELECT DISTINCT tenant_id FROM accounts_contact").fetchall()
            assert seen == [(tenant_a.tenant.pk,)]
        with pytest.raises(CommandError, match="exists: restore into a new one"):
            call_command("restore", str(path), into=scratch, stdout=StringIO())
    finally:
        with psycopg.connect(backup.conninfo(dict(owner), "postgres"), autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))


def test_restore_refuses_a_missing_file_or_a_bad_name(tmp_path):
    with pytest.raises(CommandError, match="No backup at"):
        call_command("restore", str(tmp_path / "none.dump"), into="sam_x", stdout=StringIO())
    (tmp_path / "x.dump").write_bytes(b"x")
    for bad in ("", "a-b", "x; DROP DATABASE sam", "a" * 64):
        with pytest.raises(CommandError, match="letters, digits and underscores"):
            call_command("restore", str(tmp_path / "x.dump"), into=bad, stdout=StringIO())
