"""Schemathesis over the whole API, as a member of tenant B while tenant A's objects sit in the same tables.

Every operation of ``/api/v1/schema/`` is called in-process (the WSGI app) with generated requests: valid ones
and invalid ones, with random ids, with B's own ids and with A's ids. Each answer must be no 5xx, a status code
and a body the schema documents, nothing of A (A's text all carries the sweep's marker; A's ids are never a row
B is shown), and A's ids in the address are a 404.

``make test`` replays the same few examples every run (derandomized); ``make fuzz`` runs many more
(``SAM_FUZZ_EXAMPLES``) and, with ``HYPOTHESIS_PROFILE=explore``, new ones.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, models, transaction
from django.urls import resolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import tests.sweep as sweep
from sam.roles import Role
from sam.services import token_create
from tests.sweep import MAKERS, OBJECT_KWARGS, Route

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

# Examples per operation and kind of request; `make fuzz` raises it.
EXAMPLES = int(os.environ.get("SAM_FUZZ_EXAMPLES", "3"))
A_IDS_EXAMPLES = max(2, EXAMPLES // 5)  # the other tenant's ids: the body matters less than the id
B_MARKER = "BRAVO-OWN"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def rejects_invalid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis' negative_data_rejection, but for form bodies: a form carries every value as text, so the
    boolean true it was meant to refuse as a name arrives as the valid name "true", and an empty field is an
    unticked box. Invalid JSON bodies and parameters must still be refused."""
    if case.media_type and "json" not in case.media_type:
        return None
    return negative_data_rejection(ctx, response, case)


@pytest.fixture
def app() -> Iterator[WSGIHandler]:
    """The project's WSGI handler, inside the test's transaction: like Django's test client, it must not close
    the connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tracebacks() -> Iterator[list[str]]:
    """The tracebacks of the requests that failed on the server, for the report."""
    seen: list[str] = []

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        seen.append(traceback.format_exc())

    got_request_exception.connect(record, weak=False, dispatch_uid="fuzz-tracebacks")
    yield seen
    got_request_exception.disconnect(dispatch_uid="fuzz-tracebacks")


def _make_all(world: Any, marker: str, monkeypatch: pytest.MonkeyPatch) -> dict[type[models.Model], models.Model]:
    monkeypatch.setattr(sweep, "MARKER", marker)
    with world.ctx():
        return {model: maker() for model, maker in MAKERS.items()}


@pytest.fixture
def worlds(tenant_a, tenant_b, monkeypatch) -> dict[str, Any]:
    """Tenant A with one object of every model (its text carries the marker), tenant B with its own, and B's
    admin token."""
    a_objects = _make_all(tenant_a, sweep.MARKER, monkeypatch)
    b_objects = _make_all(tenant_b, B_MARKER, monkeypatch)
    monkeypatch.undo()
    with tenant_b.ctx():
        token, full = token_create(membership=tenant_b.memberships[Role.ADMIN], name="fuzz", expires_in_days=None)
    b_objects[type(token)] = token  # B's "own" token is the caller's
    return {"a": a_objects, "b": b_objects, "headers": {"Authorization": f"Token {full}"}}


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each example starts from the same rows: what a request wrote is undone."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def model_of(operation: Any, parameter: str) -> type[models.Model] | None:
    """The model whose id a path parameter of the operation carries (as the isolation sweep knows it)."""
    path = operation.path
    for name in operation.path_parameters:
        path = path.replace("{" + name.name + "}", "1")
    match = resolve(path)
    route = Route(match.url_name or "", path.lstrip("/"), match.func, tuple(match.kwargs))
    return route.model_for("pk" if parameter == "id" else parameter) or OBJECT_KWARGS.get(parameter)


def ids_of(operation: Any, objects: dict[type[models.Model], models.Model]) -> dict[str, int] | None:
    """The path parameters naming the objects of one tenant, or None when one of them has no object there."""
    ids = {}
    for parameter in operation.path_parameters:
        model = model_of(operation, parameter.name)
        if model is None or objects.get(model) is None:
            return None
        ids[parameter.name] = objects[model].pk
    return ids


def no_other_tenant_data(a_objects: dict[type[models.Model], models.Model]) -> Callable[..., None]:
    """Nothing of A in B's answers: not its marker, and not its rows by id."""
    a_ids: dict[type[models.Model], set[int]] = {}
    for model, obj in a_objects.items():
        if obj is not None:
            a_ids.setdefault(model, set()).add(obj.pk)

    def check(ctx: Any, response: Any, case: Any) -> None:
        body = response.content.decode(errors="replace")
        assert sweep.MARKER not in body, f"{case.operation.label} answered with tenant A's data: {body[:500]}"
        if response.status_code >= 300 or "json" not in response.headers.get("Content-Type", [""])[0]:
            return
        model = model_of(case.operation, "id") if "{id}" in case.operation.path else _list_model(case.operation)
        if model is None:
            return
        data = json.loads(body) if body else None
        rows = data.get("results", [data]) if isinstance(data, dict) else data if isinstance(data, list) else []
        shown = {row.get("id") for row in rows if isinstance(row, dict)}
        leaked = shown & a_ids.get(model, set())
        assert not leaked, f"{case.operation.label} showed tenant A's {model.__name__} rows {sorted(leaked)}"

    return check


