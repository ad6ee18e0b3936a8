"""``migrate`` as the table owner role; the app role then gets its grants.

The running app connects as a role that does not own the tables (an owner
could switch row-level security off). Schema changes therefore switch the
connection to ``DATABASE_OWNER_URL`` for the duration of the command.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections

from sam.signals import grant_app_role

OWNER_KEYS = ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


def use_owner_role(alias: str = "default") -> dict[str, Any]:
    """Point the connection at the owner role (its whole URL but the database name); returns what to restore."""
    if not settings.DB_OWNER:
        raise CommandError(
            "Missing required setting: the environment variable DATABASE_OWNER_URL must be set to run migrations "
            "(the role that owns the tables). See .env.example."
        )
    connection = connections[alias]
    connection.close()
    saved = {key: connection.settings_dict.get(key) for key in OWNER_KEYS}
    for key in OWNER_KEYS:
        connection.settings_dict[key] = settings.DB_OWNER[key]
    return saved


def restore_role(saved: dict[str, Any], alias: str = "default") -> None:
    connection = connections[alias]
    connection.close()
    connection.settings_dict.update(saved)


class Command(MigrateCommand):
    help = "Apply migrations as the owner role, then grant the app role its table privileges."

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options.get("database") or "default"
        saved = use_owner_role(alias)
        try:
            super().handle(*args, **options)
            grant_app_role(alias)
        finally:
            restore_role(saved, alias)
