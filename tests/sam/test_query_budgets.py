"""Query budgets: every GET page of a workspace and every GET endpoint of the API that lists, counted with 10 and
with 100 rows of what it shows; a count that grows with the rows fails.

The routes come from the URL resolver (tests/sweep.py, like the isolation sweep), their ids from the sweep's
makers, so a new page or endpoint is measured without editing this file. What grows is every kind of row the
routes show (tests/growth.py): the workspace's lists and the children of the objects the routes are asked about.
A page whose body does not grow with the rows shows none of them: it is either listed in CONSTANT with the
reason, or the growth is missing something and the test says which route. The counts are written to
test-artifacts/query-budgets-<group>.txt; a count that grows is shown with the statements it repeats.

The workspace is the shared fixture's tenant A with the sweep's objects and tests/growth.py's rows rather than the
seeded demo: the growth makes every kind of row the demo has, at both sizes, in about a second, where seeding the
demo takes longer than this whole file may.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import accounts.models as acc
import scorecards.models as sc
import voc.models as vc
from sam.models import ApiToken, Document, Membership, User
from sam.roles import Role
from sam.services import token_create
from sam.tenancy.context import tenant_context
from tests.growth import grow
from tests.sweep import MAKERS, PLAIN_KWARGS, Route, all_routes

SIZES = (10, 100)
# A page shows the added rows if its body grows by this much from 10 to 100 rows (10 bytes a row).
GROWN_BYTES = 900
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# GET routes that show none of the rows that grow (route name -> why). Their counts are compared all the same.
# Pages of a fixed length whatever the rows (the newest changes, 50 a page): as long at 10 rows as at 100, or longer
# when the newest changes happen to name longer values. Their counts are compared; their size is not judged.
FIXED_LENGTH: dict[tuple[str, str], str] = {
    ("account_detail", "tab=history"): "the account's newest 50 recorded changes",
    ("audit", ""): "the workspace's newest 50 recorded changes",
}
CONSTANT: dict[str, str] = {
    # One object, or a form for one: nothing in it is a list.
    "account_delete": "the confirmation of one account's deletion",
    "contract_edit": "one contract's form",
    "contract_delete": "one contract's confirmation",
    "contact_delete": "one contact's confirmation",
    "contact_erase": "one contact's privacy request confirmation",
    "workspace_data": "the workspace's exports, none of the rows that grow",
    "incident_delete": "one incident's confirmation",
    "goal_edit": "one goal's form",
    "goal_delete": "one goal's confirmation",
    "objective_edit": "one objective's form",
    "objective_delete": "one objective's confirmation",
    "playbook_create": "an empty playbook's form",
    "import_upload": "the upload form",
    "plan_version": "one saved version of the plan (a snapshot taken when it was reviewed)",
    "change_detail": "one change request",
    "decision_detail": "one decision",
    "escalation_detail": "one escalation",
    "scorecard_metric_add": "an empty metric's form",
    "scorecard_metric_edit": "one metric's form",
    "scorecard_template": "one template version's metrics: the default template's, a fixed set",
    "joint_scorecard": "one scorecard of one period",
    "account_scorecard": "one scorecard of one period",
    "scorecard_trends": "the last eight periods, whatever the number of periods",
    "qbr_program": "the workspace's QBR settings",
    "assessment_program": "the workspace's assessment settings",
    "fourrs_result": "one self-assessment result",
    "document_status": "one document's status",
    "search": "at most a few results of each kind",
    "qbr-preparation": "one QBR's preparation: four fixed topics",
    "survey-campaign-results": "a campaign's figures, computed over its answers",
    "me": "the signed-in member",
    "api-root": "the list of endpoints",
    # Files.
    "document_download": "a file",
    "document_preview": "a file",
    "deliverable_file": "a file",
    "deliverable-file": "a file",
    "survey-account-report-pdf": "a file",
}


@dataclass(frozen=True)
class Target:
    """One GET request measured: a route with its ids, and for pages with several views of it, the query."""

    route: Route
    label: str
    path: str


def variants(route: Route) -> list[str]:
    """The views of a page that show different rows: an account's and an assessment's tabs."""
    if route.name == "account_detail":
        from accounts.views import _tabs

        return [f"tab={key}" for key, _ in _tabs()]
    if route.name == "assessment_detail":
        from assessments.views import TABS

        return [f"tab={key}" for key, _ in TABS]
    if route.name == "search":
        return ["q=budget"]
    if route.is_api:
        return ["page_size=200"]
    return [""]


def sections(route: Route) -> list[dict[str, str]]:
    if route.name == "dashboard_section":
        from dashboard.views import SECTIONS

        return [{"section": key} for key in SECTIONS]
    return [{}]


def measured_routes() -> list[Route]:
    """Every page of a workspace and every endpoint of the API (one of each name: not the format suffixes)."""
    seen: set[str] = set()
    routes = []
    for route in all_routes():
        if route.is_public or route.is_portal or not (route.is_tenant or route.is_api) or route.name in seen:
            continue
        if route.is_api and ("format" in route.kwargs or _retrieves_one(route)):
            continue
        seen.add(route.name)
        routes.append(route)
    return routes


def _retrieves_one(route: Route) -> bool:
    """An API route whose GET shows one row: nothing in it can grow."""
    actions = getattr(route.callback, "actions", None) or {}
    return actions.get("get") == "retrieve"


def group_of(route: Route) -> str:
    """The routes measured together, on one workspace (one test each, so that the workers share them out)."""
    if route.is_api:
        return "api"
    app = route.callback.__module__.split(".")[0]
    return app if app in ("accounts", "assessments") else "features"


GROUPS = ("accounts", "assessments", "features", "api")


def targets(group: str, tenant_slug: str, objects: dict[type[models.Model], Any]) -> list[Target]:
    found = []
    for route in measured_routes():
        if group_of(route) != group:
            continue
        for extra in sections(route):
            kwargs: dict[str, Any] = {}
            for kwarg in route.kwargs:
                if kwarg == "tenant_slug":
                    kwargs[kwarg] = tenant_slug
                elif kwarg in extra:
                    kwargs[kwarg] = extra[kwarg]
                elif kwarg in PLAIN_KWARGS:
                    kwargs[kwarg] = PLAIN_KWARGS[kwarg]
                else:
                    model = route.model_for(kwarg)
                    assert model is not None, f"{route.route}: unknown id {kwarg} (tests/sweep.py)"
                    kwargs[kwarg] = objects[model].pk
            path = reverse(route.name, kwargs=kwargs)
            label = route.name + "".join(f" {v}" for v in extra.values())
            for query in variants(route):
                found.append(
                    Target(route, label + (f" ?{query}" if query else ""), path + (f"?{query}" if query else ""))
                )
    return found


def budget_objects(admin: User) -> dict[type[models.Model], Any]:
    """The sweep's objects, with the few a page needs in a state it can show (a template with its version, a
    batch of the admin's own, the admin's token, files to download)."""
    objects = {model: maker() for model, maker in MAKERS.items()}
    card: sc.Scorecard = objects[sc.Scorecard]
    objects[sc.ScorecardTemplate] = card.version.template
    objects[acc.ImportBatch] = acc.ImportBatch.objects.create(kind="accounts", rows=[], created_by=admin)
    objects[ApiToken] = ApiToken.objects.filter(membership__user=admin).order_by("pk").first()
    deliverable: acc.Deliverable = objects[acc.Deliverable]
    deliverable.file.save("plan.pdf", ContentFile(b"%PDF-1.4 plan"), save=True)
    report = Document.objects.create(
        kind=vc.REPORT,
        subject_type="accounts.account",
        subject_id=objects[acc.Account].pk,
        version=1,
        title="Survey report",
        status="ready",
    )
    report.file.save("report.pdf", ContentFile(b"%PDF-1.4 report"), save=True)
    objects[Document] = report
    return objects


@dataclass
class Measure:
    """One GET: its status, its number of queries, the size of its body and its statements by shape."""

    status: int
    queries: int
    size: int
    statements: Counter[str]


def _shape(sql: str) -> str:
    """A statement without its values, so that the same query for another row counts as the same."""
    return re.sub(r"\b\d+\b|'[^']*'", "?", sql)[:300]


def grown_statements(small: Measure, large: Measure) -> str:
    grown = large.statements - small.statements
    return "".join(f"\n    +{n} x {sql}" for sql, n in grown.most_common(3))


WRITES = ("INSERT", "UPDATE", "DELETE")


def measure(client: Client, path: str) -> Measure:
    """A GET with the cache empty, so that the figures are computed, not read back."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
        body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    statements = Counter(_shape(q["sql"]) for q in queries.captured_queries)
    return Measure(response.status_code, len(queries), len(body), statements)


