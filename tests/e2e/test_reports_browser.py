"""In a real browser with a real Celery worker: write the narrative, make the Operations Review, watch it
become ready without reloading, download it, and keep its pages as pictures."""

from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import expect

from sam.demo import DEMO_PASSWORD
from tests.worker import celery_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.worker]


def test_operations_review_end_to_end(demo, live_server, page, artifacts):
    with celery_worker(queues="reports"):
        page.goto(live_server.url + "/auth/login/")
        page.get_by_label("Email").fill("admin@northwind.example")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/t/northwind/$"))
        page.goto(live_server.url + "/t/northwind/accounts/")
        page.get_by_role("link", name="Umbrella Health").click()
        page.get_by_role("link", name="Operations Review").click()
        page.get_by_label("Summary").fill("Three outages in prime hours; the storage upgrade fixes the cause.")
        page.get_by_label("Recommendations").fill("Approve the storage upgrade before the renewal.")
        page.get_by_role("button", name="Make the PDF").click()
        page.get_by_text("The PDF is being made").wait_for()
        page.evaluate("window.__same_page = true")
        row = page.locator("tr[id^=document-]").first
        expect(row.get_by_text("ready")).to_be_visible(timeout=60_000)
        assert page.evaluate("window.__same_page") is True  # became ready without a reload
        expect(page.locator(".report-preview")).to_contain_text("storage upgrade fixes the cause")
        page.screenshot(path=str(artifacts / "reports-operations-review.png"), full_page=True)
        with page.expect_download() as download:
            row.get_by_role("link", name="Download").click()
        pdf = artifacts / "operations-review.pdf"
        download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    for old in artifacts.glob("operations-review-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(artifacts / "operations-review-page")], check=True)
    assert list(artifacts.glob("operations-review-page-*.png"))
