"""``manage.py restore PATH --into NAME``: a new database made from a backup, with its rows per table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from sam import backup


class Command(BaseCommand):
    help = "Restore a backup (manage.py backup) into a new database, never over an existing one."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help="The backup file.")
        parser.add_argument("--into", required=True, help="The new database's name.")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = backup.restore(Path(options["path"]), options["into"])
        for table, rows in counts.items():
            self.stdout.write(f"{table:48} {rows:>10,}")
        self.stdout.write(f"Restored into {options['into']}: {len(counts)} tables, {sum(counts.values()):,} rows.")
