"""The public survey page: the token leaves the address at once, every bad token looks the same, answers are
checked with a summary, one response only, unsubscribe, rate limit, and no token in the logs."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Contact
from tests.voc.test_tokens import invite
from voc.models import Invitation, Question, Response

pytestmark = pytest.mark.django_db


def test_answer_once_through_the_public_page(tenant_a, account_a, caplog):
    caplog.set_level(logging.DEBUG)
    token, invitation, answers = invite(tenant_a, account_a)
    browser = Client()
    start = browser.get(reverse("survey_start", args=[token]))
    assert start.status_code == 302 and start["Location"] == reverse("survey_form")  # the token leaves the URL
    assert start["Referrer-Policy"] == "no-referrer"
    cookie = start.cookies["sam_survey_token"]  # into a signed cookie the page's script cannot read, for /s/ only
    assert cookie["httponly"] and cookie["path"] == "/s/" and cookie["samesite"] == "Lax"
    assert "sessionid" not in start.cookies  # nothing of it is kept on the server
    page = browser.get(reverse("survey_form"))
    assert page.status_code == 200 and b"Dear Erin" in page.content and token.encode() not in page.content
    assert page["Referrer-Policy"] == "same-origin"  # no token here; no-referrer would break the form's CSRF check
    with tenant_a.ctx():
        assert Invitation.objects.get(pk=invitation.pk).status == "opened"
        nps = str(Question.objects.get(version=invitation.campaign.version, kind="nps").pk)
    missing = browser.post(reverse("survey_form"), {**answers, nps: ""})
    assert missing.status_code == 400 and b"Some answers need a look" in missing.content
    bad = browser.post(reverse("survey_form"), {**answers, nps: "11"})
    assert bad.status_code == 400 and b"from 0 to 10" in bad.content
    done = browser.post(reverse("survey_form"), answers)
    assert done.status_code == 200 and b"Thank you" in done.content
    assert (
        done.cookies["sam_survey_token"].value == "" and done.cookies["sam_survey_token"]["path"] == "/s/"
    )  # forgotten
    again = Client().get(reverse("survey_start", args=[token]))  # replayed after completion
    assert again.status_code == 200 and b"cannot be used" in again.content
    with tenant_a.ctx():
        assert Response.objects.count() == 1
    assert token not in caplog.text and token.split(".")[1] not in caplog.text


@pytest.mark.parametrize("token", ["nonsense", "1.short", "999999.abcdefghijklmnopqrstuvwxyz0123456789"])
def test_bad_tokens_get_the_same_page(token):
    response = Client().get(reverse("survey_start", args=[token]))
    assert response.status_code == 200 and b"This survey link cannot be used" in response.content


def test_the_form_without_the_cookie_is_the_same_page():
    assert b"cannot be used" in Client().get(reverse("survey_form")).content


def test_a_cookie_we_did_not_sign_is_the_same_page(tenant_a, account_a):
    token, _invitation, answers = invite(tenant_a, account_a)
    browser = Client()
    browser.cookies["sam_survey_token"] = f"{token}:1"  # the right token, unsigned
    assert b"cannot be used" in browser.get(reverse("survey_form")).content
    assert b"cannot be used" in browser.post(reverse("survey_form"), answers).content
    with tenant_a.ctx():
        assert not Response.objects.exists()


def test_a_spent_link_shows_the_tenants_refusal_and_forgets_the_cookie(tenant_a, account_a):
    token, _invitation, answers = invite(tenant_a, account_a)
    first, second = Client(), Client()
    for browser in (first, second):
        browser.get(reverse("survey_start", args=[token]))
    assert b"Thank you" in first.post(reverse("survey_form"), answers).content
    late = second.post(reverse("survey_form"), answers)  # the other tab, after the first answered
    assert b"cannot be used" in late.content and tenant_a.tenant.name.encode() in late.content
    assert late.cookies["sam_survey_token"].value == ""
    with tenant_a.ctx():
        assert Response.objects.count() == 1


def test_unsubscribe_opts_the_contact_out(tenant_a, account_a):
    token, invitation, _ = invite(tenant_a, account_a)
    browser = Client()
    browser.get(reverse("survey_start", args=[token]))
    assert b"will not receive" in browser.post(reverse("survey_unsubscribe")).content
    with tenant_a.ctx():
        assert Contact.objects.get(pk=invitation.contact_id).opted_out
        assert Invitation.objects.get(pk=invitation.pk).status == "opted_out"


def test_the_token_endpoint_is_rate_limited(settings):
    from django.core.cache import cache

    settings.SURVEY_RATE_LIMIT = 3
    cache.delete("ratelimit:survey:203.0.113.9")  # a fresh window, whatever ran before
    browser = Client(REMOTE_ADDR="203.0.113.9")
    codes = [browser.get(reverse("survey_start", args=["1.guessguessguessguessguessguessguess"])).status_code
             for _ in range(5)]  # fmt: skip
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429


def test_log_lines_never_show_a_survey_token():
    import logging as std_logging

    from sam.logfilters import RedactSurveyTokens, redact

    assert redact('"GET /s/12.AbCdEf_123-xyz/ HTTP/1.1" 302') == '"GET /s/[token]/ HTTP/1.1" 302'
    assert redact("POST /s/unsubscribe/") == "POST /s/unsubscribe/"
    record = std_logging.LogRecord("django.server", std_logging.INFO, __file__, 1, '"%s" %s',
                                   ("GET /s/7.secretsecretsecret/ HTTP/1.1", 302), None)  # fmt: skip
    RedactSurveyTokens().filter(record)
    assert "secret" not in record.getMessage() and "/s/[token]/" in record.getMessage()
    from django.conf import settings

    assert "redact_tokens" in settings.LOGGING["handlers"]["console"]["filters"]


def test_error_reports_redact_the_survey_cookie(rf):
    from django.views.debug import SafeExceptionReporterFilter

    from voc.public import COOKIE

    request = rf.get("/s/")
    request.COOKIES[COOKIE] = "7.secretsecretsecretsecretsecretsecret:3:signature"
    assert "secret" not in str(SafeExceptionReporterFilter().get_safe_cookies(request))