def _list_model(operation: Any) -> type[models.Model] | None:
    match = resolve(operation.path)
    return Route(match.url_name or "", operation.path.lstrip("/"), match.func, ()).api_model()


def run_examples(
    operation: Any,
    app: WSGIHandler,
    headers: dict[str, str],
    checks: list[Any],
    additional: list[Any],
    *,
    mode: GenerationMode = GenerationMode.POSITIVE,
    path_parameters: dict[str, int] | None = None,
    examples: int = EXAMPLES,
    expect: int | None = None,
) -> None:
    @settings(
        max_examples=examples,
        derandomize=settings.default.derandomize,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def example(case: Any) -> None:
        with rolled_back():
            response = case.call(app=app, headers=headers)
            if expect is not None:
                assert response.status_code == expect, (
                    f"{case.operation.label} with {path_parameters} -> {response.status_code}, not {expect}"
                )
            case.validate_response(response, checks=checks, additional_checks=additional, headers=headers)

    try:
        example()
    except Unsatisfiable:
        if mode is not GenerationMode.NEGATIVE:
            raise  # an operation without parameters or body has no invalid request to make


@pytest.fixture
def schema(app, worlds) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", app, headers=worlds["headers"])  # for members only


def operations(schema: Any) -> list[Any]:
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) > 100
    only = os.environ.get("SAM_FUZZ_ONLY")  # e.g. "/qbrs/": while working on one part of the API
    return [operation for operation in found if only in operation.label] if only else found


def report(operation: Any, run: dict[str, Any], exc: BaseException, tracebacks: list[str]) -> str:
    """One failing operation: the first lines of what schemathesis says, and the server's traceback if any."""
    text = str(exc) if not isinstance(exc, BaseExceptionGroup) else exc.message or str(exc.exceptions[0])
    lines = "\n".join(line[:300] for line in text.splitlines()[:40])
    server = tracebacks[-1].splitlines()[-12:] if tracebacks else []
    tracebacks.clear()
    return f"{operation.label} {run}:\n{lines}" + ("\n  server: " + "\n  ".join(server) if server else "")


def test_every_operation_answers_as_documented(schema, app, worlds, tracebacks):
    """Valid and invalid requests, random ids and B's own ids: no 5xx, only documented answers, nothing of A."""
    leak = no_other_tenant_data(worlds["a"])
    failures: list[str] = []
    for operation in operations(schema):
        runs: list[dict[str, Any]] = [
            {"mode": GenerationMode.POSITIVE},
            {"mode": GenerationMode.NEGATIVE, "checks": [*CHECKS, rejects_invalid_data]},
        ]
        own = ids_of(operation, worlds["b"]) if operation.path_parameters else None
        if own:
            runs.append({"mode": GenerationMode.POSITIVE, "path_parameters": own})
        for run in runs:
            try:
                run_examples(operation, app, worlds["headers"], run.pop("checks", CHECKS), [leak], **run)
            except (Exception, BaseExceptionGroup) as exc:  # every operation is tried; all failures reported together
                failures.append(report(operation, run, exc, tracebacks))
    assert not failures, f"{len(failures)} failing:\n\n" + "\n\n".join(failures)


def test_other_tenants_ids_are_404(schema, app, worlds, tracebacks):
    """A's ids in the address, with valid bodies: 404 on every operation that takes an id."""
    leak = no_other_tenant_data(worlds["a"])
    failures: list[str] = []
    checked = 0
    for operation in operations(schema):
        if not operation.path_parameters:
            continue
        theirs = ids_of(operation, worlds["a"])
        assert theirs, f"{operation.label}: no object of A for its path (tests/sweep.py MAKERS)"
        try:
            run_examples(
                operation,
                app,
                worlds["headers"],
                CHECKS,
                [leak],
                path_parameters=theirs,
                examples=A_IDS_EXAMPLES,
                expect=404,
            )
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(report(operation, {"path_parameters": theirs}, exc, tracebacks))
        checked += 1
    assert checked > 50
    assert not failures, f"{len(failures)} failing:\n\n" + "\n\n".join(failures)


