"""In a real browser: plan a QBR, agree the agenda, record minutes with an action item, and see the action
carried into the next QBR. The changes on the page are htmx swaps of one card: the page never reloads."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Account, Contact
from qbr import services
from qbr.models import Qbr
from sam.demo import DEMO_PASSWORD
from sam.models import Tenant
from sam.tenancy.context import tenant_context

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_plan_agree_minutes_and_carry_forward(demo, live_server, page, artifacts):
    tenant = Tenant.objects.get(slug="northwind")
    with tenant_context(tenant):
        account = Account.objects.get(name="Globex Logistics")
        Qbr.objects.filter(account=account).delete()
        services.qbrs_schedule()
        current, following = Qbr.objects.filter(account=account).order_by("period_start")
        contact = Contact.objects.filter(account=account).order_by("name").first()
    page.goto(live_server.url + "/auth/login/")
    page.get_by_label("Email").fill("am@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/northwind/$"))
    page.get_by_role("link", name="QBRs").first.click()
    page.locator("a", has_text="Globex Logistics").first.click()
    expect(page.get_by_role("heading", name=re.compile(f"QBR {current.period_label}"))).to_be_visible()
    page.evaluate("window.sameDocument = true")  # gone if any change below reloaded the page
    page.get_by_label("Place or call link").fill("https://meet.example/globex")
    page.get_by_role("button", name="Save date").click()
    expect(page.get_by_text("Date and place saved")).to_be_visible()
    page.get_by_label(f"Contact of {account.name}").select_option(str(contact.pk))
    page.get_by_role("button", name="Invite").first.click()
    expect(page.get_by_text("The right people?")).to_be_visible()
    page.get_by_role("button", name="Start from this template").click()
    page.get_by_role("button", name="Move Accolades from both sides up").click()
    expect(page.locator("ol.list-group > li").first).to_contain_text("Accolades from both sides")
    page.get_by_role("button", name="Agreed with the customer", exact=True).click()
    expect(page.get_by_text("Agenda: agreed with the customer")).to_be_visible()
    expect(page.locator("#qbr-status")).to_have_text("Agenda agreed")  # the header follows the swapped card
    first = page.locator("ol.list-group > li").first
    first.locator("summary", has_text="Minutes").click()
    first.locator("textarea[name=notes]").fill("Both teams thanked the on-site crew.")
    first.get_by_role("button", name=re.compile("Save minutes")).click()
    expect(page.get_by_text("Minutes saved.")).to_be_visible()
    page.get_by_label("New action").fill("Send the renewal proposal")
    page.get_by_label("Due").fill("2030-01-31")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("link", name="Send the renewal proposal")).to_be_visible()
    page.get_by_label("New item").fill("")
    page.get_by_role("button", name="Add item").click()
    expect(page.locator("#qbr-agenda .invalid-feedback")).to_contain_text("This field is required")
    assert page.evaluate("window.sameDocument") is True
    page.screenshot(path=str(artifacts / "qbr-planning.png"), full_page=True)
    page.get_by_role("button", name="Mark the QBR held").click()
    expect(page.get_by_text("The QBR is held")).to_be_visible()
    page.screenshot(path=str(artifacts / "qbr-held.png"), full_page=True)
    page.goto(f"{live_server.url}/t/northwind/qbrs/{following.pk}/")
    expect(page.get_by_role("link", name="Send the renewal proposal")).to_be_visible()  # carried forward
    page.screenshot(path=str(artifacts / "qbr-next.png"), full_page=True)
