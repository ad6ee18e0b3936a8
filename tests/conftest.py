"""Shared fixtures: two tenants, each with one user of every role, and helpers."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache, caches
from django.test import Client

from sam.models import Membership, Tenant, User
from sam.roles import Role
from sam.tenancy.context import tenant_context
from tests.demo_db import DemoDatabases
from tests.factories import MembershipFactory, TenantFactory, UserFactory


@dataclass
class TenantWorld:
    """One tenant with a member of every role."""

    tenant: Tenant
    users: dict[Role, User] = field(default_factory=dict)
    memberships: dict[Role, Membership] = field(default_factory=dict)

    @property
    def admin(self) -> User:
        return self.users[Role.ADMIN]

    def ctx(self):
        return tenant_context(self.tenant)


def build_world(slug: str, name: str, marker: str) -> TenantWorld:
    tenant = TenantFactory(slug=slug, name=name)
    world = TenantWorld(tenant)
    with tenant_context(tenant):
        for role in Role:
            user = UserFactory(email=f"{role.value}.{slug}@example.test", full_name=f"{marker} {role.label}")
            world.users[role] = user
            world.memberships[role] = MembershipFactory(user=user, role=role)
    return world


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield


@pytest.fixture
def tenant_a(db: None) -> TenantWorld:
    return build_world("alpha", "Alpha Supplies", "ALPHA-SECRET")


@pytest.fixture
def tenant_b(db: None) -> TenantWorld:
    return build_world("bravo", "Bravo Partners", "BRAVO")


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User, **kwargs: object) -> Client:
        client = Client(**kwargs)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def account_a(tenant_a: TenantWorld):
    """A strategic account of tenant A owned by its account manager."""
    from tests.accounts.conftest import make_account

    return make_account(tenant_a)


@pytest.fixture
def demo(transactional_db: None, django_db_setup: None) -> Iterator[list[Tenant]]:
    """The demo tenants (sam.demo), in a fresh copy of a database seeded once per session (tests/demo_db.py)."""
    databases = DemoDatabases.current()
    tenants = databases.enter()
    try:
        yield tenants
    finally:
        databases.leave()


def closed_port() -> int:
    """A loopback port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    """The cache pointed at a Redis that is not there (a port nothing listens on)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{closed_port()}/0"}}
    return caches["default"]


def signed_in_client() -> Client:
    """A client signed in as a person of no workspace: enough to read the API's schema and its docs page, which
    are for signed-in people and token holders only."""
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory())
    return client
