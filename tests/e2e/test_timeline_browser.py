"""In a real browser: the account manager logs a call with two contacts and a follow-up action, and sees it on the
account's timeline and in its action register; then a customer answers a survey as a detractor, and the detractor
playbook's steps appear on the account by themselves (the playbook check is what beat runs)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Account, PlaybookStep
from accounts.tasks import playbooks_check_all
from sam.demo import DEMO_PASSWORD
from sam.models import Tenant, User
from sam.tenancy.context import tenant_context
from tests.e2e.test_accounts_browser import open_tab
from voc import campaigns, services
from voc.models import Invitation

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_log_a_call_then_a_detractor_fires_its_playbook(demo, live_server, browser, page, artifacts):
    tenant = Tenant.objects.get(slug="northwind")
    with tenant_context(tenant):
        account = Account.objects.get(name="Acme Energy")
        first, second = account.contacts.exclude(email="").order_by("name")[:2]
    base = live_server.url
    page.goto(base + "/auth/login/")
    page.get_by_label("Email").fill("am@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/northwind/$"))

    page.goto(f"{base}/t/northwind/accounts/{account.pk}/")
    open_tab(page, "Timeline", page.get_by_role("heading", name="The account's story"))
    page.get_by_text("Log a note, call, meeting or email").click()
    page.get_by_label("Type").select_option(label="Call")
    page.get_by_label(first.name).check()
    page.get_by_label(second.name).check()
    page.get_by_label("Summary").fill("Renewal call: they want a three-year option with quarterly reviews.")
    page.get_by_label("Follow-up action (optional)").fill("Send the three-year renewal option")
    page.get_by_label("Action due").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Log it").click()
    page.get_by_text("Call logged.").wait_for()
    entry = page.get_by_test_id("timeline").locator("li", has_text="Renewal call: they want a three-year option")
    expect(entry).to_contain_text(f"with {first.name}, {second.name}")
    expect(entry).to_contain_text("Follow-up: Send the three-year renewal option")
    page.screenshot(path=str(artifacts / "timeline-logged.png"), full_page=True)
    open_tab(page, "Actions", page.get_by_role("heading", name="Running action register"))
    expect(page.get_by_role("link", name="Send the three-year renewal option")).to_be_visible()

    # A customer answers a survey with a detractor's score, on a phone, without logging in.
    admin = User.objects.get(email="admin@northwind.example")
    now = timezone.now()
    with tenant_context(tenant):
        campaign, _ = campaigns.campaign_create(
            name="Winter pulse",
            template=services.survey_defaults_ensure(),
            audience=campaigns.Audience(accounts=[account.pk]),
            send_at=now,
            closes_at=now + timedelta(days=14),
            acting_user=admin,
        )
        campaigns.campaign_schedule(campaign=campaign, acting_user=admin)
        campaigns.invitations_send()
        invitation = Invitation.objects.get(campaign=campaign, contact=first)
        token = services.invitation_token(invitation)
        steps = list(PlaybookStep.objects.filter(playbook__key="detractor").order_by("order"))
    customer = browser.new_context(viewport={"width": 390, "height": 844})
    survey = customer.new_page()
    survey.goto(f"{base}/s/{token}/")
    survey.locator("fieldset", has_text="recommend").get_by_text("2", exact=True).click()
    survey.locator("fieldset", has_text="satisfied").get_by_text("2", exact=True).click()
    survey.locator("fieldset", has_text="continue").get_by_text("2", exact=True).click()
    survey.get_by_label("What should we do better, or keep doing?").fill("Invoices wrong three months running.")
    survey.get_by_role("button", name="Send my answers").click()
    expect(survey.get_by_role("heading", name="Thank you")).to_be_visible()
    customer.close()

    playbooks_check_all()  # what beat runs every five minutes
    page.goto(f"{base}/t/northwind/accounts/{account.pk}/?tab=actions")
    runs = page.get_by_test_id("playbook-runs")
    expect(runs).to_contain_text("Detractor answer")
    expect(runs).to_contain_text(f"0 of {len(steps)} steps done")
    for step in steps:
        name = f"{step.title} — {first.name} scored 2/10 in a survey"
        expect(page.get_by_role("link", name=name)).to_be_visible()
    page.screenshot(path=str(artifacts / "timeline-detractor-playbook.png"), full_page=True)
    page.goto(f"{base}/t/northwind/accounts/{account.pk}/?tab=timeline")
    expect(page.get_by_test_id("timeline")).to_contain_text("Playbook “Detractor answer” started")
