"""Assessment and 4 R's pages: flows through the forms, roles, bad input, constant query counts, and PDFs."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import ActionItem, Contact
from assessments import fourrs, fourrs_selectors, fourrs_services, reports, selectors, services
from assessments.models import Assessment, AssessmentSettings, Finding, FourRsResult, JourneyStep, Recommendation
from sam.documents.tasks import render_document
from sam.models import Document
from sam.roles import Role
from tests.accounts.conftest import make_account
from tests.assessments.conftest import contract_at, shared_assessment

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def test_an_assessment_through_its_pages(tenant_a, account_a, client_for):
    contract = contract_at(tenant_a, account_a, progress=0.5)
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    listed = am.get(url("assessment_list"))
    assert b"Due for a mid-contract assessment" in listed.content and b"Globex" in listed.content
    new = am.get(url("assessment_new", account_a.pk) + f"?contract={contract.pk}")
    assert b"50% through its term" in new.content
    bad = am.post(url("assessment_new", account_a.pk), {"title": "", "contract": contract.pk})
    assert bad.status_code == 400 and b"This field is required." in bad.content
    assert am.post(url("assessment_new", account_a.pk), {"title": "x", "contract": "999999"}).status_code == 400
    made = am.post(url("assessment_new", account_a.pk), {"title": "Mid-contract 2026", "contract": contract.pk})
    with tenant_a.ctx():
        assessment = Assessment.objects.get()
        assert assessment.contract == contract
        erin = Contact.objects.create(account=account_a, name="Erin Economic")
    page = url("assessment_detail", assessment.pk)
    assert made.status_code == 302 and made["Location"] == page
    steps = [("assessment_step_add", {"name": "Raise an incident", "touchpoint": "Desk", "rating": "2",
                                      "moment_of_truth": "on"}),
             ("assessment_interview_add", {"contact": erin.pk, "held_on": "2026-01-05", "topic-contract": "Fits",
                                           "topic-wants": "Faster fixes"})]  # fmt: skip
    for route, data in steps:
        response = am.post(url(route, assessment.pk), data)
        assert response.status_code == 302, response.content[:500]
    with tenant_a.ctx():
        step = JourneyStep.objects.get()
    assert am.post(url("assessment_finding_add", assessment.pk), {"kind": "W", "text": "Incidents bounce",
                                                                  "steps": [step.pk]}).status_code == 302  # fmt: skip
    with tenant_a.ctx():
        finding = Finding.objects.get()
    rec = {"title": "One incident route", "steps": "Name an owner\nPublish the chart",
           "start": "2030-01-01", "end": "2030-03-02", "cost_hours": "10", "cost_money": "1000", "priority": "1",
           "finding": finding.pk, "pb-customer-risk_mitigation": "6000", "pbk-us-efficiency": "1"}  # fmt: skip
    add = url("assessment_rec_add", assessment.pk)
    bad = am.post(add, {**rec, "end": "2029-01-01"})
    assert bad.status_code == 400 and b"The end cannot be before the start." in bad.content
    # What was typed comes back, payback amounts and all.
    assert (
        b'value="One incident route"' in bad.content and b"Name an owner\nPublish the chart</textarea>" in bad.content
    )
    assert re.search(rb'name="pb-customer-risk_mitigation" value="6000"', bad.content)
    assert am.post(add, {**rec, "cost_money": "-5"}).status_code == 400
    assert am.post(add, rec).status_code == 302
    with tenant_a.ctx():
        made_rec = Recommendation.objects.get()
        assert {(p.beneficiary, p.category, p.amount) for p in made_rec.paybacks.all()} == {
            ("customer", "risk_mitigation", 6000),
            ("us", "efficiency", None),
        }
    tab = am.get(page + "?tab=recommendations")
    # our cost 10 h x 100 + 1,000 = 2,000; against the customer's 6,000 a year alone: 2,000 / 6,000 x 12 = 4 months
    assert (
        "Cost 10 h × 100.00 + 1,000.00 = 2,000.00 USD; customer benefit 6,000.00 a year → payback 4.0 months"  # noqa: RUF001
    ).encode() in tab.content
    assert b"our benefit not known (recorded without an amount)" in tab.content
    accept = url("assessment_rec_accept", assessment.pk, made_rec.pk)
    status = url("assessment_status", assessment.pk)
    assert am.post(accept).status_code == 400  # not shared yet
    for to in ("in_review", "shared"):
        assert am.post(status, {"status": to}).status_code == 302
    assert am.post(status, {"status": "draft"}).status_code == 400  # shared: no way back
    assert am.post(url("assessment_step_add", assessment.pk), {"name": "Late"}).status_code == 400
    assert am.post(accept).status_code == 302
    assert am.post(accept).status_code == 302  # again: nothing new
    assert am.post(status, {"status": "action_plan"}).status_code == 302
    assert b"Accepted so far:" in am.get(page + "?tab=recommendations").content
    with tenant_a.ctx():
        assert ActionItem.objects.filter(source_kind="assessment").count() == 2
    tab = am.get(url("account_detail", account_a.pk) + "?tab=assessments")
    assert b"Mid-contract 2026" in tab.content and b"Publish the chart" in tab.content
    assert am.post(url("assessment_rec_accept", assessment.pk, 999999)).status_code == 404
    assert am.post(status, {"status": "nonsense"}).status_code == 400
    assert am.post(page).status_code == 405  # the page itself only shows


def test_who_may_change_an_assessment(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
    page = url("assessment_detail", assessment.pk)
    viewer = client_for(tenant_a.users[Role.VIEWER])
    assert viewer.get(page).status_code == 200
    step_add = url("assessment_step_add", assessment.pk)
    assert viewer.post(step_add, {"name": "x"}).status_code == 403
    executive = client_for(tenant_a.users[Role.EXECUTIVE])
    assert executive.post(step_add, {"name": "x"}).status_code == 403
    assert executive.get(url("assessment_new", account_a.pk)).status_code == 403
    # Invited as an expert, the executive may work on the content, not move the workflow.
    with tenant_a.ctx():
        services.expert_add(assessment=assessment, user_id=tenant_a.users[Role.EXECUTIVE].pk, acting_user=None)
    assert executive.post(step_add, {"name": "Ordering"}).status_code == 302
    assert executive.post(url("assessment_status", assessment.pk), {"status": "in_review"}).status_code == 403
    member = client_for(tenant_a.users[Role.MEMBER])  # not on this account's team
    assert member.post(step_add, {"name": "x"}).status_code == 403
    with tenant_a.ctx():
        assert JourneyStep.objects.count() == 1


def test_settings_page_for_admins(tenant_a, client_for):
    admin = client_for(tenant_a.admin)
    page = url("assessment_program")
    assert client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).get(page).status_code == 403
    good = {"window_start_pct": "45", "window_end_pct": "55", "hourly_rate": "80", "currency": "EUR",
            "fourrs_min_answers": "5"}  # fmt: skip
    bad = admin.post(page, {**good, "window_start_pct": "70", "window_end_pct": "30"})
    assert bad.status_code == 400 and b"The window ends after it starts." in bad.content
    for few in ("2", "0", "-3", "x", ""):  # the 4 R's averages never from fewer than 3 answers
        assert admin.post(page, {**good, "fourrs_min_answers": few}).status_code == 400
    with tenant_a.ctx():
        assert AssessmentSettings.current().fourrs_min_answers == 3
    assert admin.post(page, good).status_code == 302
    with tenant_a.ctx():
        assert AssessmentSettings.current().window_start_pct == 45
        assert AssessmentSettings.current().fourrs_min_answers == 5


def _count(client, path):
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def _grow(world, first, account):
    """One more of everything the pages list: an assessment with an accepted recommendation on another
    account and on the first one's, and steps, findings, interviews and recommendations on the first."""
    _, rec = shared_assessment(world, account)
    with world.ctx():
        services.recommendation_accept(recommendation=rec, acting_user=None)
        services.assessment_create(account=first.account, data={"title": f"Earlier {account.pk}"}, acting_user=None)
        Recommendation.objects.create(assessment=first, title=f"More {account.pk}", start=date(2030, 1, 1),
                                      end=date(2030, 2, 1))  # fmt: skip
        step = JourneyStep.objects.create(assessment=first, name=f"Step {account.pk}", rating=3)
        finding = Finding.objects.create(assessment=first, kind="O", text=f"More {account.pk}")
        from assessments.models import FindingStep, Interview, Payback

        FindingStep.objects.create(finding=finding, step=step)
        Payback.objects.create(recommendation=rec, beneficiary="us", category="efficiency", amount=10)
        contact = Contact.objects.create(account=first.account, name=f"Contact {account.pk}")
        Interview.objects.create(assessment=first, contact=contact, notes={"contract": "ok"})
        fourrs_services.fourrs_result_submit(
            respondent=world.users[Role.ACCOUNT_MANAGER], answers=dict.fromkeys(fourrs.KEYS, 3)
        )


