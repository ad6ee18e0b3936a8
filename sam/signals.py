"""After every migrate: every tracked table records its changes; the app role may read and write the tables, never
own them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections


def grant_app_role(using: str = "default") -> None:
    connection = connections[using]
    app_role = settings.DB_APP_ROLE
    if not app_role or connection.settings_dict.get("USER") == app_role:
        return
    quoted = connection.ops.quote_name(app_role)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        # The record of changes is written by the database's triggers (as the owner) and read by the app; the app
        # neither adds to it nor alters it, but through the functions of sam/history.py.
        cursor.execute(f"REVOKE INSERT, UPDATE, DELETE ON sam_datachange FROM {quoted}")


def after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # post_migrate fires once per app, after every app's migrations; granting and the change triggers (made as the
    # tables' owner) are idempotent and cheap.
    # The app role (a test's flush emits the signal too) owns nothing: it neither makes triggers nor grants.
    if sender.name == "sam" and connections[using].settings_dict.get("USER") != settings.DB_APP_ROLE:
        from sam import history

        history.install(using)
        grant_app_role(using)
