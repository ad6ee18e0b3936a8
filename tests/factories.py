"""factory_boy factories. Tenant-owned factories need an active tenant_context."""

from __future__ import annotations

import functools

import factory
from django.contrib.auth.hashers import make_password

from sam.models import ApiToken, Membership, Tenant, User, hash_token_secret
from sam.roles import Role

PASSWORD = "correct-horse-42"


@functools.cache
def _password_hash(password: str) -> str:
    """Hashed once: every user the factory makes has the same password, saved in the one INSERT."""
    return make_password(password)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Supplier {n}")
    slug = factory.Sequence(lambda n: f"supplier-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.LazyFunction(lambda: _password_hash(PASSWORD))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class ApiTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiToken

    membership = factory.SubFactory(MembershipFactory)
    name = factory.Sequence(lambda n: f"token {n}")
    key_hash = factory.Sequence(lambda n: hash_token_secret(f"secret-{n}"))
    hint = "abcdef"
