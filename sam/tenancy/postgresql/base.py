"""Django's PostgreSQL backend, with one difference (``DATABASES["default"]["ENGINE"]`` names this module's package).

Django groups an aggregate query by a model's primary key alone when it selects the model's other columns too,
which PostgreSQL allows because those depend on the key. A tenant-owned table's key in the database is
``(tenant_id, id)`` (sam/tenancy/keys.py), so ``GROUP BY id`` alone is refused there: for these models Django
groups by every column it selects, as it does on databases without that rule.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, features

from sam.tenancy.keys import is_tenant_owned


class DatabaseFeatures(features.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model: Any) -> bool:
        return bool(super().allows_group_by_selected_pks_on_model(model)) and not is_tenant_owned(model)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
