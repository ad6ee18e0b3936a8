"""The account team is interviewed too (a contact or a colleague, never both, once each), and sharing records who
at the customer confirmed the recommendations and when: services, pages, API and the report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Contact, TeamAssignment
from assessments import reports, selectors, services
from assessments.models import Assessment, Interview, TeamMember
from sam.documents.services import document_html
from sam.models import Document
from sam.roles import Role
from tests.accounts.conftest import make_account
from tests.assessments.conftest import shared_assessment
from tests.assessments.test_views import _count
from tests.qbr.test_api import api, patch, post

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def in_review(world, account):
    """An assessment with a finding, in review (one step from sharing), and a contact of the account."""
    with world.ctx():
        erin = Contact.objects.create(account=account, name="Erin Economic", title="CFO", buyer_role="economic")
        assessment = services.assessment_create(account=account, data={"title": "Mid"}, acting_user=account.owner)
        services.finding_save(assessment=assessment, data={"kind": "W", "text": "Incidents bounce"})
        services.assessment_transition(assessment=assessment, to="in_review", acting_user=None)
    return assessment, erin


# --- interviews of our own team --------------------------------------------------------------------------


def test_a_colleague_of_the_team_is_interviewed_once_and_never_with_a_contact(tenant_a, tenant_b, account_a):
    member, executive = tenant_a.users[Role.MEMBER], tenant_a.users[Role.EXECUTIVE]
    with tenant_a.ctx():
        erin = Contact.objects.create(account=account_a, name="Erin")
        account_services.team_assign(account=account_a, user_id=member.pk, role="technical_lead")
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
        ours = services.interview_save(
            assessment=assessment, data={"colleague": str(member.pk), "notes": {"processes": "Slow change board"}}
        )
        assert (ours.colleague, ours.contact, ours.is_customer, ours.who) == (member, None, False, member.display_name)
        theirs = services.interview_save(assessment=assessment, data={"contact": erin.pk, "notes": {"wants": "Speed"}})
        assert theirs.is_customer and theirs.who == "Erin"
        # The account owner (on the assessment team) and an expert invited to it may be interviewed too.
        services.interview_save(assessment=assessment, data={"colleague": account_a.owner_id})
        services.expert_add(assessment=assessment, user_id=executive.pk, acting_user=None)
        services.interview_save(assessment=assessment, data={"colleague": executive.pk})
        refusals = (
            ({"contact": erin.pk, "colleague": member.pk}, "not both"),
            ({}, "Choose who was interviewed"),
            ({"contact": "", "colleague": None}, "Choose who was interviewed"),
            ({"colleague": member.pk}, "has an interview already"),
            ({"colleague": tenant_a.admin.pk}, "on the account's team or on this assessment's team"),  # not on a team
            ({"colleague": tenant_b.admin.pk}, "on the account's team"),  # another tenant's person
            ({"colleague": "²"}, "on the account's team"),
            ({"contact": erin.pk}, "has an interview already"),
        )
        for data, message in refusals:
            with pytest.raises(ValidationError, match=message):
                services.interview_save(assessment=assessment, data=data)
        # Corrected afterwards: who it was with, once each still.
        with pytest.raises(ValidationError, match="has an interview already"):
            services.interview_save(assessment=assessment, interview=ours, data={"contact": erin.pk})
        with pytest.raises(ValidationError, match="not both"):
            services.interview_save(assessment=assessment, interview=ours, data={"contact": erin.pk,
                                                                               "colleague": member.pk})  # fmt: skip
        theirs.delete()
        services.interview_save(assessment=assessment, interview=ours, data={"contact": erin.pk})
        ours.refresh_from_db()
        assert (ours.contact, ours.colleague, ours.notes) == (erin, None, {"processes": "Slow change board"})
        services.interview_save(assessment=assessment, interview=ours, data={"colleague": member.pk, "contact": ""})
        ours.refresh_from_db()
        assert (ours.contact, ours.colleague) == (None, member)
        # Someone who has left the team since keeps their interview, and its notes can still be edited.
        TeamAssignment.objects.filter(user=member).delete()
        TeamMember.objects.filter(user=member).delete()
        again = {"colleague": member.pk, "contact": None, "notes": {"wants": "Fewer surprises"}}
        services.interview_save(assessment=assessment, interview=ours, data=again)
        ours.refresh_from_db()
        assert ours.colleague == member and ours.notes["wants"] == "Fewer surprises"
        assert Interview.objects.count() == 3
        # The database says the same, whoever writes.
        for bad in ({"contact": None, "colleague": None}, {"contact": erin, "colleague": member},
                    {"contact": None, "colleague": member}):  # fmt: skip
            with pytest.raises(IntegrityError), transaction.atomic():
                Interview.objects.create(assessment=assessment, **bad)


def test_the_two_views_side_by_side_by_guide_topic(tenant_a, account_a):
    member = tenant_a.users[Role.MEMBER]
    with tenant_a.ctx():
        erin = Contact.objects.create(account=account_a, name="Erin")
        account_services.team_assign(account=account_a, user_id=member.pk, role="technical_lead")
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
        services.interview_save(assessment=assessment, data={"contact": erin.pk, "held_on": "2026-01-05",
                                "notes": {"wants": "Faster fixes", "contract": "Fits"}})  # fmt: skip
        services.interview_save(assessment=assessment, data={"colleague": member.pk, "held_on": "2026-01-06",
                                "notes": {"wants": "A change calendar"}})  # fmt: skip
        customer, team = selectors.interviews_by_topic(list(Interview.objects.select_related("contact", "colleague")))
    assert customer["title"] == "What the customer told us" and team["title"] == "What our team told us"
    assert [(t["label"], [(n["who"], n["text"]) for n in t["notes"]]) for t in customer["topics"]] == [
        ("The contract", [("Erin", "Fits")]),
        ("What you want most", [("Erin", "Faster fixes")]),
    ]
    assert [(t["key"], [n["text"] for n in t["notes"]]) for t in team["topics"]] == [("wants", ["A change calendar"])]


def test_interviews_on_the_page(tenant_a, tenant_b, account_a, client_for):
    member = tenant_a.users[Role.MEMBER]
    with tenant_a.ctx():
        erin = Contact.objects.create(account=account_a, name="Erin Economic")
        account_services.team_assign(account=account_a, user_id=member.pk, role="technical_lead")
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    add = url("assessment_interview_add", assessment.pk)
    form = am.get(url("assessment_detail", assessment.pk) + "?tab=interviews").content.decode()
    assert 'for="ni-contact">A contact of the customer' in form and 'for="ni-colleague">or a colleague' in form
    assert member.display_name in form
    both = am.post(add, {"contact": erin.pk, "colleague": member.pk, "topic-wants": "x"})
    assert both.status_code == 400 and b"not both" in both.content
    assert b'name="topic-wants"' in both.content and b">\nx</textarea>" in both.content  # what was typed comes back
    neither = am.post(add, {"topic-wants": "x"}, headers={"HX-Request": "true"})
    assert neither.status_code == 422 and b"Choose who was interviewed" in neither.content
    assert am.post(add, {"colleague": tenant_a.admin.pk}).status_code == 400  # not on either team
    assert am.post(add, {"colleague": tenant_b.admin.pk}).status_code == 400
    with tenant_a.ctx():
        assert not Interview.objects.exists()
    assert am.post(add, {"colleague": member.pk, "topic-processes": "Our change board is slow"}).status_code == 302
    assert am.post(add, {"contact": erin.pk, "topic-processes": "Changes surprise us"}).status_code == 302
    shown = am.get(url("assessment_detail", assessment.pk) + "?tab=interviews").content.decode()
    customer, team = shown.index("What the customer told us"), shown.index("What our team told us")
    assert customer < shown.index("Changes surprise us") < team < shown.index("Our change board is slow")
    assert "our team</span>" in shown
    with tenant_a.ctx():
        ours = Interview.objects.get(colleague=member)
    edit = url("assessment_interview_edit", assessment.pk, ours.pk)
    assert f'id="iv{ours.pk}-colleague"' in shown  # the edit form names who it was with, and may correct it
    assert am.post(edit, {"colleague": member.pk, "topic-wants": "A calendar"}).status_code == 302
    taken = am.post(edit, {"contact": erin.pk, "topic-wants": "y"})  # Erin has hers already
    assert taken.status_code == 400 and b"has an interview already" in taken.content
    nobody = am.post(edit, {"topic-wants": "y"}, headers={"HX-Request": "true"})
    assert nobody.status_code == 422 and b"Choose who was interviewed" in nobody.content
    with tenant_a.ctx():
        ours.refresh_from_db()
        assert (ours.colleague, ours.notes) == (
            member,
            {"processes": "Our change board is slow", "wants": "A calendar"},
        )
    viewer = client_for(tenant_a.users[Role.VIEWER])
    assert viewer.post(add, {"colleague": member.pk}).status_code == 403
    other = client_for(tenant_b.admin)
    assert other.post(reverse("assessment_interview_add", args=["bravo", assessment.pk]), {}).status_code == 404


def test_team_interviews_keep_the_tab_at_a_constant_number_of_queries(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    page = url("assessment_detail", assessment.pk) + "?tab=interviews"

    def grow(n):
        with tenant_a.ctx():
            for i in range(n):
                contact = Contact.objects.create(account=account_a, name=f"Contact {n}-{i}")
                Interview.objects.create(assessment=assessment, contact=contact, notes={"wants": "x"})
            role = ("technical_lead", "sales_engineer", "customer_service_manager")[n % 3]
            user = (tenant_a.users[Role.MEMBER], tenant_a.users[Role.EXECUTIVE], tenant_a.admin)[n % 3]
            account_services.team_assign(account=account_a, user_id=user.pk, role=role)
            Interview.objects.create(assessment=assessment, colleague=user, notes={"wants": "y", "people": "z"})

    grow(1)
    am.get(page)
    before = _count(am, page)
    grow(2)
    grow(3)
    assert _count(am, page) == before


def test_interviews_through_the_api(tenant_a, tenant_b, account_a):
    member = tenant_a.users[Role.MEMBER]
    other_account = make_account(tenant_a, name="Initech")
    with tenant_a.ctx():
        erin = Contact.objects.create(account=account_a, name="Erin")
        elsewhere = Contact.objects.create(account=other_account, name="Not theirs")
        account_services.team_assign(account=account_a, user_id=member.pk, role="technical_lead")
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
    client = api(tenant_a)
    made = post(client, "/api/v1/interviews/", {"assessment": assessment.pk, "colleague": member.pk,
                                                "notes": {"processes": "Slow"}})  # fmt: skip
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["side"], body["colleague"], body["contact"], body["notes"]) == ("team", member.pk, None,
                                                                                 {"processes": "Slow"})  # fmt: skip
    theirs = post(client, "/api/v1/interviews/", {"assessment": assessment.pk, "contact": erin.pk})
    assert theirs.status_code == 201 and theirs.json()["side"] == "customer"
    for bad, field in (
        ({"contact": erin.pk, "colleague": member.pk}, "colleague"),
        ({}, "contact"),
        ({"contact": None, "colleague": None}, "contact"),
        ({"colleague": member.pk}, "colleague"),  # once
        ({"colleague": tenant_a.admin.pk}, "colleague"),  # not on a team
        ({"colleague": tenant_b.admin.pk}, "colleague"),  # not of this workspace
        ({"contact": elsewhere.pk}, "contact"),  # another account's
        ({"contact": "x"}, "contact"),
        ({"colleague": member.pk, "notes": {"gossip": "x"}}, "colleague"),
    ):
        response = post(client, "/api/v1/interviews/", {"assessment": assessment.pk, **bad})
        assert response.status_code == 400 and field in response.json(), (bad, response.json())
    assert "not both" in str(post(client, "/api/v1/interviews/", {"assessment": assessment.pk, "contact": erin.pk,
                                                                  "colleague": member.pk}).json())  # fmt: skip
    taken = patch(client, f"/api/v1/interviews/{body['id']}/", {"contact": erin.pk})  # Erin has hers already
    assert taken.status_code == 400 and "has an interview already" in str(taken.json())
    assert patch(client, f"/api/v1/interviews/{body['id']}/", {"colleague": None}).status_code == 400  # nobody
    both = patch(client, f"/api/v1/interviews/{body['id']}/", {"contact": erin.pk, "colleague": member.pk})
    assert both.status_code == 400 and "not both" in str(both.json())
    noted = patch(client, f"/api/v1/interviews/{body['id']}/", {"notes": {"wants": "A calendar"}})
    assert noted.status_code == 200 and noted.json()["notes"] == {"processes": "Slow", "wants": "A calendar"}
    with tenant_a.ctx():
        assert Interview.objects.count() == 2
    listed = client.get(f"/api/v1/interviews/?assessment={assessment.pk}").json()["results"]
    assert [i["side"] for i in listed] == ["team", "customer"]
    assert api(tenant_a, Role.VIEWER).get(f"/api/v1/interviews/{body['id']}/").status_code == 200
    viewer = api(tenant_a, Role.VIEWER)
    assert post(viewer, "/api/v1/interviews/", {"assessment": assessment.pk, "colleague": member.pk}).status_code == 403
    other = api(tenant_b, Role.ADMIN)
    assert other.get(f"/api/v1/interviews/{body['id']}/").status_code == 404
    assert other.delete(f"/api/v1/interviews/{body['id']}/").status_code == 404
    assert post(other, "/api/v1/interviews/", {"assessment": assessment.pk, "colleague": member.pk}).status_code == 400
    assert client.delete(f"/api/v1/interviews/{body['id']}/").status_code == 204


# --- the customer's confirmation ----------------------------------------------------------------------------


def test_confirmation_rules(tenant_a, account_a):
    assessment, erin = in_review(tenant_a, account_a)
    today = timezone.localdate()
    other = make_account(tenant_a, name="Initech")
    with tenant_a.ctx():
        stranger = Contact.objects.create(account=other, name="Not theirs")
        with pytest.raises(ValidationError, match="Share the assessment"):
            services.assessment_confirmation_record(
                assessment=assessment, data={"confirmed_by": erin.pk, "confirmed_on": today}, acting_user=None
            )
        bad = (
            ({"confirmed_by": erin.pk, "confirmed_on": today + timedelta(days=1)}, "confirmed_on", "in the future"),
            ({"confirmed_by": erin.pk, "confirmed_on": assessment.started_on - timedelta(days=1)}, "confirmed_on",
             "before the assessment started"),
            ({"confirmed_by": erin.pk, "confirmed_on": "2026-02-30"}, "confirmed_on", "YYYY-MM-DD"),
            ({"confirmed_by": erin.pk, "confirmed_on": ""}, "confirmed_on", "When did they confirm"),
            ({"confirmed_by": stranger.pk, "confirmed_on": today}, "confirmed_by", "contact of this account"),
            ({"confirmed_by": 999999, "confirmed_on": today}, "confirmed_by", "contact of this account"),
            ({"confirmed_by": True, "confirmed_on": today}, "confirmed_by", "contact of this account"),
            ({"confirmed_on": today}, "confirmed_by", "Name the contact"),
        )  # fmt: skip
        for data, field, message in bad:
            with pytest.raises(ValidationError) as error:
                services.assessment_transition(assessment=assessment, to="shared", acting_user=None, confirmation=data)
            assert message in " ".join(error.value.message_dict[field]), data
        fresh = Assessment.objects.get(pk=assessment.pk)
        assert (fresh.status, fresh.shared_on, fresh.confirmed_by, fresh.confirmed_on) == ("in_review", None, None,
                                                                                          None)  # fmt: skip
        # Shared with the confirmation; corrected later; the day may be the day it started, or today.
        services.assessment_transition(assessment=assessment, to="shared", acting_user=None,
                                       confirmation={"confirmed_by": erin.pk, "confirmed_on": today})  # fmt: skip
        assert (assessment.confirmed_by, assessment.confirmed_on) == (erin, today)
        services.assessment_confirmation_record(assessment=assessment, acting_user=None,
                                                data={"confirmed_by": str(erin.pk),
                                                      "confirmed_on": assessment.started_on.isoformat()})  # fmt: skip
        fresh = Assessment.objects.get(pk=assessment.pk)
        assert fresh.confirmed_on == fresh.started_on and fresh.confirmed_by == erin
        with pytest.raises(ValidationError, match="recorded when the assessment is shared"):
            services.assessment_transition(assessment=assessment, to="action_plan", acting_user=None,
                                           confirmation={"confirmed_by": erin.pk})  # fmt: skip
        # The contact leaves the record: the day stays.
        erin.delete()
        fresh = Assessment.objects.get(pk=assessment.pk)
        assert fresh.confirmed_by is None and fresh.confirmed_on == fresh.started_on
        with pytest.raises(IntegrityError), transaction.atomic():
            Assessment.objects.filter(pk=assessment.pk).update(confirmed_on=fresh.started_on - timedelta(days=1))


def test_confirmation_on_the_page(tenant_a, tenant_b, account_a, client_for):
    assessment, erin = in_review(tenant_a, account_a)
    today = timezone.localdate()
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    page = url("assessment_detail", assessment.pk)
    status = url("assessment_status", assessment.pk)
    shown = am.get(page).content.decode()
    assert 'for="sh-confirmed_by">Confirmed by' in shown and "Mark shared with the customer" in shown
    future = am.post(status, {"status": "shared", "confirmed_by": erin.pk,
                              "confirmed_on": (today + timedelta(days=2)).isoformat()})  # fmt: skip
    assert future.status_code == 400 and b"cannot be in the future" in future.content
    assert am.post(status, {"status": "shared", "confirmed_by": "999999"}).status_code == 400
    with tenant_a.ctx():
        assert Assessment.objects.get(pk=assessment.pk).status == "in_review"
    # Shared without naming anyone (the day alone counts for nothing), then recorded afterwards.
    assert (
        am.post(status, {"status": "shared", "confirmed_by": "", "confirmed_on": today.isoformat()}).status_code == 302
    )
    with tenant_a.ctx():
        assert Assessment.objects.get(pk=assessment.pk).confirmed_on is None
    assert b"nobody at the customer is recorded as confirming" in am.get(page).content
    confirm = url("assessment_confirmation", assessment.pk)
    missing = am.post(confirm, {"confirmed_on": today.isoformat()}, headers={"HX-Request": "true"})
    assert missing.status_code == 422 and b"Name the contact who confirmed" in missing.content
    early = am.post(confirm, {"confirmed_by": erin.pk, "confirmed_on": "2001-01-01"})
    assert early.status_code == 400 and b"before the assessment started" in early.content
    assert client_for(tenant_a.users[Role.VIEWER]).post(confirm, {"confirmed_by": erin.pk}).status_code == 403
    assert client_for(tenant_a.users[Role.EXECUTIVE]).post(confirm, {"confirmed_by": erin.pk}).status_code == 403
    other = client_for(tenant_b.admin).post(reverse("assessment_confirmation", args=["bravo", assessment.pk]),
                                            {"confirmed_by": erin.pk, "confirmed_on": today.isoformat()})  # fmt: skip
    assert other.status_code == 404
    with tenant_a.ctx():
        assert Assessment.objects.get(pk=assessment.pk).confirmed_on is None
    assert am.post(confirm, {"confirmed_by": erin.pk, "confirmed_on": today.isoformat()}).status_code == 302
    shown = am.get(page).content.decode()
    assert f"confirmed by Erin Economic (CFO) on {today:%-d %b %Y}" in shown
    with tenant_a.ctx():
        assessment.refresh_from_db()
        document = Document.objects.create(kind=reports.REPORT, subject_type="assessments.assessment",
                                           subject_id=assessment.pk, version=1, title="t")  # fmt: skip
        html = document_html(document)
    assert "Confirmed by the customer:</strong> Erin Economic, CFO, on" in html


def test_confirmation_through_the_api(tenant_a, tenant_b, account_a):
    assessment, erin = in_review(tenant_a, account_a)
    today = timezone.localdate().isoformat()
    client = api(tenant_a)
    transition = f"/api/v1/assessments/{assessment.pk}/transition/"
    bad = post(client, transition, {"status": "shared", "confirmed_by": erin.pk, "confirmed_on": "tomorrow"})
    assert bad.status_code == 400 and "confirmed_on" in bad.json()
    assert post(client, transition, {"status": "shared", "confirmed_on": today}).status_code == 400  # nobody named
    assert client.get(f"/api/v1/assessments/{assessment.pk}/").json()["status"] == "in_review"
    shared = post(client, transition, {"status": "shared", "confirmed_by": erin.pk, "confirmed_on": today})
    assert shared.status_code == 200, shared.json()
    body = shared.json()
    assert (body["status"], body["confirmed_by"], body["confirmed_by_name"], body["confirmed_on"]) == (
        "shared", erin.pk, "Erin Economic", today)  # fmt: skip
    confirmation = f"/api/v1/assessments/{assessment.pk}/confirmation/"
    for wrong in ({"confirmed_by": erin.pk, "confirmed_on": "2999-01-01"}, {"confirmed_by": "x", "confirmed_on": today},
                  {"confirmed_by": [erin.pk], "confirmed_on": today}, {"confirmed_by": erin.pk, "confirmed_on": 5},
                  {}):  # fmt: skip
        assert post(client, confirmation, wrong).status_code == 400, wrong
    assert post(api(tenant_a, Role.VIEWER), confirmation, {"confirmed_by": erin.pk}).status_code == 403
    assert post(api(tenant_b, Role.ADMIN), confirmation, {"confirmed_by": erin.pk}).status_code == 404
    assert post(client, confirmation, {"confirmed_by": erin.pk, "confirmed_on": today}).status_code == 200
    # Not changed through the assessment itself (read-only there; a shared assessment's content is final).
    assert patch(client, f"/api/v1/assessments/{assessment.pk}/", {"confirmed_on": "2020-01-01"}).status_code == 400
    assert client.get(f"/api/v1/assessments/{assessment.pk}/").json()["confirmed_on"] == today


def test_an_assessment_shared_without_confirmation_reads_so_in_the_api(tenant_a, account_a):
    assessment, _ = shared_assessment(tenant_a, account_a)
    body = api(tenant_a).get(f"/api/v1/assessments/{assessment.pk}/").json()
    assert (body["confirmed_by"], body["confirmed_by_name"], body["confirmed_on"]) == (None, None, None)
