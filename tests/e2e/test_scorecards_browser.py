"""In a real browser: an admin adds a metric; an account manager fills a quarter from the keyboard and sees the
health and why it moved; an executive goes from the heatmap to a red account and downloads its joint scorecard."""

from __future__ import annotations

import re
import subprocess
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services as account_services
from accounts.models import Tier
from sam.demo import DEMO_PASSWORD
from sam.models import Tenant, User
from sam.tenancy.context import tenant_context
from scorecards import selectors, services
from tests.worker import celery_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def sign_in(page, base, email):
    page.goto(base + "/auth/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/northwind/$"))


def test_admin_adds_a_metric_and_an_account_manager_fills_a_quarter(demo, live_server, browser, artifacts):
    with tenant_context(Tenant.objects.get(slug="northwind")):  # entered by hand here, as before the survey program
        template = services.template_defaults_ensure()
        selectors.current_version(template).metrics.filter(key__in=["nps", "satisfaction"]).update(source="manual")
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(admin, live_server.url, "admin@northwind.example")
    admin.get_by_role("link", name="Scorecard templates").click()
    admin.get_by_role("link", name="Strategic account scorecard").click()
    admin.get_by_role("link", name="Add a metric").click()
    admin.get_by_label("Name").fill("Executive sponsor meetings")
    admin.get_by_label("Area").select_option("involvement")
    admin.get_by_label("Target").fill("4")
    admin.get_by_label("Amber").fill("2")
    admin.get_by_label("Red").fill("0")
    admin.get_by_label("Visibility").select_option("joint")
    admin.get_by_role("button", name="Save metric").click()
    expect(admin.get_by_text("new ones use version 2")).to_be_visible()
    expect(admin.get_by_role("link", name="Executive sponsor meetings")).to_be_visible()
    admin.screenshot(path=str(artifacts / "scorecards-template.png"), full_page=True)
    admin.context.close()

    tenant = Tenant.objects.get(slug="northwind")
    am = User.objects.get(email="am@northwind.example")
    today = timezone.localdate()
    with tenant_context(tenant):
        account, _ = account_services.account_create(
            data={"name": "Oscorp Utilities", "tier": Tier.objects.get(name="Key"), "owner": am}, acting_user=am
        )
        before = services.scorecard_for(account=account, period=services.period_for(today - timedelta(days=92)))
        for key, value in {
            "growth": "8",
            "nps": "35",
            "share_of_wallet": "50",
            "executive_sponsor_meetings": "3",
        }.items():
            metric = before.version.metrics.get(key=key)
            services.value_set(scorecard=before, metric=metric, value=value, acting_user=am)

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server.url, "am@northwind.example")
    page.goto(f"{live_server.url}/t/northwind/accounts/{account.pk}/scorecard/")
    expect(page.get_by_role("cell", name="Executive sponsor meetings joint")).to_be_visible()

    @contextmanager
    def saved():
        """Wait for the save's answer and for htmx to swap the card it returns, before the next step (typing
        into the card about to be replaced would be lost)."""
        card = page.locator("#card").element_handle()
        with page.expect_response(lambda r: "/values/" in r.url and r.request.method == "POST"):
            yield
        page.wait_for_function("card => !card.isConnected", arg=card)

    growth = page.get_by_label("Value of Revenue growth (%)")
    growth.fill("2")
    with saved():
        growth.press("Enter")  # saves, then focus moves to the next value
    nxt = page.locator("input.value-input").nth(1)
    expect(nxt).to_be_focused()
    page.keyboard.type("abc")
    with saved():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Enter a number")).to_be_visible()
    expect(page.locator("[aria-invalid=true]")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("3.9")  # service satisfaction
    with saved():
        page.keyboard.press("Enter")
    for label, value in (("Net Promoter Score (Score)", "-5"), ("Share of wallet (%)", "30"),
                         ("Executive sponsor meetings (Number)", "1")):  # fmt: skip
        field = page.get_by_label(f"Value of {label}")
        field.fill(value)
        with saved():
            field.press("Enter")
        expect(page.get_by_label(f"Value of {label}")).to_have_value(value)
    expect(page.get_by_text("Overall health")).to_be_visible()
    why = page.locator(".card", has=page.get_by_role("heading", name="Why it moved"))
    expect(why).to_contain_text("points")
    expect(why).to_contain_text("Net Promoter Score")
    expect(why).to_contain_text("▼")
    page.screenshot(path=str(artifacts / "scorecards-filled.png"), full_page=True)
    page.context.close()
    with tenant_context(tenant):
        card = services.scorecard_for(account=account, period=services.period_for(today))
        assert card.health is not None and card.version.number == 2


@pytest.mark.worker
def test_executive_goes_from_heatmap_to_a_red_account_and_its_joint_scorecard(demo, live_server, page, artifacts):
    with celery_worker(queues="reports"):
        sign_in(page, live_server.url, "exec@northwind.example")
        page.get_by_role("link", name="Scorecards").first.click()
        expect(page.get_by_role("heading", name="Portfolio heatmap")).to_be_visible()
        page.get_by_role("link", name="Health", exact=True).click()  # turns round: lowest first
        first = page.locator("table.heatmap tbody tr").first
        expect(first.locator("td").nth(1)).to_contain_text("red")
        page.screenshot(path=str(artifacts / "scorecards-heatmap.png"), full_page=True)
        first.locator("a").first.click()
        expect(page.get_by_role("heading", name="Why it moved")).to_be_visible()
        expect(page.locator(".card", has=page.get_by_role("heading", name="Why it moved"))).to_contain_text("▼")
        page.get_by_role("link", name="Joint scorecard").click()
        page.get_by_role("button", name="Make the PDF").click()
        row = page.locator("tr[id^=document-]").first
        expect(row.get_by_text("ready")).to_be_visible(timeout=60_000)
        page.screenshot(path=str(artifacts / "scorecards-joint.png"), full_page=True)
        with page.expect_download() as download:
            row.get_by_role("link", name="Download").click()
        pdf = artifacts / "joint-scorecard.pdf"
        download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    for old in artifacts.glob("joint-scorecard-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(artifacts / "joint-scorecard-page")], check=True)
    assert list(artifacts.glob("joint-scorecard-page-*.png"))
