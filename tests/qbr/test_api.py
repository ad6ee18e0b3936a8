"""QBR API: cadences, QBRs, agenda items with minutes, participants; bad input and other tenants refused."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Contact
from qbr import services
from qbr.models import AgendaItem, Cadence, Qbr
from sam.roles import Role
from sam.services import token_create
from tests.accounts.conftest import make_account
from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db


def api(world, role=Role.ACCOUNT_MANAGER):
    with world.ctx():
        _, token = token_create(membership=world.memberships[role], name="t", expires_in_days=None)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


def patch(client, path, data):
    return client.patch(path, data, content_type="application/json")


def test_a_qbr_through_the_api(tenant_a, tenant_b, account_a):
    with tenant_a.ctx():
        services.qbrs_schedule()
        qbr = Qbr.objects.filter(account=account_a).order_by("period_start").first()
        economic = Contact.objects.create(account=account_a, name="Erin", buyer_role="economic")
    client = api(tenant_a)
    listed = client.get(f"/api/v1/qbrs/?account={account_a.pk}").json()["results"]
    assert len(listed) == 2 and len(listed[0]["milestones"]) == 4
    assert post(client, "/api/v1/qbrs/", {"account": account_a.pk}).status_code == 405
    from datetime import timedelta

    from django.utils import timezone

    day = max(qbr.period_start, timezone.localdate() - timedelta(days=1))
    when = f"{day.isoformat()}T00:30:00+00:00"  # the meeting took place
    moved = patch(client, f"/api/v1/qbrs/{qbr.pk}/", {"scheduled_at": "2001-01-01T10:00:00Z", "timezone": "UTC"})
    assert moved.status_code == 400 and "confirm" in str(moved.json())
    ok = patch(client, f"/api/v1/qbrs/{qbr.pk}/", {"scheduled_at": when, "timezone": "Europe/Paris",
                                                    "location": "Room 1", "confirm": True})  # fmt: skip
    assert ok.status_code == 200 and ok.json()["location"] == "Room 1"
    assert post(client, f"/api/v1/qbrs/{qbr.pk}/agenda-status/", {"status": "agreed"}).status_code == 400
    item = post(client, "/api/v1/agenda-items/", {"qbr": qbr.pk, "title": "Roadmap", "minutes": 20})
    assert item.status_code == 201, item.content
    assert post(client, "/api/v1/agenda-items/", {"qbr": qbr.pk, "title": "", "minutes": 20}).status_code == 400
    assert post(client, "/api/v1/agenda-items/", {"qbr": qbr.pk, "title": "x", "minutes": "lots"}).status_code == 400
    assert post(client, "/api/v1/participants/", {"qbr": qbr.pk, "contact": economic.pk}).status_code == 201
    bravo = make_account(tenant_b, "Bravo Co")
    with tenant_b.ctx():
        stranger = Contact.objects.create(account=bravo, name="Stranger", buyer_role="usage")
    assert post(client, "/api/v1/participants/", {"qbr": qbr.pk, "contact": stranger.pk}).status_code == 400
    assert post(client, "/api/v1/participants/", {"qbr": qbr.pk, "user": tenant_b.admin.pk}).status_code == 400
    agreed = post(client, f"/api/v1/qbrs/{qbr.pk}/agenda-status/", {"status": "agreed"})
    assert agreed.status_code == 200 and agreed.json()["status"] == "agenda_agreed"
    minutes = patch(client, f"/api/v1/agenda-items/{item.json()['id']}/", {"notes": "Roadmap shared"})
    assert minutes.status_code == 200 and minutes.json()["notes"] == "Roadmap shared"
    assert post(client, f"/api/v1/qbrs/{qbr.pk}/held/", {"no_minutes_reason": ["a", "b"]}).status_code == 400
    held = post(client, f"/api/v1/qbrs/{qbr.pk}/held/", {})
    assert held.status_code == 200 and held.json()["status"] == "held"
    after = post(client, "/api/v1/agenda-items/", {"qbr": qbr.pk, "title": "Too late", "minutes": 5})
    assert after.status_code == 400
    with tenant_a.ctx():
        assert AgendaItem.objects.filter(qbr=qbr).count() == 1
    other = api(tenant_b)
    assert other.get(f"/api/v1/qbrs/{qbr.pk}/").status_code == 404
    assert patch(other, f"/api/v1/qbrs/{qbr.pk}/", {"location": "x"}).status_code == 404


def test_cadences_and_permissions(tenant_a, account_a):
    client = api(tenant_a, Role.ACCOUNT_MANAGER)
    no_reason = post(client, "/api/v1/cadences/", {"account": account_a.pk, "paused_until": "2027-03-01"})
    assert no_reason.status_code == 400 and "pause_reason" in no_reason.json()
    made = post(client, "/api/v1/cadences/", {"account": account_a.pk, "interval_months": 1})
    assert made.status_code == 201
    assert post(client, "/api/v1/cadences/", {"account": account_a.pk, "interval_months": 3}).status_code == 400
    assert post(client, "/api/v1/cadences/", {"account": account_a.pk, "interval_months": 5}).status_code == 400
    with tenant_a.ctx():
        assert Cadence.objects.get().interval_months == 1
        services.qbrs_schedule()
        qbr = Qbr.objects.first()
    viewer = api(tenant_a, Role.VIEWER)
    assert viewer.get("/api/v1/qbrs/").status_code == 200
    assert patch(viewer, f"/api/v1/qbrs/{qbr.pk}/", {"location": "x"}).status_code == 403
    assert post(viewer, f"/api/v1/qbrs/{qbr.pk}/cancel/", {"reason": "no"}).status_code == 403


def test_api_cadence_checks_match_the_page_and_bad_minutes_leave_no_item(tenant_a, account_a):
    client = api(tenant_a)
    past = post(client, "/api/v1/cadences/", {"account": account_a.pk, "paused_until": "2020-01-01",
                                              "pause_reason": "old"})  # fmt: skip
    assert past.status_code == 400 and "paused_until" in past.json()
    with tenant_a.ctx():
        services.qbrs_schedule()
        qbr = Qbr.objects.order_by("period_start").first()
    too_long = post(client, "/api/v1/agenda-items/", {"qbr": qbr.pk, "title": "Roadmap", "notes": "x" * 20001})
    assert too_long.status_code == 400
    assert post(client, "/api/v1/agenda-items/", {"qbr": qbr.pk, "title": "Zero", "minutes": 0}).status_code == 400
    with tenant_a.ctx():
        assert not AgendaItem.objects.exists()


def test_api_agenda_from_template_reorder_attendance_and_actions(tenant_a, account_a):
    with tenant_a.ctx():
        services.qbrs_schedule()
        qbr = Qbr.objects.order_by("period_start").first()
        erin = Contact.objects.create(account=account_a, name="Erin", buyer_role="economic")
    client = api(tenant_a)
    assert post(client, f"/api/v1/qbrs/{qbr.pk}/agenda-from-template/", {"template": 999999}).status_code == 400
    started = post(client, f"/api/v1/qbrs/{qbr.pk}/agenda-from-template/", {})
    assert started.status_code == 200
    items = client.get(f"/api/v1/agenda-items/?qbr={qbr.pk}").json()["results"]
    assert len(items) == len(services.DEFAULT_AGENDA)
    moved = post(client, f"/api/v1/agenda-items/{items[1]['id']}/move/", {"direction": "up"})
    assert moved.status_code == 200 and moved.json()["order"] == 0
    assert post(client, f"/api/v1/agenda-items/{items[1]['id']}/move/", {"direction": "sideways"}).status_code == 400
    person = post(client, "/api/v1/participants/", {"qbr": qbr.pk, "contact": erin.pk}).json()
    attended = patch(client, f"/api/v1/participants/{person['id']}/", {"attended": True})
    assert attended.status_code == 200 and attended.json()["attended"] is True
    assert patch(client, f"/api/v1/participants/{person['id']}/", {"user": 1}).status_code == 400
    made = post(client, f"/api/v1/qbrs/{qbr.pk}/actions/", {"title": "Send the plan", "due": "2030-01-01"})
    assert made.status_code == 201 and made.json()["source_kind"] == "qbr"
    assert post(client, f"/api/v1/qbrs/{qbr.pk}/actions/", {"title": ""}).status_code == 400
    assert post(client, f"/api/v1/qbrs/{qbr.pk}/actions/", {"title": "x", "due": "soon"}).status_code == 400
    register = client.get(f"/api/v1/action-items/?account={account_a.pk}").json()["results"]
    assert any(a["title"] == "Send the plan" for a in register)


def test_the_schema_offers_no_qbr_create_nor_put(db):
    """POST /qbrs/ and PUT /qbrs/{id}/ answer 405 with the way to do it: they are not documented as operations."""
    import yaml

    paths = yaml.safe_load(signed_in_client().get("/api/v1/schema/").content)["paths"]
    assert set(paths["/api/v1/qbrs/"]) - {"parameters"} == {"get"}
    assert set(paths["/api/v1/qbrs/{id}/"]) - {"parameters"} == {"get", "patch"}
    assert "put" in paths["/api/v1/qbrs/{id}/preparation/"]
