"""In a real browser: the account manager starts a survey campaign, the invitation email goes out through the
outbox, the customer opens its link without logging in and answers, and the account's NPS and loyalty segment
change on its Voice of the customer tab."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Account
from sam.demo import DEMO_PASSWORD
from sam.models import OutboundEmail, Tenant
from sam.outbox import email_send
from sam.tenancy.context import tenant_context
from voc.tasks import campaigns_tick

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_campaign_email_answer_and_results(demo, live_server, browser, page, artifacts):
    tenant = Tenant.objects.get(slug="northwind")
    with tenant_context(tenant):
        account = Account.objects.get(name="Acme Energy")
        contact = account.contacts.exclude(email="").order_by("name").first()
    page.goto(live_server.url + "/auth/login/")
    page.get_by_label("Email").fill("am@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/northwind/$"))
    page.get_by_role("link", name="Surveys").first.click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name").fill("Winter pulse")
    page.get_by_label("Accounts").select_option(label="Acme Energy")
    expect(page.locator("#audience")).to_contain_text("at 1 account")
    now = timezone.localtime()
    page.get_by_label("Send on").fill(now.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Close on").fill((now + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved")).to_be_visible()
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("Scheduled.")).to_be_visible()

    campaigns_tick()  # what beat runs every minute
    with tenant_context(tenant):
        for pk in OutboundEmail.objects.filter(status="queued").values_list("pk", flat=True):
            email_send(email_id=pk)
    message = next(m for m in mail.outbox if m.to == [contact.email])
    assert f"Dear {contact.name}" in message.body
    link = re.search(r"https?://\S+/s/\S+/", message.body).group(0)
    path = link[link.index("/s/") :]
    page.reload()
    expect(page.locator("#progress")).to_contain_text("Sent:")

    customer = browser.new_context(viewport={"width": 390, "height": 844})  # a phone, not logged in
    survey = customer.new_page()
    survey.goto(live_server.url + path)
    expect(survey.get_by_role("heading", name=f"Dear {contact.name},")).to_be_visible()
    assert "/s/" + path.split("/s/")[1] not in survey.url  # the token left the address
    survey.get_by_role("button", name="Send my answers").click()
    expect(survey.get_by_role("alert")).to_contain_text("Some answers need a look")
    survey.locator("fieldset", has_text="recommend").get_by_text("10", exact=True).click()
    survey.locator("fieldset", has_text="satisfied").get_by_text("5", exact=True).click()
    survey.locator("fieldset", has_text="continue").get_by_text("5", exact=True).click()
    survey.get_by_label("What should we do better, or keep doing?").fill("The new site team is excellent.")
    survey.screenshot(path=str(artifacts / "voc-survey-phone.png"), full_page=True)
    survey.get_by_role("button", name="Send my answers").click()
    expect(survey.get_by_role("heading", name="Thank you")).to_be_visible()
    survey.goto(live_server.url + path)  # the link is spent
    expect(survey.get_by_text("This survey link cannot be used")).to_be_visible()
    customer.close()

    page.goto(f"{live_server.url}/t/northwind/accounts/{account.pk}/?tab=voc")
    expect(page.get_by_test_id("account-nps")).to_have_text("100")
    expect(page.get_by_test_id("account-segment")).to_contain_text("Truly loyal")
    expect(page.get_by_text("The new site team is excellent.")).to_be_visible()
    page.screenshot(path=str(artifacts / "voc-account-tab.png"), full_page=True)
