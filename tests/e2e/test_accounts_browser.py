"""In a real browser: create an account, add two team roles and a contact, add an action, see it in My actions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sam.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_account_team_contact_action_my_actions(demo, live_server, page, artifacts):
    base = live_server.url
    page.goto(base + "/auth/login/")
    page.get_by_label("Email").fill("am@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/northwind/$"))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    page.wait_for_url(re.compile(r"/accounts/$"))
    assert page.get_by_role("link", name="Umbrella Health").is_visible()
    page.screenshot(path=str(artifacts / "accounts-portfolio.png"), full_page=True)

    # Search narrows the list without a page load (htmx).
    page.evaluate("window.__same_page = true")
    page.get_by_label("Search", exact=True).fill("umbrel")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    assert page.evaluate("window.__same_page") is True

    page.get_by_role("link", name="New account").click()
    page.get_by_label("Name").fill("Vandelay Industries")
    page.get_by_label("Industry").fill("Import/export")
    page.get_by_label("Tier").select_option(label="Strategic")
    page.get_by_label("Annual revenue").fill("4200000")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/accounts/\d+/$"))
    assert page.get_by_role("heading", name="Vandelay Industries").is_visible()

    # Two team roles.
    open_tab(page, "Team", page.get_by_role("heading", name="Assign a role"))
    for person, role in (("Tom Teammate", "Customer Service Manager"), ("Evan Executive", "Executive Partner")):
        page.get_by_label("Person").select_option(label=_label(page, person))
        page.get_by_label("Role", exact=True).select_option(label=role)
        page.get_by_role("button", name="Assign").click()
        page.get_by_text("Team updated.").wait_for()
    assert page.get_by_role("button", name="Remove Tom Teammate as Customer Service Manager").is_visible()

    # A contact.
    open_tab(page, "Contacts", page.get_by_role("heading", name="Stakeholder map"))
    page.get_by_text("Add a contact").click()
    page.get_by_label("Name").fill("Art Vandelay")
    page.get_by_label("Email").fill("art@vandelay.example")
    page.get_by_label("Buyer role").select_option(label="Economic buyer")
    page.get_by_role("button", name="Add contact").click()
    page.get_by_text("Contact added.").wait_for()
    assert page.get_by_role("cell", name="art@vandelay.example").is_visible()

    # An action for me, in the running register.
    open_tab(page, "Actions", page.get_by_role("heading", name="Running action register"))
    page.get_by_text("Add an action").click()
    page.get_by_label("Title").fill("Send the latex pricing proposal")
    page.get_by_label("Owner").select_option(label=_label(page, "Maria Manager"))
    page.get_by_label("Due").fill("2027-01-15")
    page.get_by_role("button", name="Add to the register").click()
    page.get_by_text("Action added to the register.").wait_for()
    page.screenshot(path=str(artifacts / "accounts-detail-actions.png"), full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My actions").click()
    page.wait_for_url(re.compile(r"/my-actions/$"))
    row = page.get_by_role("row", name=re.compile("Send the latex pricing proposal"))
    assert row.get_by_role("link", name="Vandelay Industries").is_visible()
    page.screenshot(path=str(artifacts / "accounts-my-actions.png"), full_page=True)


def open_tab(page, name: str, marker) -> None:
    """Click an account tab (an htmx swap) and wait for its content; a click that lands during the
    previous swap is lost, so try again."""
    for _ in range(3):
        page.get_by_role("tab", name=name).click()
        try:
            marker.wait_for(timeout=5_000)
            return
        except Exception:
            continue
    marker.wait_for()


def _label(page, name: str) -> str:
    """The option label of a member in a select (name and email)."""
    return page.locator("option", has_text=name).first.inner_text()
