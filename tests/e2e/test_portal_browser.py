"""In a real browser, at phone size: the account manager gives a contact portal access, the contact opens the
emailed link, proposes an agenda item, agrees the agenda, marks their action done with a note and confirms a
recommendation; the account manager then sees each of these on the QBR, the register and the assessment."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Account, ActionItem, Contact
from assessments.models import Assessment
from portal.models import PortalAccess
from qbr.models import Qbr
from sam.demo import DEMO_PASSWORD
from sam.models import OutboundEmail, Tenant
from sam.outbox import email_send
from sam.tenancy.context import tenant_context

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} scrolls sideways on a phone ({width}px)"


def test_a_contact_works_in_the_portal_on_a_phone(demo, live_server, browser, page, artifacts):
    tenant = Tenant.objects.get(slug="northwind")
    with tenant_context(tenant):
        account = Account.objects.select_related("owner").get(name="Umbrella Health")
        manager = account.owner.email  # the account's manager gives access
        with_access = set(PortalAccess.objects.values_list("contact_id", flat=True))
        contact = Contact.objects.filter(account=account).exclude(email="").exclude(pk__in=with_access).first()
        qbr = Qbr.objects.filter(account=account, status="planned").order_by("period_start").first()
        held = Qbr.objects.filter(account=account, status="held").order_by("-period_start").first()
        assessment = Assessment.objects.filter(account=account, status__in=["shared", "action_plan"]).first()
        rec = assessment.recommendations.order_by("priority", "start", "pk").first()
    assert contact and qbr and rec

    page.goto(live_server.url + "/auth/login/")
    page.get_by_label("Email").fill(manager)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login/" not in url)
    page.goto(f"{live_server.url}/t/northwind/accounts/{account.pk}/?tab=portal")
    page.get_by_label("Contact", exact=True).select_option(str(contact.pk))
    page.get_by_role("button", name="Give portal access").click()
    expect(page.get_by_text(f"A sign-in link is on its way to {contact.name}.")).to_be_visible()
    page.screenshot(path=str(artifacts / "portal-staff-tab.png"), full_page=True)

    mail.outbox.clear()
    with tenant_context(tenant):
        for pk in OutboundEmail.objects.filter(status="queued").values_list("pk", flat=True):
            email_send(email_id=pk)
    message = next(m for m in mail.outbox if m.to == [contact.email])
    link = re.search(r"https?://\S+(/p/in/\S+/)", message.body).group(1)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    customer = phone.new_page()
    customer.set_default_timeout(15_000)
    customer.goto(live_server.url + link)
    assert link not in customer.url  # the token left the address
    expect(customer.get_by_role("heading", name=f"Welcome, {contact.name}")).to_be_visible()
    customer.get_by_role("button", name="Sign in").click()
    expect(customer.get_by_role("heading", name="Umbrella Health with Northwind")).to_be_visible()
    customer.screenshot(path=str(artifacts / "portal-home-phone.png"), full_page=True)
    fits(customer)
    customer.get_by_role("link", name=f"QBR {held.period_label}").click()  # the last review: its documents
    expect(customer.get_by_role("link", name=re.compile("^QBR pack"))).to_be_visible()
    expect(customer.get_by_role("link", name=re.compile("^QBR minutes"))).to_be_visible()
    with customer.expect_download() as download:
        customer.get_by_role("link", name=re.compile("^QBR minutes")).click()
    assert download.value.suggested_filename.endswith(".pdf")
    customer.get_by_role("navigation", name="Portal").get_by_role("link", name="Overview").click()

    customer.get_by_role("link", name=f"QBR {qbr.period_label}").first.click()
    customer.get_by_label("Topic").fill("Maintenance windows for the radiology systems")
    customer.get_by_label("Minutes").fill("15")
    customer.get_by_role("button", name="Propose this item").click()
    expect(customer.locator("#agenda")).to_contain_text(f"proposed by {contact.name}")
    customer.get_by_role("button", name="Agree this agenda").click()
    expect(customer.get_by_test_id("agenda-status")).to_contain_text(f"Agreed with the customer by {contact.name}")
    customer.screenshot(path=str(artifacts / "portal-qbr-phone.png"), full_page=True)
    fits(customer)
    customer.get_by_role("link", name="Scorecard").click()
    expect(customer.get_by_role("heading", level=1)).to_contain_text("Our joint scorecard")
    customer.screenshot(path=str(artifacts / "portal-scorecard-phone.png"), full_page=True)
    fits(customer)

    customer.get_by_role("link", name="Actions").click()
    item = customer.locator("li", has_text="Name a change coordinator on the hospital side")
    item.get_by_label(re.compile("^Status")).select_option("done")
    item.get_by_label(re.compile("^Note")).fill("Dr. Patel coordinates from now on")
    item.get_by_role("button", name=re.compile("^Update")).click()
    expect(customer.locator("li", has_text="Name a change coordinator").first).to_contain_text("Done")
    customer.screenshot(path=str(artifacts / "portal-actions-phone.png"), full_page=True)
    fits(customer)

    customer.get_by_role("navigation", name="Portal").get_by_role("link", name="Overview").click()
    customer.get_by_role("link", name=assessment.title).click()
    card = customer.locator(f"#rec-{rec.pk}")
    card.get_by_label(re.compile("^Your comment")).fill("Agreed, starting next quarter")
    card.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(customer.locator(f"#rec-{rec.pk}")).to_contain_text("Confirmed by the customer")
    customer.screenshot(path=str(artifacts / "portal-assessment-phone.png"), full_page=True)
    fits(customer)
    phone.close()

    page.goto(f"{live_server.url}/t/northwind/qbrs/{qbr.pk}/")
    expect(page.get_by_text(f"proposed by {contact.name}")).to_be_visible()
    expect(page.locator("#qbr-agenda")).to_contain_text(f"by {contact.name} in the portal")
    page.goto(f"{live_server.url}/t/northwind/accounts/{account.pk}/?tab=actions&show=all")
    expect(page.get_by_text("Dr. Patel coordinates from now on")).to_be_visible()
    page.goto(f"{live_server.url}/t/northwind/assessments/{assessment.pk}/?tab=recommendations")
    expect(page.get_by_text("Agreed, starting next quarter")).to_be_visible()
    page.goto(f"{live_server.url}/t/northwind/accounts/{account.pk}/?tab=portal")
    expect(page.get_by_text("agreed the agenda")).to_be_visible()
    page.screenshot(path=str(artifacts / "portal-staff-activity.png"), full_page=True)
    with tenant_context(tenant):
        done = ActionItem.objects.get(account=account, title="Name a change coordinator on the hospital side")
        assert done.status == "done"