def test_the_leak_check_sees_a_leak():
    """The check itself: A's marker anywhere, or A's row by id in a list or a detail of its model, fails."""
    from types import SimpleNamespace

    from accounts.models import Account

    check = no_other_tenant_data({Account: SimpleNamespace(pk=41)})
    listing = SimpleNamespace(operation=SimpleNamespace(path="/api/v1/accounts/", label="GET /api/v1/accounts/"))
    detail = SimpleNamespace(operation=SimpleNamespace(path="/api/v1/accounts/{id}/", label="GET /api/v1/accounts/1/"))
    detail.operation.path_parameters = [SimpleNamespace(name="id")]

    def answer(body: Any) -> Any:
        text = json.dumps(body).encode()
        return SimpleNamespace(content=text, status_code=200, headers={"Content-Type": ["application/json"]})

    check(None, answer({"results": [{"id": 42, "name": "ours"}]}), listing)
    check(None, answer({"id": 42, "owner": 41}), detail)  # 41 of another model: not A's account
    for case, body in (
        (listing, {"results": [{"id": 41}]}),
        (detail, {"id": 41}),
        (listing, {"results": [{"id": 42, "notes": f"{sweep.MARKER} notes"}]}),
    ):
        with pytest.raises(AssertionError):
            check(None, answer(body), case)


def body_models(a_objects: dict[type[models.Model], models.Model]) -> dict[str, type[models.Model]]:
    """A body field's name to the model whose id it carries: "account" to Account, "contact_ids" to Contact."""
    found: dict[str, type[models.Model]] = {}
    for model in a_objects:
        name = model._meta.model_name or ""
        for field in (name, f"{name}_id", f"{name}s", f"{name}_ids"):
            found[field] = model
    return found


def test_other_tenants_ids_in_bodies_are_refused(schema, app, worlds, tenant_a, tenant_b, tracebacks):
    """A's ids in a write's body where B's own id is accepted: refused (400 or 404), nothing of A shown.

    For each body field that carries a row's id (or a list of them), a generated request is sent first with B's
    own id; where B's request succeeds, the same request with A's id must not (and is rolled back either way).
    The people fields (owner, user, member) get a user of A who is not in B."""
    leak = no_other_tenant_data(worlds["a"])
    fields = body_models(worlds["a"])
    people = ("owner", "user", "user_id", "member", "assignee", "lead", "contact_owner")
    a_user = tenant_a.memberships[Role.ADMIN].user
    b_user = tenant_b.memberships[Role.ADMIN].user
    proven: set[str] = set()
    failures: list[str] = []

    def check(operation: Any, own: dict[str, int] | None) -> None:
        @settings(max_examples=6, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])  # fmt: skip
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=own))
        def example(case: Any) -> None:
            if not isinstance(case.body, dict):
                return
            ids: dict[str, tuple[Any, Any]] = {}  # field -> (B's id, A's id), as one or as a list like generated
            for name, value in case.body.items():
                values = value if isinstance(value, list) else [value]
                if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                    continue  # an id is a whole number: "question" is a text, not the Question model
                if name in people:
                    ours, theirs = b_user.pk, a_user.pk
                elif name in fields and worlds["a"].get(fields[name]) is not None and worlds["b"].get(fields[name]):
                    ours, theirs = worlds["b"][fields[name]].pk, worlds["a"][fields[name]].pk
                else:
                    continue
                ids[name] = ([ours], [theirs]) if isinstance(value, list) else (ours, theirs)
            if not ids:
                return
            case.body.update({name: ours for name, (ours, _) in ids.items()})  # every id B's own
            with rolled_back():
                if case.call(app=app, headers=worlds["headers"]).status_code >= 300:
                    return  # the rest of this request is refused anyway: it proves nothing
            for name, (ours, theirs) in ids.items():  # one id at a time A's
                case.body[name] = theirs
                with rolled_back():
                    response = case.call(app=app, headers=worlds["headers"])
                    assert response.status_code in (400, 404), (
                        f"{operation.label} with A's {name}={theirs} -> {response.status_code}: "
                        f"{response.content[:300]!r}"
                    )
                    leak(None, response, case)
                case.body[name] = ours
                proven.add(f"{operation.label} {name}")

        example()

    for operation in operations(schema):
        if operation.method.upper() not in ("POST", "PUT", "PATCH"):
            continue
        own = ids_of(operation, worlds["b"]) if operation.path_parameters else None
        if operation.path_parameters and not own:
            continue

        try:
            check(operation, own)
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(report(operation, {"body": "A's ids"}, exc, tracebacks))
    assert not failures, f"{len(failures)} failing:\n\n" + "\n\n".join(failures)
    assert len(proven) >= 30, f"only {sorted(proven)} could be checked"
