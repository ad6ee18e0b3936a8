"""``manage.py delete_workspace <slug> --yes``: a workspace and everything of it, for good (sam/lifecycle.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sam import lifecycle
from sam.models import Tenant


class Command(BaseCommand):
    help = "Delete a workspace and all its data, table by table, then check that no table holds any of it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slug")
        parser.add_argument("--yes", action="store_true", help="Really delete it (without: only count its rows).")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"No workspace with the address name {options['slug']!r}.")
        if not options["yes"]:
            counts = {t: n for t, n in lifecycle.rows_left(tenant.pk).items() if n}
            self.stdout.write(f"{tenant.name}: {sum(counts.values()):,} rows in {len(counts)} tables.")
            self.stdout.write("Nothing deleted: add --yes to delete them, for good.")
            return
        tenant_id = tenant.pk
        deleted = lifecycle.workspace_delete(tenant)
        left = {t: n for t, n in lifecycle.rows_left(tenant_id).items() if n}
        self.stdout.write(f"Deleted {sum(deleted.values()):,} rows of {tenant.name} in {len(deleted)} tables.")
        if left:
            raise CommandError(f"Rows are left: {left}")
        self.stdout.write("No table holds any row of it any more.")
