"""In a real browser: turn on two-factor sign-in with the key the page shows (the test plays the authenticator
app), sign out, and sign in again with the password and a code."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import hotp
from playwright.sync_api import expect

from sam.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
EMAIL = "member@northwind.example"


def app_code(key: bytes, step: int) -> str:
    """What an authenticator app shows for the key at this 30-second time step (RFC 6238)."""
    return f"{hotp(key, step):06d}"


def sign_in_with_password(page, base: str) -> None:
    page.goto(base + "/auth/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_turn_on_two_factor_then_sign_in_with_a_code(demo, live_server, page, artifacts):
    base = live_server.url
    sign_in_with_password(page, base)
    page.wait_for_url(re.compile(r"/t/northwind/$"))

    page.get_by_role("button", name="Your account menu").click()
    page.get_by_role("link", name="Two-factor sign-in").click()
    page.wait_for_url(re.compile(r"/auth/two-factor/$"))
    expect(page.get_by_role("img", name=re.compile("QR code of your new key"))).to_be_visible()
    key = b32decode(page.get_by_test_id("totp-key").inner_text().replace(" ", ""))
    page.screenshot(path=str(artifacts / "two-factor-setup.png"), full_page=True)

    used = int(time.time() // 30)
    page.get_by_label("Code from the app").fill(app_code(key, used))
    page.get_by_role("button", name="Turn on").click()
    codes = page.get_by_test_id("recovery-codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    expect(page.get_by_role("status")).to_contain_text("Two-factor sign-in is on")
    page.screenshot(path=str(artifacts / "two-factor-recovery-codes.png"), full_page=True)
    page.get_by_role("link", name="I saved them: go on").click()
    page.wait_for_url(re.compile(r"/t/northwind/$"))

    page.get_by_role("button", name="Your account menu").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/auth/login/"))

    # The password alone is not enough: the second step asks for the code, and nothing opens before it.
    sign_in_with_password(page, base)
    page.wait_for_url(re.compile(r"/auth/login/code/$"))
    expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    page.screenshot(path=str(artifacts / "two-factor-sign-in.png"), full_page=True)
    page.goto(base + "/t/northwind/")
    assert "/auth/login/" in page.url and "/code/" not in page.url
    page.go_back()
    page.wait_for_url(re.compile(r"/auth/login/code/$"))

    # Each code works once: the app's next one (or the current one, if time has moved on since).
    page.get_by_label("Code", exact=True).fill(app_code(key, max(int(time.time() // 30), used + 1)))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(re.compile(r"/t/northwind/$"))
    expect(page.get_by_role("heading", name="Northwind Managed Services")).to_be_visible()
