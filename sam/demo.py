"""Demo data: two supplier tenants with one user of each role (development only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from sam.models import Membership, Tenant, User
from sam.roles import Role
from sam.tenancy.context import origin, tenant_context

DEMO_PASSWORD = "demo-pass-2026"  # dev-only, printed by `make run`


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    domain: str


TENANTS = [
    DemoTenant("northwind", "Northwind Managed Services", "northwind.example"),
    DemoTenant("contoso", "Contoso Industrial", "contoso.example"),
]
PEOPLE = {
    Role.ADMIN: ("admin", "Ada Admin"),
    Role.EXECUTIVE: ("exec", "Evan Executive"),
    Role.ACCOUNT_MANAGER: ("am", "Maria Manager"),
    Role.MEMBER: ("member", "Tom Teammate"),
    Role.VIEWER: ("viewer", "Vera Viewer"),
}
# One person in both tenants, to show the workspace switcher.
MULTI = ("pat@partner.example", "Pat Partner", {"northwind": Role.ACCOUNT_MANAGER, "contoso": Role.VIEWER})


# Apps add their demo data here at start-up (no upward imports): fn(tenant), run inside its context.
_seeders: list[Callable[[Tenant], None]] = []
# Seeders that need everyone else's data (e.g. the story of each account, and the playbooks it fires).
_finishers: list[Callable[[Tenant], None]] = []


def register_seeder(seeder: Callable[[Tenant], None], *, last: bool = False) -> None:
    (_finishers if last else _seeders).append(seeder)


def demo_logins() -> list[tuple[str, str, str]]:
    rows = []
    for t in TENANTS:
        for role, (local, _) in PEOPLE.items():
            rows.append((f"{local}@{t.domain}", t.name, Role(role).label))
    rows.append((MULTI[0], "both", "Account manager / Viewer"))
    return rows


def _user(email: str, name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=name)
    return user


@transaction.atomic
def seed_demo() -> list[Tenant]:
    tenants = []
    for spec in TENANTS:
        tenant, _ = Tenant.objects.get_or_create(slug=spec.slug, defaults={"name": spec.name})
        tenants.append(tenant)
        with origin("demo data"), tenant_context(tenant):
            for role, (local, name) in PEOPLE.items():
                user = _user(f"{local}@{spec.domain}", name)
                Membership.objects.get_or_create(user=user, defaults={"role": role})
            multi = _user(MULTI[0], MULTI[1])
            Membership.objects.get_or_create(user=multi, defaults={"role": MULTI[2][spec.slug]})
            for seeder in _seeders + _finishers:
                seeder(tenant)
    return tenants