def test_pages_take_a_constant_number_of_queries(tenant_a, client_for):
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    accounts = [make_account(tenant_a, name=f"Account {n}") for n in range(6)]
    first, _ = shared_assessment(tenant_a, accounts[0])
    with tenant_a.ctx():
        first = Assessment.objects.get(pk=first.pk)
        Assessment.objects.filter(pk=first.pk).update(status="draft")
    contract_at(tenant_a, accounts[1], progress=0.5)
    _grow(tenant_a, first, accounts[1])
    pages = [url("assessment_list"), url("assessment_detail", first.pk)] + [
        url("assessment_detail", first.pk) + f"?tab={t}" for t in ("interviews", "journey", "recommendations")
    ] + [url("account_detail", accounts[0].pk) + "?tab=assessments", url("fourrs_home")]  # fmt: skip
    for p in pages:  # warm up: the signed-in user is cached after the first request
        am.get(p)
    before = {p: _count(am, p) for p in pages}
    for account in accounts[2:]:
        contract_at(tenant_a, account, progress=0.5)
        _grow(tenant_a, first, account)
    after = {p: _count(am, p) for p in pages}
    assert after == before


def test_taking_the_4rs_on_the_page(tenant_a, client_for):
    member = client_for(tenant_a.users[Role.MEMBER])
    page = url("fourrs_take")
    missing = member.post(page, dict.fromkeys(fourrs.KEYS[:13], "3"))
    assert missing.status_code == 400 and b"Your answers were not saved" in missing.content
    assert b"2 still need" in missing.content and b'href="#q-rel_measure-1"' in missing.content
    assert member.post(page, {**dict.fromkeys(fourrs.KEYS, "3"), fourrs.KEYS[0]: "7"}).status_code == 400
    with tenant_a.ctx():
        assert not FourRsResult.objects.exists()
    done = member.post(page, dict.fromkeys(fourrs.KEYS, "4"))
    with tenant_a.ctx():
        item = FourRsResult.objects.get()
    assert done["Location"] == url("fourrs_result", item.pk)
    result = member.get(done["Location"])
    assert b"60" in result.content and b"Excellent" in result.content and result.content.count(b"<svg") >= 4
    # Nobody else sees one person's answers.
    assert client_for(tenant_a.admin).get(done["Location"]).status_code == 404
    assert client_for(tenant_a.users[Role.VIEWER]).get(page).status_code == 403


