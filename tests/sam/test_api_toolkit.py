"""The API toolkit writes nothing itself: every viewset that offers a write names its app's service."""

from __future__ import annotations

from typing import Any

import pytest

from sam.api.registry import routes
from sam.api.toolkit import AccountChildViewSet

# The hooks each write method may go through, outermost first; the innermost ones write through a service.
WRITES = {
    "post": ("create", "perform_create", "create_object", "save"),
    "put": ("update", "perform_update", "update_object", "save"),
    "patch": ("partial_update", "update", "perform_update", "update_object", "save"),
    "delete": ("destroy", "perform_destroy", "remove"),
}


def offered(viewset: type) -> set[str]:
    return {method for method in WRITES if method in viewset.http_method_names}


def names(code: Any) -> set[str]:
    """The names a function's code uses, its lambdas' included."""
    found = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            found |= names(const)
    return found


def reaches_a_service(viewset: type, chain: tuple[str, ...]) -> bool:
    """Follow a write from its outermost hook: DRF's and the toolkit's hand on to the next; an app's hook hands on
    to the inner hook it names (or to its parent's); one that names none writes through its service; a hook
    that raises NotImplementedError means nothing writes."""
    position = 0
    while position < len(chain):
        hook = getattr(viewset, chain[position], None)
        if hook is None or hook.__module__.startswith("rest_framework"):
            position += 1
            continue
        used = names(hook.__code__)
        if "NotImplementedError" in used:
            return False
        if hook.__module__ == AccountChildViewSet.__module__:
            position += 1
            continue
        inner = [i for i in range(position + 1, len(chain)) if chain[i] in used]
        if inner:
            position = inner[0]
        elif "super" in used:
            position += 1
        else:
            return True
    return False


@pytest.mark.parametrize("prefix,viewset", [(p, v) for p, v, _ in routes() if issubclass(v, AccountChildViewSet)])
def test_each_offered_write_goes_through_a_service(prefix, viewset):
    for method in offered(viewset):
        assert reaches_a_service(viewset, WRITES[method]), f"/api/v1/{prefix}/ {method.upper()} names no service"


def test_the_toolkit_refuses_to_write_by_itself():
    class Bare(AccountChildViewSet):
        pass

    for hook, args in (("create_object", ({},)), ("update_object", (None, {})), ("perform_destroy", (None,))):
        with pytest.raises(NotImplementedError, match="service"):
            getattr(Bare(), hook)(*args)


def test_the_check_finds_a_write_that_reaches_no_service():
    class HandsOnToNothing(AccountChildViewSet):
        def perform_create(self, serializer: Any) -> None:
            serializer.instance = self.run(lambda: self.create_object(serializer.validated_data))

    class Writes(HandsOnToNothing):
        def create_object(self, data: dict[str, Any]) -> Any:
            return ("a service", data)

    assert not reaches_a_service(HandsOnToNothing, WRITES["post"])
    assert not reaches_a_service(AccountChildViewSet, WRITES["delete"])
    assert reaches_a_service(Writes, WRITES["post"])
