"""Tenancy: the current tenant, the scoped ORM base and row-level security.

Two locks keep tenants apart. The ORM lock is ``TenantOwned``'s default
manager, which filters by the current tenant and raises when none is set.
The database lock is PostgreSQL row-level security keyed on the
transaction-local setting ``sam.tenant_id`` (see ``context.py`` and
``rls.py``).
"""
