"""Shared fixtures: two tenants, each with one user of every role, and helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
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