def settled(client: Client, path: str, *, like: Measure | None = None) -> Measure:
    """The count of a visit that reads: a visit that wrote (a first one making lazy rows, storing what it computed
    from rows that changed) or that differs from ``like`` is made once more, and the second one counts."""
    found = measure(client, path)
    wrote = any(sql.startswith(WRITES) for sql in found.statements)
    if wrote or (like is not None and found.queries != like.queries):
        found = measure(client, path)
    return found


@pytest.mark.parametrize("group", GROUPS)
def test_query_counts_do_not_grow_with_the_rows(tenant_a, group):
    tenant = tenant_a.tenant
    admin = tenant_a.admin
    with tenant_context(tenant):
        _, secret = token_create(membership=Membership.objects.get(user=admin), name="budgets", expires_in_days=None)
        objects = budget_objects(admin)
        found = targets(group, tenant.slug, objects)
    page = Client(raise_request_exception=False)
    page.force_login(admin)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {secret}")
    counts: dict[str, list[Measure]] = {t.label: [] for t in found}
    for size in SIZES:
        with tenant_context(tenant):
            grow(size, objects)
        for target in found:
            client = api if target.route.is_api else page
            before = counts[target.label]
            if before and before[0].status == 405:
                before.append(before[0])  # a write only: no GET at any size
                continue
            before.append(settled(client, target.path, like=before[0] if before else None))

    table = [f"{'route':60} {'status':>6} {'q@10':>5} {'q@100':>5} {'bytes@10':>9} {'bytes@100':>9}"]
    problems = []
    for target in found:
        small, large = counts[target.label]
        name = target.route.name
        table.append(
            f"{target.label:60} {large.status:>6} {small.queries:>5} {large.queries:>5} {small.size:>9} {large.size:>9}"
        )
        if large.status == 405 and small.status == 405:
            continue  # a write: never a GET page
        if {small.status, large.status} - {200}:
            problems.append(f"{target.label}: GET answered {small.status} / {large.status}")
            continue
        if large.queries != small.queries:
            problems.append(
                f"{target.label}: {small.queries} queries with 10 rows, {large.queries} with 100"
                + grown_statements(small, large)
            )
        grown = large.size - small.size >= GROWN_BYTES
        if (name, target.path.partition("?")[2]) in FIXED_LENGTH:
            continue
        if not grown and name not in CONSTANT:
            problems.append(
                f"{target.label}: shows none of the added rows (grow them in tests/growth.py, or list it "
                "in CONSTANT with the reason)"
            )
        if grown and name in CONSTANT:
            problems.append(f"{target.label}: listed in CONSTANT but shows the added rows")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"query-budgets-{group}.txt").write_text("\n".join(table) + "\n")
    print("\n".join(table))
    assert not problems, "\n".join(problems)


