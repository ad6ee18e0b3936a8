"""Survey pages and API: campaign list, new campaign with its recipients, detail with live progress, the
account's VoC tab, a contact's history, the survey program; bad input, roles and constant query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Contact
from sam.roles import Role
from tests.accounts.conftest import make_account
from tests.qbr.test_api import api, post
from tests.voc.test_campaigns import answered, draft, people
from voc import campaigns
from voc.models import Campaign, Invitation, Question, SurveyTemplate, SurveyVersion, VocSettings

pytestmark = pytest.mark.django_db
LOCAL = "%Y-%m-%dT%H:%M"


def url(world, name, *args):
    return reverse(name, args=[world.tenant.slug, *args])


def form(**change):
    now = timezone.localtime()
    data = {"name": "Spring pulse", "send_at": (now + timedelta(hours=1)).strftime(LOCAL),
            "closes_at": (now + timedelta(days=14)).strftime(LOCAL), "reminder_after_days": "7",
            "reminder_max": "2"}  # fmt: skip
    data.update(change)
    return data


def test_a_campaign_from_the_form_to_scheduled(tenant_a, account_a, client_for):
    people(tenant_a, account_a)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    with tenant_a.ctx():
        template = SurveyTemplate.objects.get(is_default=True)
    page = client.get(url(tenant_a, "voc_campaign_new"))
    assert page.status_code == 200 and b"2</strong> contacts" in page.content
    preview = client.post(url(tenant_a, "voc_campaign_audience"), {"buyer_roles": ["economic"]}, HTTP_HX_REQUEST="true")
    assert b"<strong>1</strong> contact " in preview.content
    for wrong in ({"tiers": ["999999"]}, {"buyer_roles": ["king"]}, {"accounts": ["x"]}):
        refused = client.post(url(tenant_a, "voc_campaign_audience"), wrong, HTTP_HX_REQUEST="true")
        assert refused.status_code == 422 and b"from the list." in refused.content
    made = client.post(url(tenant_a, "voc_campaign_new"), form(template=template.pk))
    assert made.status_code == 302
    with tenant_a.ctx():
        campaign = Campaign.objects.get()
    detail = client.get(made["Location"])
    body = detail.content.decode()
    assert "Cy Noemail" in body and "Di Optout" in body and "No email address" in body  # the visible left-out list
    scheduled = client.post(url(tenant_a, "voc_campaign_schedule", campaign.pk))
    assert scheduled.status_code == 302
    with tenant_a.ctx():
        assert Campaign.objects.get(pk=campaign.pk).status == "scheduled"
    progress = client.get(made["Location"] + "?part=progress", HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 5s"' in progress.content and b"<html" not in progress.content


@pytest.mark.parametrize(
    ("change", "message"),
    [({"name": ""}, b"This field is required"), ({"send_at": "tomorrow"}, b"Enter a valid date/time"),
     ({"reminder_max": "9"}, b"less than or equal to 5"), ({"tiers": ["999999"]}, b"Choose tiers from the list"),
     ({"buyer_roles": ["king"]}, b"Choose buyer roles from the list"), ({"name": "x" * 500}, b"at most 200 characters"),
     ({"send_at": "2020-01-01T10:00"}, b"in the past")],
)  # fmt: skip
def test_bad_campaign_forms_are_refused_with_the_reason_and_nothing_is_made(tenant_a, account_a, client_for, change,
                                                                             message):  # fmt: skip
    people(tenant_a, account_a)
    client = client_for(tenant_a.admin)
    with tenant_a.ctx():
        template = SurveyTemplate.objects.get(is_default=True)
    response = client.post(url(tenant_a, "voc_campaign_new"), form(template=template.pk, **change))
    assert response.status_code == 400 and message in response.content
    with tenant_a.ctx():
        assert not Campaign.objects.exists()


def test_another_tenants_account_in_the_form_is_refused(tenant_a, tenant_b, account_a, client_for):
    theirs = make_account(tenant_b, name="Theirs")
    with tenant_a.ctx():
        template = SurveyTemplate.objects.get(is_default=True)
    response = client_for(tenant_a.admin).post(url(tenant_a, "voc_campaign_new"),
                                                form(template=template.pk, accounts=[theirs.pk]))  # fmt: skip
    assert response.status_code == 400
    with tenant_a.ctx():
        assert not Campaign.objects.exists()


def test_scheduling_without_recipients_says_why(tenant_a, account_a, client_for):
    campaign, _ = draft(tenant_a)
    client = client_for(tenant_a.admin)
    response = client.post(url(tenant_a, "voc_campaign_schedule", campaign.pk))
    assert response.status_code == 400 and b"no recipients" in response.content


def test_viewers_see_results_but_cannot_run_campaigns(tenant_a, account_a, client_for):
    campaign = answered(tenant_a, account_a, [9])
    viewer = client_for(tenant_a.users[Role.VIEWER])
    assert viewer.get(url(tenant_a, "voc_campaign", campaign.pk)).status_code == 200
    assert viewer.get(url(tenant_a, "voc_campaign_new")).status_code == 403
    assert viewer.post(url(tenant_a, "voc_campaign_close", campaign.pk)).status_code == 403
    assert viewer.get(url(tenant_a, "voc_program")).status_code == 403
    with tenant_a.ctx():
        assert Campaign.objects.get(pk=campaign.pk).status == "sending"


def test_revoke_from_the_page(tenant_a, account_a, client_for):
    campaign = answered(tenant_a, account_a, [None])
    with tenant_a.ctx():
        invitation = Invitation.objects.get(campaign=campaign)
    client = client_for(tenant_a.admin)
    done = client.post(url(tenant_a, "voc_invitation_revoke", campaign.pk, invitation.pk))
    assert done.status_code == 302
    with tenant_a.ctx():
        assert Invitation.objects.get(pk=invitation.pk).status == "revoked"
    missing = client.post(url(tenant_a, "voc_invitation_revoke", campaign.pk, 999999))
    assert missing.status_code == 404


def test_empty_states(tenant_a, account_a, client_for):
    client = client_for(tenant_a.admin)
    assert b"No survey campaign yet" in client.get(url(tenant_a, "voc_campaigns")).content
    tab = client.get(url(tenant_a, "account_detail", account_a.pk) + "?tab=voc")
    assert b"No survey has asked this account yet" in tab.content
    with tenant_a.ctx():
        contact = Contact.objects.create(account=account_a, name="Erin", email="erin@example.test")
    assert b"Not asked yet" in client.get(url(tenant_a, "voc_contact", contact.pk)).content


def test_the_account_tab_and_contact_history_show_results_and_hide_names_under_anonymity(tenant_a, account_a,
                                                                                       client_for):  # fmt: skip
    answered(tenant_a, account_a, [10, 9, 3])
    client = client_for(tenant_a.users[Role.MEMBER])
    tab = client.get(url(tenant_a, "account_detail", account_a.pk) + "?tab=voc").content.decode()
    assert 'data-testid="account-nps">33<' in tab and "Truly loyal" in tab and "<svg" in tab
    with tenant_a.ctx():
        contact = Contact.objects.filter(account=account_a).first()
        VocSettings.objects.update_or_create(defaults={"anonymous": True, "anonymity_threshold": 5})
    tab = client.get(url(tenant_a, "account_detail", account_a.pk) + "?tab=voc").content.decode()
    assert "Hidden until 5 answers (2 more)" in tab and "Results are anonymous" in tab
    assert f">{contact.name}<" not in tab and f"{contact.name} · " not in tab  # a short name may hide in a token
    history = client.get(url(tenant_a, "voc_contact", contact.pk)).content.decode()
    assert "one contact's answers are not shown" in history


def test_list_detail_and_tab_run_a_constant_number_of_queries(tenant_a, account_a, client_for):
    client = client_for(tenant_a.admin)
    campaign = answered(tenant_a, account_a, [10, 3])
    pages = [url(tenant_a, "voc_campaigns"), url(tenant_a, "voc_campaign", campaign.pk),
             url(tenant_a, "account_detail", account_a.pk) + "?tab=voc"]  # fmt: skip

    def counts():
        found = []
        for path in pages:
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as few:
                assert client.get(path).status_code == 200
            found.append(few.final_queries - few.initial_queries)
        return found

    counts()  # the first visit makes the survey settings row
    before = counts()
    for n in range(4):
        other = make_account(tenant_a, name=f"More {n}")
        answered(tenant_a, other, [9, 6, 7, None])
    answered(tenant_a, account_a, [8, 8, 2, 10])
    assert counts() == before


def test_the_survey_program_versions_a_survey_in_use(tenant_a, account_a, client_for):
    answered(tenant_a, account_a, [9])  # the default survey is now in use
    client = client_for(tenant_a.admin)
    assert client.get(url(tenant_a, "voc_program")).status_code == 200
    with tenant_a.ctx():
        template = SurveyTemplate.objects.get(is_default=True)
        used = SurveyVersion.objects.get(template=template)
    add = url(tenant_a, "voc_question_add", template.pk)
    added = client.post(add, {"text": "Which sites do you use?", "kind": "multiple", "choices": "Berlin\nParis",
                              "role": "other", "required": "on"})  # fmt: skip
    assert added.status_code == 302
    with tenant_a.ctx():
        assert used.questions.count() == 4  # the version campaigns used is untouched
        newest = SurveyVersion.objects.filter(template=template).order_by("-number").first()
        assert newest.number == 2 and newest.questions.count() == 5
    bad = client.post(add, {"text": "Two NPS?", "kind": "nps", "role": "nps"})
    assert bad.status_code == 400 and b"already has its Net Promoter Score question" in bad.content
    bad = client.post(add, {"text": "Pick", "kind": "single", "role": "other", "choices": "Only one"})
    assert bad.status_code == 400 and b"Give 2 to 12 different options" in bad.content
    settings = client.post(url(tenant_a, "voc_program_settings"), {"anonymity_threshold": "1",
                           "attitude_cutoff": "4", "intent_cutoff": "4"})  # fmt: skip
    assert settings.status_code == 400
    with tenant_a.ctx():
        assert VocSettings.objects.get().anonymity_threshold == 3
        assert Question.objects.filter(version=newest).count() == 5


def test_each_change_of_the_survey_program_has_its_route_and_swaps_its_card(tenant_a, tenant_b, client_for):
    client = client_for(tenant_a.admin)
    htmx = {"HTTP_HX_REQUEST": "true"}
    assert client.get(url(tenant_a, "voc_program")).status_code == 200  # makes the default survey
    made = client.post(url(tenant_a, "voc_survey_create"), {"name": "Onboarding pulse"})
    assert made.status_code == 302
    assert client.post(url(tenant_a, "voc_survey_create"), {"name": "Onboarding pulse"}).status_code == 400
    assert client.post(url(tenant_a, "voc_survey_create"), {"name": "x\x00y"}).status_code == 400
    with tenant_a.ctx():
        survey = SurveyTemplate.objects.get(name="Onboarding pulse")
    add = url(tenant_a, "voc_question_add", survey.pk)
    for text in ("First?", "Second?"):
        card = client.post(add, {"text": text, "kind": "text", "role": "other"}, **htmx)
        assert card.status_code == 200 and f'id="survey-{survey.pk}"'.encode() in card.content
        assert b"<html" not in card.content and b"Question added." in card.content
    bad = client.post(add, {"text": "", "kind": "wrong", "role": "other"}, **htmx)
    assert bad.status_code == 422 and b"<html" not in bad.content
    with tenant_a.ctx():
        first, second = Question.objects.filter(version__template=survey).order_by("order")
    reworded = {"text": "First, reworded?", "kind": "text", "role": "other", "required": "on"}
    edited = client.post(url(tenant_a, "voc_question_edit", survey.pk, first.pk), reworded, **htmx)
    assert edited.status_code == 200 and b"First, reworded?" in edited.content
    assert client.post(url(tenant_a, "voc_question_down", survey.pk, first.pk), **htmx).status_code == 200
    with tenant_a.ctx():
        order = Question.objects.filter(version__template=survey).order_by("order").values_list("text", flat=True)
        assert list(order) == ["Second?", "First, reworded?"]
    assert client.post(url(tenant_a, "voc_question_delete", survey.pk, second.pk)).status_code == 302
    last = client.post(url(tenant_a, "voc_question_delete", survey.pk, first.pk), **htmx)
    assert last.status_code == 422 and b"at least one question" in last.content
    assert client.post(url(tenant_a, "voc_survey_default", survey.pk)).status_code == 302
    saved = client.post(url(tenant_a, "voc_program_settings"), {"anonymity_threshold": "5", "attitude_cutoff": "4",
                        "intent_cutoff": "4"}, **htmx)  # fmt: skip
    assert saved.status_code == 200 and b'id="voc-settings"' in saved.content and b"<html" not in saved.content
    with tenant_a.ctx():
        assert SurveyTemplate.objects.get(pk=survey.pk).is_default
        assert VocSettings.objects.get().anonymity_threshold == 5
    # A question of another survey, or another tenant's survey: not found; a GET: not allowed.
    with tenant_a.ctx():
        other = SurveyTemplate.objects.exclude(pk=survey.pk).first()
    assert client.post(url(tenant_a, "voc_question_edit", other.pk, first.pk), {"text": "x"}).status_code == 404
    assert client_for(tenant_b.admin).post(url(tenant_b, "voc_question_add", survey.pk), {}).status_code == 404
    assert client.get(url(tenant_a, "voc_question_add", survey.pk)).status_code == 405
    assert client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).post(add, {"text": "x", "kind": "text"}).status_code == 403


def test_the_api_creates_campaigns_and_reads_status_and_results(tenant_a, tenant_b, account_a):
    people(tenant_a, account_a)
    client = api(tenant_a)
    now = timezone.now()
    body = {"name": "API pulse", "buyer_roles": ["economic", "technical"], "send_at": now.isoformat(),
            "closes_at": (now + timedelta(days=10)).isoformat(), "schedule": True}  # fmt: skip
    made = post(client, "/api/v1/survey-campaigns/", body)
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["status"] == "scheduled" and data["progress"]["invited"] == 2
    with tenant_a.ctx():
        campaigns.invitations_send()
    statuses = client.get(f"/api/v1/survey-campaigns/{data['id']}/invitations/").json()["results"]
    assert {row["status"] for row in statuses} == {"sent"} and "token" not in str(statuses)
    result = client.get(f"/api/v1/survey-campaigns/{data['id']}/results/").json()
    assert result["overall"]["answered"] == 0 and result["overall"]["nps"] is None
    theirs = make_account(tenant_b, name="Theirs")
    for bad in ({**body, "accounts": [theirs.pk]}, {**body, "buyer_roles": ["king"]}, {**body, "send_at": "soon"},
                {**body, "name": ""}, {**body, "reminder_max": 50}):  # fmt: skip
        assert post(client, "/api/v1/survey-campaigns/", bad).status_code == 400
    empty = post(client, "/api/v1/survey-campaigns/", {**body, "buyer_roles": ["champion"]})
    assert empty.status_code == 400 and "no recipients" in empty.content.decode()
    with tenant_a.ctx():
        assert Campaign.objects.count() == 1  # the refused ones left nothing behind
    assert api(tenant_b).get(f"/api/v1/survey-campaigns/{data['id']}/").status_code == 404
    assert post(api(tenant_a, Role.MEMBER), "/api/v1/survey-campaigns/", body).status_code == 403