def test_running_a_round_on_the_page(tenant_a, client_for):
    admin = client_for(tenant_a.admin)
    made = admin.post(url("fourrs_round_new"), {"title": "Review 2026", "scope": "organisation"})
    with tenant_a.ctx():
        from assessments.models import FourRsRound

        round = FourRsRound.objects.get()
    page = url("fourrs_round", round.pk)
    assert made["Location"] == page
    assert client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).post(url("fourrs_round_close", round.pk)).status_code == 403
    users = [tenant_a.users[Role.MEMBER], tenant_a.users[Role.ACCOUNT_MANAGER]]
    invite = url("fourrs_round_invite", round.pk)
    assert admin.post(invite, {"users": ["x"]}).status_code == 400
    assert admin.post(invite, {"users": [tenant_a.users[Role.VIEWER].pk]}).status_code == 400
    refused = admin.post(invite, {})
    assert refused.status_code == 400 and b"Choose who to invite." in refused.content
    assert admin.post(invite, {"users": [u.pk for u in users]}).status_code == 302
    member = client_for(users[0])
    assert b"Review 2026" in member.get(url("fourrs_home")).content
    member.post(url("fourrs_take") + f"?round={round.pk}", {"round": round.pk, **dict.fromkeys(fourrs.KEYS, "2")})
    shown = admin.get(page)
    assert (b"1 of 2" in shown.content and b"30.0" in shown.content) or b"30" in shown.content
    assert b"not yet" in shown.content
    admin.post(url("fourrs_round_close", round.pk))
    late = client_for(users[1]).post(url("fourrs_take"), {"round": round.pk, **dict.fromkeys(fourrs.KEYS, "5")})
    assert late.status_code == 400
    with tenant_a.ctx():
        assert FourRsResult.objects.count() == 1
    assert admin.get(page + "?compare=999999").status_code == 404
    assert admin.post(url("fourrs_round_new"), {"title": ""}).status_code == 302  # back, with the error shown


