"""In a real browser: an executive filters the portfolio by tier, opens the accounts at risk, reads the reasons,
lands on the account and finds the same reasons there."""

from __future__ import annotations

import re

import pytest

from sam.roles import Role
from tests.dashboard.conftest import world  # noqa: F401  (the hand-made portfolio)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.mark.usefixtures("world")
def test_executive_follows_a_risk_to_the_account(live_server, page, artifacts, tenant_a):
    base = live_server.url
    page.goto(base + "/auth/login/")
    page.get_by_label("Email").fill(tenant_a.users[Role.EXECUTIVE].email)
    page.get_by_label("Password").fill("correct-horse-42")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/alpha/$"))
    assert page.get_by_role("heading", name="Are we keeping our key accounts?").is_visible()
    assert "The whole portfolio" in page.content()

    page.get_by_label("Tier").select_option(label="Strategic")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"tier=\d+"))
    assert "Elm" not in page.get_by_test_id("at-risk-list").inner_text()
    page.screenshot(path=str(artifacts / "dashboard-executive.png"), full_page=True)

    page.get_by_role("link", name=re.compile("Accounts at risk")).click()
    page.wait_for_url(re.compile(r"/portfolio/at-risk/\?.*tier=\d+"))
    listing = page.get_by_test_id("at-risk-list")
    first = listing.locator("li").first
    reasons = [r.strip() for r in first.locator("ul li").all_inner_texts()]
    assert "Health is red (40)" in reasons and "1 detractor in 1 survey answer" in reasons

    first.get_by_role("link", name="Birch").click()
    page.wait_for_url(re.compile(r"/accounts/\d+/$"))
    shown = [r.strip() for r in page.get_by_test_id("account-risk").locator("li").all_inner_texts()]
    assert shown == reasons
    page.screenshot(path=str(artifacts / "dashboard-account-risk.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(base + "/t/alpha/")
    assert page.get_by_role("heading", name="Which accounts are at risk, and why").is_visible()
    page.screenshot(path=str(artifacts / "dashboard-phone.png"), full_page=True)
