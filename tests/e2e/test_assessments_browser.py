"""In a real browser: a 4 R's round answered by two people and its rollup; an assessment with one finding and
one recommendation, accepted, and its actions in the account's register."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessments import fourrs
from sam.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def sign_in(page, base, email):
    page.goto(base + "/auth/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/northwind/$"))


def answer_round(browser, base, email, title, rating):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, email)
    page.goto(base + "/t/northwind/four-rs/")
    page.get_by_test_id("waiting").get_by_role("link", name=title).click()
    for n, key in enumerate(fourrs.KEYS):
        value = rating if n else 1  # one weak item each
        page.locator(f"label:has(#q-{key}-{value})").click()
    page.get_by_role("button", name="See my result").click()
    expect(page.get_by_test_id("total")).to_contain_text(str(rating * 14 + 1))
    context.close()


def test_a_round_with_three_people_and_its_rollup_once_closed(demo, live_server, browser, page, artifacts):
    base = live_server.url
    sign_in(page, base, "admin@northwind.example")
    page.goto(base + "/t/northwind/assessments/")
    page.get_by_role("link", name="The 4 R's self-assessment").click()
    page.get_by_label("Title").fill("Browser round")
    page.get_by_role("button", name="Open the round").click()
    expect(page.get_by_text("Round opened")).to_be_visible()
    page.get_by_label("Tom Teammate").check()
    page.get_by_label("Maria Manager").check()
    page.get_by_label("Evan Executive").check()
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("3 invited by email.")).to_be_visible()
    expect(page.get_by_test_id("answered")).to_have_text("0 of 3")
    # An unanswered statement keeps the form, with a summary that links to it.
    member = browser.new_context()
    mpage = member.new_page()
    sign_in(mpage, base, "member@northwind.example")
    mpage.goto(base + "/t/northwind/four-rs/")
    mpage.get_by_test_id("waiting").get_by_role("link", name="Browser round").click()
    mpage.locator(f"label:has(#q-{fourrs.KEYS[0]}-3)").click()
    mpage.get_by_role("button", name="See my result").click()
    expect(mpage.get_by_text("Your answers were not saved")).to_be_visible()
    expect(mpage.get_by_text("14 still need a rating")).to_be_visible()
    member.close()
    answer_round(browser, base, "member@northwind.example", "Browser round", 4)  # 57
    answer_round(browser, base, "am@northwind.example", "Browser round", 3)  # 43
    answer_round(browser, base, "exec@northwind.example", "Browser round", 4)  # 57
    page.reload()
    expect(page.get_by_test_id("answered")).to_have_text("3 of 3")
    rollup = page.get_by_test_id("rollup")
    expect(page.get_by_test_id("averages-hidden")).to_contain_text("once the round has closed")  # still open
    page.get_by_role("button", name="Close the round").click()
    expect(rollup).to_contain_text("52.3")  # (57 + 43 + 57) / 3
    expect(rollup).to_contain_text("Good")
    expect(rollup).to_contain_text("Publish one route for problems")  # the weakest item's practice
    expect(page.get_by_test_id("people")).not_to_contain_text("not yet")
    last_year = page.locator("#c-other option", has_text="4 R's review").first.get_attribute("value")
    page.get_by_label("Round").select_option(last_year)
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_test_id("comparison")).to_contain_text("Total (of 75)")
    page.screenshot(path=str(artifacts / "fourrs-round.png"), full_page=True)


def test_assess_accept_and_see_the_action_on_the_account(demo, live_server, page, artifacts):
    base = live_server.url
    sign_in(page, base, "am@northwind.example")
    page.get_by_role("link", name="Accounts").first.click()
    page.get_by_role("link", name="Globex Logistics").first.click()
    page.get_by_role("tab", name="Assessments").or_(
        page.get_by_role("link", name="Assessments", exact=True)
    ).last.click()
    page.get_by_role("link", name="New assessment").click()
    page.get_by_label("Title").fill("Browser assessment")
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.get_by_text("Assessment started")).to_be_visible()
    page.get_by_role("link", name="Journey map and findings").click()
    page.get_by_label("Kind").select_option("W")
    page.get_by_label("Finding", exact=True).fill("Priority incidents bounce between our desks")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Finding saved.")).to_be_visible()
    page.get_by_role("link", name="Recommendations").click()
    page.evaluate("window.sameDocument = true")  # gone if a change below reloaded the page
    form = page.locator("#rec-add")
    form.get_by_label("Recommendation", exact=True).fill("One route for priority incidents")
    form.get_by_label("Steps, one a line").fill("Name an incident owner per shift\nPublish the escalation chart")
    form.get_by_label("Start", exact=True).fill("2030-01-01")
    form.get_by_label("End", exact=True).fill("2030-03-02")
    form.get_by_label("Cost in hours").fill("10")
    form.get_by_label("Cost in money").fill("1000")
    form.get_by_label("Risk mitigation to the customer, amount").fill("6000")
    form.get_by_role("button", name="Add the recommendation").click()
    expect(page.get_by_text("Recommendation saved.")).to_be_visible()
    expect(page.get_by_test_id("payback-months")).to_have_text("4.0 months")
    form = page.locator("#rec-add")
    form.get_by_label("Recommendation", exact=True).fill("Ends before it starts")
    form.get_by_label("Start", exact=True).fill("2030-03-01")
    form.get_by_label("End", exact=True).fill("2030-01-01")
    form.get_by_role("button", name="Add the recommendation").click()
    expect(form.locator(".invalid-feedback")).to_contain_text("The end cannot be before the start.")
    expect(form.get_by_label("Recommendation", exact=True)).to_have_value("Ends before it starts")
    assert page.evaluate("window.sameDocument") is True  # both were htmx swaps of the tab
    page.screenshot(path=str(artifacts / "assessment-recommendation-refused.png"), full_page=True)
    page.get_by_role("button", name="Send for review").click()
    page.get_by_role("button", name="Mark shared with the customer").click()
    expect(page.get_by_text("shared with the customer.")).to_be_visible()
    page.get_by_role("link", name="Recommendations").click()
    page.get_by_role("button", name="Accept One route for priority incidents").click()
    expect(page.get_by_text("Accepted: 2 actions")).to_be_visible()
    page.screenshot(path=str(artifacts / "assessment-accepted.png"), full_page=True)
    page.get_by_role("link", name="Globex Logistics").first.click()
    page.goto(page.url.split("?")[0] + "?tab=actions")
    expect(page.get_by_text("One route for priority incidents: Name an incident owner per shift")).to_be_visible()
    expect(page.get_by_text("One route for priority incidents: Publish the escalation chart")).to_be_visible()