def test_round_and_answer_forms_refuse_bad_values(tenant_a, tenant_b, account_a, client_for):
    from assessments.models import FourRsRound

    other = make_account(tenant_b)
    admin = client_for(tenant_a.admin)
    page = admin.get(url("fourrs_home"))
    assert b'name="closes_on"' in page.content and b'id="id_account"' in page.content
    bad = [
        {"title": "Late", "closes_on": "2026-02-30"},
        {"title": "x" * 201},
        {"title": "Theirs", "scope": "account_team", "account": str(other.pk)},
        {"title": "Nul\x00", "scope": "galaxy"},
        {"title": "No account", "scope": "account_team"},
    ]
    bad.append({"title": "US date", "closes_on": "12/31/2030"})  # the page's date field sends YYYY-MM-DD only
    for data in bad:
        back = admin.post(url("fourrs_round_new"), data)
        assert back.status_code == 302 and back["Location"] == url("fourrs_home")
        shown = admin.get(back["Location"]).content.decode()
        assert "The round was not opened." in shown and "None:" not in shown
    assert (
        "Title: This field is required."
        in admin.get(admin.post(url("fourrs_round_new"), {"title": ""})["Location"]).content.decode()
    )
    member = client_for(tenant_a.users[Role.MEMBER])
    theirs = {**dict.fromkeys(fourrs.KEYS, "4"), "scope": "account_team", "account": str(other.pk)}
    refused = member.post(url("fourrs_take"), theirs)
    assert refused.status_code == 400 and b"Choose the account whose team" in refused.content
    with tenant_a.ctx():
        assert not FourRsRound.objects.exists() and not FourRsResult.objects.exists()
    made = admin.post(url("fourrs_round_new"), {"title": "Team", "scope": "account_team", "account": account_a.pk})
    with tenant_a.ctx():
        round = FourRsRound.objects.get()
    assert round.account_id == account_a.pk and made["Location"] == url("fourrs_round", round.pk)


def pdf_text(world, document):
    with world.ctx():
        document.refresh_from_db()
        with document.file.open("rb") as handle:
            return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)


def test_the_report_and_the_4rs_pdfs_render_with_their_tables(tenant_a, account_a, client_for,
                                                              django_capture_on_commit_callbacks):  # fmt: skip
    assessment, rec = shared_assessment(tenant_a, account_a)
    with tenant_a.ctx():
        services.recommendation_accept(recommendation=rec, acting_user=None)
        round = fourrs_services.fourrs_round_create(data={"title": "Review 2026"}, acting_user=None)
        answering = [tenant_a.users[Role.MEMBER], tenant_a.admin, tenant_a.users[Role.ACCOUNT_MANAGER]]
        fourrs_services.fourrs_round_invite(round=round, user_ids=[u.pk for u in answering], acting_user=None)
        item, *_ = [
            fourrs_services.fourrs_result_submit(respondent=u, answers=dict.fromkeys(fourrs.KEYS, 2), round=round)
            for u in answering
        ]
        fourrs_services.fourrs_round_close(round=round)
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    member = client_for(tenant_a.users[Role.MEMBER])
    with django_capture_on_commit_callbacks(execute=False):
        am.post(url("assessment_report", assessment.pk))
        am.post(url("fourrs_round_pdf", round.pk))
        member.post(url("fourrs_result_pdf", item.pk))
    with tenant_a.ctx():
        documents = {d.kind: d for d in Document.objects.all()}
    for document in documents.values():
        assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "ready"
    text = pdf_text(tenant_a, documents[reports.REPORT])
    for expected in ("Mid-contract: Globex", "Findings", "Weaknesses", "Incidents bounce", "Journey map",
                     "Recommendations", "One incident route", "Our cost", "The customer's payback", "Our payback",
                     "customer benefit 6,000.00 a year → payback 4.0 months", "Action plan", "Name an owner",
                     "Progress of the accepted actions", "What the customer told us",
                     "What our team told us"):  # fmt: skip
        assert expected.lower() in " ".join(text.split()).lower(), expected
    round_text = pdf_text(tenant_a, documents[reports.ROUND])
    assert "Review 2026" in round_text and "Call for help" in round_text and "Resolution" in round_text
    assert "Weakest items" in round_text and "Publish one route for problems" in round_text
    result_text = pdf_text(tenant_a, documents[reports.RESULT])
    assert "30" in result_text and "best practice" in result_text.lower()
    # One person's result PDF is theirs alone; the round's is for everyone who sees reports.
    own = documents[reports.RESULT]
    assert member.get(reverse("document_download", args=["alpha", own.pk])).status_code == 200
    assert am.get(reverse("document_download", args=["alpha", own.pk])).status_code == 404
    assert am.get(reverse("document_download", args=["alpha", documents[reports.ROUND].pk])).status_code == 200


