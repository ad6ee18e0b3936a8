"""In a real browser, as the account's Technical Lead: request a change in the customer's prime hours, see it
flagged, approve it, and find it on the account's Changes & decisions tab; an emergency change stands out."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sam.demo import DEMO_PASSWORD
from tests.e2e.test_accounts_browser import open_tab

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_technical_lead_requests_and_approves_a_change(demo, live_server, page, artifacts):
    base = live_server.url
    page.goto(base + "/auth/login/")
    page.get_by_label("Email").fill("member@northwind.example")  # Globex Logistics' Technical Lead
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/northwind/$"))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Globex Logistics").click()
    page.wait_for_url(re.compile(r"/accounts/\d+/$"))
    open_tab(page, "Changes & decisions", page.get_by_role("heading", name="Configuration changes"))
    # the demo's change waits for this Technical Lead, its customer approval asked of the Head of IT
    expect(page.get_by_role("link", name="Move the warehouse integration to the new message broker")).to_be_visible()
    page.screenshot(path=str(artifacts / "governance-tab.png"), full_page=True)

    page.get_by_role("link", name="Request a change").click()
    page.get_by_role("heading", name="Request a change").wait_for()
    day = timezone.localdate() + timedelta(days=7)
    while day.weekday() != 1:  # a Tuesday morning: the customer's prime hours
        day += timedelta(days=1)
    page.get_by_label("What changes").fill("Patch the VPN concentrators")
    page.get_by_label("Why").fill("Vendor security advisory")
    page.get_by_label("Risk", exact=True).select_option(label="High")
    page.get_by_label("Window starts").fill(f"{day.isoformat()}T09:00")
    page.get_by_label("Window ends").fill(f"{day.isoformat()}T08:00")
    page.get_by_label("How it is undone (rollback)").fill("Reinstall the previous image")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The window must end after it starts.", exact=True)).to_be_visible()  # nothing saved
    page.get_by_label("Window ends").fill(f"{day.isoformat()}T10:00")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/changes/\d+/$"))
    expect(page.get_by_text("The window touches the customer's prime hours.")).to_be_visible()
    expect(page.get_by_role("heading", name="Approve or reject")).to_be_visible()
    page.screenshot(path=str(artifacts / "governance-change-requested.png"), full_page=True)

    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_text("Change approved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Approve or reject")).to_have_count(0)
    page.screenshot(path=str(artifacts / "governance-change-approved.png"), full_page=True)

    page.get_by_role("link", name="Back to the account's changes and decisions").click()
    row = page.get_by_role("row").filter(has_text="Patch the VPN concentrators")
    expect(row.get_by_text("Approved")).to_be_visible()
    expect(row.get_by_text("In prime hours")).to_be_visible()


def test_umbrellas_emergency_change_and_escalation_stand_out(demo, live_server, page, artifacts):
    page.goto(live_server.url + "/auth/login/")
    page.get_by_label("Email").fill("exec@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/northwind/$"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Umbrella Health").click()
    expect(page.get_by_role("link", name="The CFO declined the upgrade that would end the outages")).to_be_visible()
    open_tab(page, "Changes & decisions", page.get_by_role("heading", name="Configuration changes"))
    row = page.get_by_role("row").filter(has_text="Restarted the portal cluster during business hours")
    expect(row.get_by_text("Emergency")).to_be_visible()
    expect(
        page.get_by_role("row").filter(has_text="Approve the portal cluster upgrade").get_by_text("Declined")
    ).to_be_visible()
    page.screenshot(path=str(artifacts / "governance-emergency.png"), full_page=True)
