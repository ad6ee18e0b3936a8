"""In a real browser: log in, see the tenant's navigation, switch tenant, log out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sam.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_login_navigation_switch_logout(demo, live_server, page, artifacts):
    base = live_server.url

    page.goto(base + "/")
    assert "/auth/login/" in page.url
    page.get_by_label("Email").fill("pat@partner.example")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    # The refusal is a new page: wait for it rather than look at the old one.
    expect(page.locator("#login-error")).to_be_visible()

    page.get_by_label("Email").fill("pat@partner.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Two workspaces and no last one yet: the switcher page.
    page.wait_for_url(re.compile(r"/tenants/$"))
    page.get_by_test_id("workspace-northwind").click()
    page.wait_for_url(re.compile(r"/t/northwind/$"))

    nav = page.get_by_role("navigation", name="Main")
    for label in ("Dashboard", "Accounts", "Scorecards", "QBRs", "Assessments", "Surveys"):
        assert nav.get_by_text(label, exact=True).is_visible()
    assert page.get_by_role("heading", name="Northwind Managed Services").is_visible()
    page.screenshot(path=str(artifacts / "foundation-logged-in.png"), full_page=True)

    # Switch tenant through the top-bar switcher.
    page.get_by_test_id("tenant-switcher").click()
    page.get_by_role("link", name=re.compile("Contoso Industrial")).click()
    page.wait_for_url(re.compile(r"/t/contoso/$"))
    assert page.get_by_role("heading", name="Contoso Industrial").is_visible()
    assert "Viewer" in page.content()

    # A phone-sized screen still shows the page and a menu button.
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.get_by_role("button", name="Show navigation").is_visible()
    page.screenshot(path=str(artifacts / "foundation-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})

    # Next login lands on the last used workspace; first log out.
    page.get_by_role("button", name="Your account menu").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/auth/login/"))
    page.goto(base + "/t/contoso/")
    assert "/auth/login/" in page.url

    page.get_by_label("Email").fill("pat@partner.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/contoso/$"))


def test_admin_sees_admin_section_and_keyboard_skip_link(demo, live_server, page):
    page.goto(live_server.url + "/auth/login/")
    page.get_by_label("Email").fill("admin@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/t/northwind/$"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.wait_for_url(re.compile(r"/admin/members/$"))
    assert page.get_by_role("heading", name="Members and roles").is_visible()

    # Changing a role updates the row in place (htmx), without a page load.
    page.evaluate("window.__same_page = true")
    page.get_by_label("Role of viewer@northwind.example").select_option("executive")
    row = page.locator("tr", has=page.get_by_label("Role of viewer@northwind.example"))
    row.get_by_role("button", name="Save").click()
    row.get_by_role("status").wait_for()
    assert page.evaluate("window.__same_page") is True
    page.reload()
    assert page.get_by_label("Role of viewer@northwind.example").input_value() == "executive"

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