def test_odd_numbers_and_ids_are_refused_not_errors(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    page = url("assessment_detail", assessment.pk)
    for route, data in (("assessment_step_add", {"name": "x", "rating": "²"}),
                        ("assessment_interview_add", {"contact": "²"}),
                        ("assessment_interview_add", {"contact": "1", "topic-contract": "x" * 5001}),
                        ("assessment_finding_add", {"kind": "W", "text": "t", "steps": ["²"]}),
                        ("assessment_finding_add", {"kind": "W", "text": "t\x00"}),
                        ("assessment_rec_add", {"title": "t", "start": "2030-01-01", "end": "2030-01-02",
                                                "finding": "²"}),
                        ("assessment_rec_add", {"title": "t", "start": "2030-02-30", "end": "2030-01-02"}),
                        ("assessment_rec_add", {"title": "t", "start": "2030-01-01", "end": "2030-01-02",
                                                "cost_hours": "1e999", "pb-us-efficiency": "-1"}),
                        ("assessment_summary", {"title": ""}),
                        ("assessment_expert_add", {"user": "999999"}),
                        ("assessment_step_add", {"name": "x", "rating": "99999999999999999999"})):  # fmt: skip
        assert am.post(url(route, assessment.pk), data).status_code == 400, data
        swapped = am.post(url(route, assessment.pk), data, headers={"HX-Request": "true"})
        assert swapped.status_code == 422 and b"<html" not in swapped.content, data  # the tab, with its errors
    assert am.post(page + "steps/²/", {"name": "x"}).status_code == 404
    assert am.post(url("assessment_step_edit", assessment.pk, 10**20), {"name": "x"}).status_code == 404
    assert am.get(url("fourrs_take") + "?round=²").status_code == 200
    member = client_for(tenant_a.users[Role.MEMBER])
    odd = member.post(url("fourrs_take"), {**dict.fromkeys(fourrs.KEYS, "3"), fourrs.KEYS[0]: "²"})
    assert odd.status_code == 400
    alone = member.post(url("fourrs_take"), {**dict.fromkeys(fourrs.KEYS, "3"), "account": str(account_a.pk)})
    assert alone.status_code == 400 and "choose “One account team”".encode() in alone.content
    with tenant_a.ctx():
        assert not JourneyStep.objects.exists() and not FourRsResult.objects.exists()


def test_payback_notes_survive_an_edit_and_sums_keep_their_rate(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
        rec = services.recommendation_save(
            assessment=assessment,
            data={
                "title": "Route",
                "start": "2030-01-01",
                "end": "2030-01-31",
                "cost_hours": "10",
                "paybacks": [{"beneficiary": "us", "category": "efficiency", "amount": "500", "note": "fewer tickets"}],
            },
        )
        services.assessment_settings_update(data={"window_start_pct": 40, "window_end_pct": 60, "hourly_rate": "999",
                                    "currency": "EUR"}, acting_user=None)  # fmt: skip
        assert selectors.assessment_totals(assessment)["all"].cost_total == 1000  # still 10 h x 100, in USD
        assert selectors.assessment_totals(assessment)["currency"] == "USD"
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    page = url("assessment_detail", assessment.pk)
    shown = am.get(page + "?tab=recommendations")
    assert b'value="fewer tickets"' in shown.content and b"Cost in money (USD)" in shown.content
    edited = am.post(url("assessment_rec_edit", assessment.pk, rec.pk), {"title": "Route 2", "start": "2030-01-01",
                            "end": "2030-01-31", "cost_hours": "10", "cost_money": "0", "priority": "2",
                            "pb-us-efficiency": "600", "pbn-us-efficiency": "fewer tickets"})  # fmt: skip
    assert edited.status_code == 302
    with tenant_a.ctx():
        payback = rec.paybacks.get()
        assert (payback.amount, payback.note) == (600, "fewer tickets")


def test_drafts_can_be_deleted_shared_ones_stay(tenant_a, account_a, client_for):
    assessment, _ = shared_assessment(tenant_a, account_a)
    with tenant_a.ctx():
        draft = services.assessment_create(account=account_a, data={"title": "Oops"}, acting_user=None)
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    assert am.post(url("assessment_delete", assessment.pk)).status_code == 400
    assert client_for(tenant_a.users[Role.VIEWER]).post(url("assessment_delete", draft.pk)).status_code == 403
    gone = am.post(url("assessment_delete", draft.pk))
    assert gone["Location"] == url("assessment_list")
    with tenant_a.ctx():
        assert list(Assessment.objects.all()) == [assessment]


def test_viewers_are_not_invited_and_rounds_list_newest_first(tenant_a, client_for):
    from assessments.models import FourRsRound

    with tenant_a.ctx():
        old = FourRsRound.objects.create(title="Old round", opens_on=date(2025, 1, 1))
        new = FourRsRound.objects.create(title="New round", opens_on=date(2026, 1, 1))
        with pytest.raises(ValidationError, match="Viewers"):
            fourrs_services.fourrs_round_invite(round=new, user_ids=[tenant_a.users[Role.VIEWER].pk], acting_user=None)
    admin = client_for(tenant_a.admin)
    page = admin.get(url("fourrs_round", new.pk)).content.decode()
    assert "Vera" not in page and tenant_a.users[Role.VIEWER].display_name not in page
    home = admin.get(url("fourrs_home")).content.decode()
    assert home.index("New round") < home.index("Old round")
    _ = old


def test_the_organisation_over_time_includes_answers_taken_alone(tenant_a, client_for):
    from datetime import timedelta

    from django.utils import timezone

    people = [tenant_a.users[r] for r in (Role.MEMBER, Role.ACCOUNT_MANAGER, Role.EXECUTIVE)]
    with tenant_a.ctx():
        for person, rating in zip(people, (2, 4, 3), strict=True):
            item = fourrs_services.fourrs_result_submit(respondent=person, answers=dict.fromkeys(fourrs.KEYS, rating))
            FourRsResult.objects.filter(pk=item.pk).update(taken_at=timezone.now() - timedelta(days=400))
        fourrs_services.fourrs_result_submit(
            respondent=people[0], answers=dict.fromkeys(fourrs.KEYS, 5)
        )  # later: replaces the 2
        now = fourrs_selectors.rollup_as_of(timezone.localdate())
        then = fourrs_selectors.rollup_as_of(timezone.localdate() - timedelta(days=380))
    assert now["respondents"] == 1 and now["hidden"]  # the others' answers are over a year old
    assert then["respondents"] == 3 and then["total"] == 45
    viewer = client_for(tenant_a.users[Role.VIEWER])
    day = (timezone.localdate() - timedelta(days=380)).isoformat()
    page = viewer.get(url("fourrs_organisation") + f"?on={day}")
    assert page.status_code == 200 and b"from 3 people" in page.content and page.content.count(b"<svg") >= 5
    assert viewer.get(url("fourrs_organisation") + "?on=someday").status_code == 400
    assert viewer.get(url("fourrs_organisation") + "?before=2026-02-30").status_code == 400
    assert viewer.get(url("fourrs_organisation") + "?account=999999").status_code == 404


def test_starting_an_assessment_answers_the_prompt(tenant_a, account_a):
    contract = contract_at(tenant_a, account_a, progress=0.5)
    with tenant_a.ctx():
        services.prompts_send()
        prompt = ActionItem.objects.get(dedupe_key=f"midcontract:{contract.pk}")
        assert prompt.status == "open"
        services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
        prompt.refresh_from_db()
        assert prompt.status == "done"
