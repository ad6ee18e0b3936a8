"""The API toolkit writes nothing itself: every viewset that offers a write names its app's service."""

from __future__ import annotations

import pytest

from sam.api.registry import routes
from sam.api.toolkit import AccountChildViewSet

WRITES = {
    "post": ("create_object", "perform_create", "create"),
    "put": ("update_object", "perform_update", "update"),
    "patch": ("update_object", "perform_update", "update", "partial_update"),
    "delete": ("perform_destroy", "destroy"),
}


def offered(viewset: type) -> set[str]:
    return {method for method in WRITES if method in viewset.http_method_names}


@pytest.mark.parametrize("prefix,viewset", [(p, v) for p, v, _ in routes() if issubclass(v, AccountChildViewSet)])
def test_each_offered_write_goes_through_a_service(prefix, viewset):
    for method in offered(viewset):
        own = [name for name in WRITES[method] if getattr(viewset, name) is not getattr(AccountChildViewSet, name)]
        assert own, f"/api/v1/{prefix}/ offers {method.upper()} without naming its service"


def test_the_toolkit_refuses_to_write_by_itself():
    class Bare(AccountChildViewSet):
        pass

    for hook, args in (("create_object", ({},)), ("update_object", (None, {})), ("perform_destroy", (None,))):
        with pytest.raises(NotImplementedError, match="service"):
            getattr(Bare(), hook)(*args)
