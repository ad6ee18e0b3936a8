"""``manage.py backup [--output PATH]``: the whole database, every workspace, as a pg_dump custom-format file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from sam import backup


class Command(BaseCommand):
    help = "Back the database up with pg_dump (as the backup role) into one file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", help="Where to write it (default var/backups/sam-<UTC time>.dump).")

    def handle(self, *args: Any, **options: Any) -> None:
        default = Path(settings.BASE_DIR) / "var" / "backups" / f"sam-{datetime.now(UTC):%Y%m%d-%H%M%S}.dump"
        written = backup.backup(Path(options["output"]) if options["output"] else default)
        self.stdout.write(f"{written} ({written.stat().st_size:,} bytes)")
