"""Test database set-up: created as the owner role (tables from the models, row-level security as the migrations
add it: tests/schema.py), used as the app role.

The suite then talks to PostgreSQL exactly as the running app does: as a
role that neither owns the tables nor bypasses row-level security.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings

# `make test` replays the same examples every run, so a red run always reproduces; `make test-explore` (run by CI
# too, without blocking) searches for new ones.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("explore", deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    """In the main process: name the run, so that its workers share the seeded demo (tests/demo_db.py)."""
    if not hasattr(config, "workerinput") and not os.environ.get("PYTEST_XDIST_TESTRUNUID"):
        run = getattr(config.option, "testrunuid", None) or uuid.uuid4().hex
        if hasattr(config.option, "testrunuid"):
            config.option.testrunuid = run
        os.environ["PYTEST_XDIST_TESTRUNUID"] = run


SLOW_MARKERS = ("browser", "worker", "fuzz", "pgbouncer", "replica")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first (a real browser or worker, the seeded demo), so that the workers share out the short
    ones at the end and finish together rather than one waiting on the other's last long test."""

    def slow(item: pytest.Item) -> bool:
        fixtures = getattr(item, "fixturenames", ())
        return "demo" in fixtures or any(item.get_closest_marker(name) for name in SLOW_MARKERS)

    items.sort(key=lambda item: not slow(item))  # stable: the file order holds within each group


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):
        from tests.demo_db import drop_shared

        drop_shared(stale=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):
        from tests.demo_db import drop_shared

        drop_shared()


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment: None, django_db_modify_db_settings: None, django_db_blocker: object
) -> Iterator[None]:
    from django.db.models.signals import pre_migrate
    from django.test.utils import override_settings, setup_databases, teardown_databases

    from sam.management.commands.migrate import restore_role, use_owner_role
    from tests.demo_db import DemoDatabases, end_app_sessions
    from tests.schema import NoMigrations, extensions, extensions_creator, schema_finish

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        saved = use_owner_role()
        pre_migrate.connect(extensions_creator(extensions()), dispatch_uid="tests-extensions", weak=False)
        try:
            with override_settings(MIGRATION_MODULES=NoMigrations()):  # tables from the models (tests/schema.py)
                db_cfg = setup_databases(verbosity=0, interactive=False, keepdb=False)
            schema_finish()
        finally:
            pre_migrate.disconnect(dispatch_uid="tests-extensions")
            restore_role(saved)
        demo = DemoDatabases.start()
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        demo.drop_all()
        end_app_sessions(demo.home)
        saved = use_owner_role()
        try:
            teardown_databases(db_cfg, verbosity=0)
        finally:
            restore_role(saved)
