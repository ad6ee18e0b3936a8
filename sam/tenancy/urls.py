"""URLs of pages inside a tenant: ``tenant_reverse`` is the Python twin of the ``{% turl %}`` template tag."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpResponseRedirect
from django.urls import reverse

from sam.tenancy.context import NoTenantActive, current_tenant

if TYPE_CHECKING:
    from sam.models import Tenant


def tenant_reverse(name: str, *args: Any, tenant: Tenant | None = None, slug: str | None = None) -> str:
    """The path of a tenant page (``/t/<slug>/...``): of the current tenant unless one (or its slug) is given."""
    if slug is None:
        tenant = tenant or current_tenant()
        if tenant is None:
            raise NoTenantActive(f"No tenant is active to build the URL of {name!r}.")
        slug = tenant.slug
    return reverse(name, args=[slug, *args])


def tenant_redirect(name: str, *args: Any) -> HttpResponseRedirect:
    """A redirect to a page of the current tenant."""
    return HttpResponseRedirect(tenant_reverse(name, *args))