def test_the_lists_name_routes_that_exist():
    names = {route.name for route in measured_routes()}
    assert set(CONSTANT) - names == set()


# The customer portal: a contact of the account signed in from the emailed link, on every page the portal shows.
PORTAL = {
    "portal_home": {},
    "portal_scorecard": {},
    "portal_actions": {},
    "portal_qbr": {"qbr_id": "qbr"},
    "portal_assessment": {"assessment_id": "assessment"},
}
# Portal pages that show none of the rows that grow, and the portal's routes that are no page to measure.
PORTAL_CONSTANT = {"portal_scorecard": "one scorecard of one period"}
PORTAL_NOT_PAGES = {
    "portal_sign_in": "the sign-in form",
    "portal_link_open": "an emailed link's landing",
    "portal_link_request": "the form asking for a link",
    "portal_sign_out": "signing out",
    "portal_qbr_calendar": "a calendar file of one QBR",
    "portal_agenda_propose": "a write",
    "portal_agenda_comment": "a write",
    "portal_agenda_agree": "a write",
    "portal_document": "a file",
    "portal_action_update": "a write",
    "portal_recommendation": "a write",
    "portal_survey": "a redirect to one survey's answer form",
}


def test_the_portal_pages_query_counts_do_not_grow_with_the_rows(tenant_a):
    import assessments.models as am
    import qbr.models as qm
    from accounts import services as account_services
    from tests.portal.conftest import signed_in

    portal_routes = {r.name for r in all_routes() if r.is_portal}
    assert set(PORTAL) | set(PORTAL_NOT_PAGES) == portal_routes, "a new portal route: measure it or say why not"
    with tenant_context(tenant_a.tenant):
        objects = budget_objects(tenant_a.admin)
        account = objects[acc.Account]
        contact = account_services.contact_save(
            account=account, data={"name": "Budget Customer", "email": "budget@customer.test", "buyer_role": "economic"}
        )
        by_name = {"qbr": objects[qm.Qbr], "assessment": objects[am.Assessment]}
        shared = am.Assessment.objects.filter(pk=by_name["assessment"].pk)
        shared.update(status=am.Assessment.Status.SHARED, shared_on=date(2026, 1, 5))  # the customer sees it
    assert all(o.account_id == account.pk for o in by_name.values())
    client = signed_in(tenant_a, contact, role=Role.ADMIN)
    paths = {name: reverse(name, kwargs={k: by_name[v].pk for k, v in ids.items()}) for name, ids in PORTAL.items()}
    counts: dict[str, list[Measure]] = {name: [] for name in paths}
    for size in SIZES:
        with tenant_context(tenant_a.tenant):
            grow(size, objects)
        for name, path in paths.items():
            before = counts[name]
            before.append(settled(client, path, like=before[0] if before else None))
    problems = []
    for name, (small, large) in counts.items():
        print(f"{name:30} {small.status} {small.queries:>4} {large.queries:>4} {small.size:>8} {large.size:>8}")
        if {small.status, large.status} != {200}:
            problems.append(f"{name}: GET answered {small.status} / {large.status}")
            continue
        if large.queries != small.queries:
            problems.append(
                f"{name}: {small.queries} queries with 10 rows, {large.queries} with 100"
                + grown_statements(small, large)
            )
        grown = large.size - small.size >= GROWN_BYTES
        if grown == (name in PORTAL_CONSTANT):
            said = "is listed in PORTAL_CONSTANT but shows" if grown else "shows none of"
            problems.append(f"{name}: {said} the added rows")
    assert not problems, "\n".join(problems)
