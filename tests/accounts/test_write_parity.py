"""Pages and the API decide a write the same way: the service decides (accounts.services.*_change). Every
field-level write is driven through its page and through the API as every role, from the same starting row, and
must end the same way: the same fields changed, or nothing changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django import forms
from django.db import models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Deliverable
from sam.roles import Role
from sam.services import token_create

pytestmark = pytest.mark.django_db
JSON = "application/json"


@dataclass
class Write:
    """One change of one row: the page that makes it, the API path, and the fields it changes."""

    label: str
    row: models.Model
    page: str
    api: str
    changes: dict[str, Any]


def page_data(client: Client, path: str, changes: dict[str, Any]) -> dict[str, Any]:
    """What the page's form sends as a browser would (every field as shown, files aside), with the changes made."""
    form = client.get(path).context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.FileField):
            continue
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else value
    for name, value in changes.items():
        data[name] = value.pk if isinstance(value, models.Model) else value
    return data


def api_body(changes: dict[str, Any]) -> str:
    return json.dumps({k: v.pk if isinstance(v, models.Model) else v for k, v in changes.items()})


def state(world, row: models.Model, fields: list[str]) -> dict[str, Any]:
    with world.ctx():
        fresh = type(row).objects.get(pk=row.pk)
        return {f: getattr(fresh, type(row)._meta.get_field(f).attname) for f in fields}


def attempt(world, row, fields, send, path: str, **kwargs: Any) -> dict[str, Any]:
    """The row's fields after the request, with everything the request wrote undone afterwards."""
    with transaction.atomic():
        send(path, **kwargs)
        after = state(world, row, fields)
        transaction.set_rollback(True)
    return after


@pytest.fixture
def writes(tenant_a, account_a) -> list[Write]:
    member, executive = tenant_a.users[Role.MEMBER], tenant_a.users[Role.EXECUTIVE]
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=member.pk, role="technical_lead")
        services.team_assign(account=account_a, user_id=executive.pk, role="executive_partner")
        deliverable = Deliverable.objects.get(account=account_a, role="technical_lead")
        item, _ = services.action_item_add(
            account=account_a, title="Call back", owner=executive, acting_user=tenant_a.admin
        )
    slug, a = "alpha", account_a.pk
    on_deliverable = reverse("deliverable_edit", args=[slug, a, deliverable.pk])
    on_item = reverse("action_edit", args=[slug, a, item.pk])
    today = timezone.localdate().isoformat()
    return [
        Write("deliverable: reassign", deliverable, on_deliverable, f"/api/v1/deliverables/{deliverable.pk}/",
              {"owner": tenant_a.users[Role.VIEWER]}),
        Write("deliverable: status and review", deliverable, on_deliverable, f"/api/v1/deliverables/{deliverable.pk}/",
              {"status": "current", "last_reviewed": today}),
        Write("action: reassign", item, on_item, f"/api/v1/action-items/{item.pk}/", {"owner": member}),
        Write("action: rename", item, on_item, f"/api/v1/action-items/{item.pk}/", {"title": "Call back today"}),
        Write("action: progress", item, on_item, f"/api/v1/action-items/{item.pk}/",
              {"status": "in_progress", "detail": "Booked"}),
    ]  # fmt: skip


def test_every_role_gets_the_same_outcome_from_the_page_and_the_api(tenant_a, writes, client_for):
    changed: set[tuple[str, str]] = set()
    different = []
    for role in Role:
        page = client_for(tenant_a.users[role])
        with tenant_a.ctx():
            _, token = token_create(membership=tenant_a.memberships[role], name="parity", expires_in_days=None)
        api = Client(HTTP_AUTHORIZATION=f"Token {token}")
        for write in writes:
            fields = list(write.changes)
            before = state(tenant_a, write.row, fields)
            shown = page.get(write.page).status_code
            assert shown in (200, 403), (role, write.label, shown)
            data = page_data(page, write.page, write.changes) if shown == 200 else {}
            by_page = attempt(tenant_a, write.row, fields, page.post, write.page, data=data)
            body = api_body(write.changes)
            by_api = attempt(tenant_a, write.row, fields, api.patch, write.api, data=body, content_type=JSON)
            assert state(tenant_a, write.row, fields) == before
            if by_page != by_api:
                different.append(f"{role.value} {write.label}: page {by_page}, API {by_api} (before {before})")
            if by_page != before:
                changed.add((role.value, write.label))
    assert not different, "the page and the API disagree:\n" + "\n".join(different)
    # The rules (accounts.permissions), each seen at least once: the account's owner and admins change it all; a
    # member changes the deliverable of the role they hold but does not reassign it; the executive moves on the
    # action assigned to them and nothing else of it; a viewer changes nothing.
    assert {("admin", "deliverable: reassign"), ("account_manager", "deliverable: reassign")} <= changed
    assert ("member", "deliverable: status and review") in changed
    assert ("member", "deliverable: reassign") not in changed
    assert ("executive", "action: progress") in changed and ("executive", "action: rename") not in changed
    assert not {key for key in changed if key[0] == "viewer"}
