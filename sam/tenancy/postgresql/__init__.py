"""Django's PostgreSQL backend, told that a tenant-owned table's primary key is ``(tenant_id, id)``."""
