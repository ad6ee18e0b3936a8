"""The account's VoC report (a PDF through the documents pipeline, its page, the account tab's button and the API)
and the digest a closing campaign emails each account's owner: the figures, anonymity, once only, the accounts
left out, roles, other tenants, bad input and constant query counts."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts import services as account_services
from accounts.models import Account, ActionItem, Contact
from accounts.playbook_services import DEFAULTS, playbooks_check
from sam.documents.tasks import render_document
from sam.models import Document, OutboundEmail
from sam.roles import Role
from sam.tenancy.context import tenant_context
from tests.accounts.conftest import make_account
from tests.qbr.test_api import api, post
from tests.voc.test_campaigns import draft
from tests.voc.test_tokens import submit
from voc import campaigns, reports, selectors, services
from voc.models import REPORT, Campaign, Invitation, Question, VocSettings

pytestmark = pytest.mark.django_db

COMMENTS = {
    "Quentin Promo": "Proactive and quick",
    "Rita Promo": "Reliable all year",
    "Sam Passive": "Invoices are often wrong",
    "Dora Detract": "Outages keep repeating",
}
SCORES = {"Quentin Promo": 10, "Rita Promo": 9, "Sam Passive": 7, "Dora Detract": 3}


def url(world, name, *args):
    return reverse(name, args=[world.tenant.slug, *args])


def asked(world, account, scores, *, name="Spring pulse", attitude=4, intent=4, site=None, everyone=False):
    """A sent campaign that asked the account's contacts (made here as needed; with ``everyone``, every live
    account's); each named contact with a score answers it, with their own comment (and ``site`` for the survey's
    choice question, when it has one)."""
    with world.ctx():
        contacts = {}
        for person in scores:
            email = person.lower().replace(" ", ".") + f".{account.pk}@example.test"
            contacts[person] = Contact.objects.get_or_create(account=account, name=person, defaults={"email": email})[0]
    campaign, _ = draft(world, campaigns.Audience(accounts=[] if everyone else [account.pk]), name=name)
    with world.ctx():
        campaigns.campaign_schedule(campaign=campaign, acting_user=world.admin)
        campaigns.invitations_send()
        questions = list(Question.objects.filter(version=campaign.version))
        for person, score in scores.items():
            if score is None:
                continue
            value = {"nps": str(score), "text": COMMENTS.get(person, f"Comment of {person}"), "single": site or ""}
            answers = {
                str(q.pk): value.get(q.kind, str(attitude if q.role == "attitude" else intent)) for q in questions
            }
            invitation = Invitation.objects.get(campaign=campaign, contact=contacts[person])
            submit(services.invitation_token(invitation), answers)
    return campaign


def answer_as(world, campaign, contact, nps, comment):
    with world.ctx():
        invitation = Invitation.objects.get(campaign=campaign, contact=contact)
        answers = {str(q.pk): {"nps": str(nps), "text": comment}.get(q.kind, "2")
                   for q in Question.objects.filter(version=campaign.version)}  # fmt: skip
        submit(services.invitation_token(invitation), answers)


def anonymous(world, k=3):
    with world.ctx():
        VocSettings.objects.update_or_create(defaults={"anonymous": True, "anonymity_threshold": k})


def pdf_text(document: Document) -> str:
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    # one space between words, and headings in the case they are written in (print.css capitalises them)
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages).lower()


def rendered(world, account, campaign=None, *, capture):
    with world.ctx(), capture(execute=False) as callbacks:
        document, created = services.account_report_request(
            account=account, campaign=campaign, acting_user=world.users[Role.ACCOUNT_MANAGER]
        )
    assert created and len(callbacks) == 1
    assert render_document.apply(args=[world.tenant.pk, document.pk]).result == "ready"
    with world.ctx():
        document.refresh_from_db()
    return document


def digests(world):
    with world.ctx():
        return list(OutboundEmail.objects.filter(idempotency_key__startswith="voc-digest-").order_by("pk"))


# --- what the report holds ---------------------------------------------------------------------------------


def test_the_pdf_has_the_figures_each_contacts_answers_comments_and_follow_ups(
    tenant_a, account_a, django_capture_on_commit_callbacks
):
    asked(tenant_a, account_a, {**SCORES, "Nora Silent": None})
    with tenant_a.ctx():
        playbooks_check()  # Dora's 3/10
        item = ActionItem.objects.filter(account=account_a, source_kind="survey").order_by("due", "pk").first()
        account_services.action_item_update(item=item, data={"status": "in_progress"}, acting_user=None)
    document = rendered(tenant_a, account_a, capture=django_capture_on_commit_callbacks)
    text = pdf_text(document)
    assert document.title == "Voice of the customer: Globex" and document.kind == REPORT
    # NPS = (2 promoters - 1 detractor) / 4 answers; shares of each; both loyalty axes at 4 of 5: truly loyal.
    for expected in ("Voice of the customer: Globex", "Spring pulse", "4 of 5",
                     "Net Promoter Score 25 from 4 answers", "50% (2) / 25% (1) / 25% (1)", "Truly loyal",
                     "Quentin Promo", "Dora Detract", "Nora Silent", "no answer", "Proactive and quick",
                     "Outages keep repeating", "Dora Detract scored 3/10", "In progress", "1 in progress",
                     "Page 1 of"):  # fmt: skip
        assert expected.lower() in text, expected


def test_under_anonymity_the_pdf_names_nobody_and_hides_small_groups(
    tenant_a, account_a, django_capture_on_commit_callbacks
):
    asked(tenant_a, account_a, SCORES, name="Big enough")  # 4 answers
    with tenant_a.ctx():
        playbooks_check()  # titled with Dora's name: anonymity was off then
    asked(tenant_a, account_a, {"Quentin Promo": 2, "Rita Promo": None, "Sam Passive": None, "Dora Detract": None,
                                "Eve Early": 6}, name="Too few")  # fmt: skip
    with tenant_a.ctx():
        playbooks_check()  # two more detractors, in the small group
    anonymous(tenant_a, k=3)
    text = pdf_text(rendered(tenant_a, account_a, capture=django_capture_on_commit_callbacks))
    for name in (*SCORES, "Eve Early"):
        assert name.lower() not in text, name
    assert "results are anonymous" in text and "answers (no names)" in text
    assert "net promoter score 25 from 4 answers" in text and "outages keep repeating" in text  # the big group
    assert "hidden: results show from 3 answers (1 more needed)" in text  # the small one: counts only
    assert "comment of eve early" not in text and "2 of 5" in text
    assert "a contact scored 3/10" in text  # the steps of the big group's detractor (the name replaced)
    steps = len(DEFAULTS[0]["steps"])
    assert text.count("a follow-up of a survey answer (hidden until 3 answers)") == 2 * steps


def test_a_report_of_one_campaign(tenant_a, account_a, django_capture_on_commit_callbacks):
    first = asked(tenant_a, account_a, {"Quentin Promo": 10}, name="First pulse")
    asked(tenant_a, account_a, {"Dora Detract": 0}, name="Second pulse")
    document = rendered(tenant_a, account_a, first, capture=django_capture_on_commit_callbacks)
    text = pdf_text(document)
    assert document.title == "Voice of the customer: Globex, First pulse" and document.params == {"campaign": first.pk}
    assert "first pulse" in text and "second pulse" not in text and "net promoter score 100" in text


def test_report_rules_edge_cases(tenant_a, account_a):
    with tenant_a.ctx():
        empty = selectors.account_report(account_a)
        assert empty["trend"] == [] and empty["latest"] is None and empty["follow_ups"] == []
        assert reports.report_campaign({}) is None and reports.report_campaign({"campaign": "x"}) is None
        assert reports.report_campaign({"campaign": 2_000_000_000}) is None
    campaign = asked(tenant_a, account_a, {"Nora Silent": None, "Olga Other": None})
    with tenant_a.ctx():
        data = selectors.account_report(account_a)
        section = data["sections"][0]
        assert data["latest"] is None and section.rollup.answered == 0 and section.rollup.nps.score is None
        assert [row.name for row in section.rows] == ["Nora Silent", "Olga Other"]  # asked, no answer yet
        VocSettings.objects.update_or_create(defaults={"anonymous": True, "anonymity_threshold": 2})
        hidden = selectors.account_report(account_a)["sections"][0]
        assert hidden.rollup.hidden and hidden.rows == [] and hidden.segment is None
        assert reports.report_campaign({"campaign": campaign.pk}) == campaign


def test_anonymous_answers_list_only_who_answered_in_no_order_of_names(tenant_a, account_a):
    asked(tenant_a, account_a, {"Zed Last": 10, "Abe First": 2, "Mia Middle": 8, "Nora Silent": None})
    anonymous(tenant_a, k=3)
    with tenant_a.ctx():
        section = selectors.account_report(account_a)["sections"][0]
    assert [row.name for row in section.rows] == [None, None, None]
    assert [row.response.nps for row in section.rows] == [2, 8, 10]  # by score, not by name
    assert all(name is None for name, _ in section.comments)


def test_other_answers_and_a_name_only_masked_as_a_whole_word(tenant_a, account_a):
    with tenant_a.ctx():
        version = services.survey_defaults_ensure().versions.get()
        Question.objects.create(version=version, order=9, kind="single", role="other", text="Which site?",
                                choices=["Berlin", "Paris"], required=False)  # fmt: skip
    asked(tenant_a, account_a, {"Ann": 3, "Bo": 9, "Cy": 9}, site="Paris")
    with tenant_a.ctx():
        account_services.action_item_add(account=account_a, title="Call Ann about the Annual plan",
                                         source_kind="survey", source_id=str(Campaign.objects.get().pk))  # fmt: skip
        assert selectors.account_report(account_a)["sections"][0].rows[0].others == [("Which site?", "Paris")]
    anonymous(tenant_a, k=3)
    with tenant_a.ctx():
        titles = [f.title for f in selectors.account_report(account_a)["follow_ups"]]
    assert "Call A contact about the Annual plan" in titles


def test_older_campaigns_stay_in_the_table_only(tenant_a, account_a, monkeypatch):
    monkeypatch.setattr(selectors, "REPORT_CAMPAIGNS", 2)
    for n in range(3):
        asked(tenant_a, account_a, {"Quentin Promo": 9}, name=f"Pulse {n}")
    with tenant_a.ctx():
        data = selectors.account_report(account_a)
    assert len(data["trend"]) == 3 and len(data["sections"]) == 2 and data["older"] == 1
    assert data["sections"][0].campaign.name == "Pulse 2"  # newest first


def test_the_report_reads_a_constant_number_of_queries(tenant_a, account_a, client_for, django_assert_max_num_queries):
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    asked(tenant_a, account_a, SCORES, name="First")
    path = url(tenant_a, "voc_account_report", account_a.pk)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries.captured_queries)

    count(), count()  # the first visits make the survey settings row and warm the signed-in user's cache
    before = count()
    for n in range(3):
        asked(tenant_a, account_a, {**SCORES, f"Extra {n}": 1}, name=f"More {n}")
    with tenant_a.ctx():
        playbooks_check()
        services.account_report_request(account=account_a, acting_user=None)
        with CaptureQueriesContext(connection) as reads:
            selectors.account_report(account_a)
    assert len(reads.captured_queries) == 5
    assert count() == before
    with django_assert_max_num_queries(before):
        client.get(path)


# --- the page, the tab and the button --------------------------------------------------------------------


def test_the_page_previews_the_report_and_the_button_makes_a_pdf_that_shows_its_progress(
    tenant_a, account_a, client_for
):
    campaign = asked(tenant_a, account_a, SCORES)
    manager = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    tab = manager.get(url(tenant_a, "account_detail", account_a.pk) + "?tab=voc").content.decode()
    assert "Download VoC report" in tab and url(tenant_a, "voc_account_report_pdf", account_a.pk) in tab
    page = manager.get(url(tenant_a, "voc_account_report", account_a.pk))
    body = page.content.decode()
    assert page.status_code == 200 and "Net Promoter Score" in body and "Quentin Promo" in body
    assert 'for="id_campaign"' in body and "Download VoC report" in body
    made = manager.post(url(tenant_a, "voc_account_report_pdf", account_a.pk), {"campaign": campaign.pk},
                        HTTP_HX_REQUEST="true")  # fmt: skip
    part = made.content.decode()
    assert made.status_code == 200 and "<html" not in part and 'id="voc-report-versions"' in part
    assert 'hx-trigger="every 2s"' in part and "queued" in part  # the row polls its status until ready
    again = manager.post(url(tenant_a, "voc_account_report_pdf", account_a.pk), {"campaign": campaign.pk})
    assert again.status_code == 302 and again["Location"].endswith(f"?campaign={campaign.pk}")
    with tenant_a.ctx():
        document = Document.objects.get(kind=REPORT)  # the same request while queued: one document
    assert document.params == {"campaign": campaign.pk}
    render_document.apply(args=[tenant_a.tenant.pk, document.pk])
    row = manager.get(url(tenant_a, "document_status", document.pk), HTTP_HX_REQUEST="true").content.decode()
    assert "ready" in row and "every 2s" not in row and url(tenant_a, "document_download", document.pk) in row
    download = manager.get(url(tenant_a, "document_download", document.pk))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    tab = manager.get(url(tenant_a, "account_detail", account_a.pk) + "?tab=voc").content.decode()
    assert url(tenant_a, "document_download", document.pk) in tab  # the tab lists it too


def test_bad_input_is_refused_and_makes_nothing(tenant_a, tenant_b, account_a, client_for):
    asked(tenant_a, account_a, SCORES)
    theirs = asked(tenant_b, make_account(tenant_b, name="Theirs"), {"Bea": 9})
    elsewhere = asked(tenant_a, make_account(tenant_a, name="Elsewhere"), {"Cid": 9}, name="Elsewhere only")
    manager = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    pdf = url(tenant_a, "voc_account_report_pdf", account_a.pk)
    for wrong in ("x", "-1", str(theirs.pk), str(elsewhere.pk), "9" * 30):
        page = manager.get(url(tenant_a, "voc_account_report", account_a.pk), {"campaign": wrong})
        assert page.status_code == 400 and b"Choose a campaign that asked this account." in page.content
        assert manager.post(pdf, {"campaign": wrong}).status_code == 400
        refused = manager.post(pdf, {"campaign": wrong}, HTTP_HX_REQUEST="true")
        assert refused.status_code == 422 and b"Choose a campaign that asked this account." in refused.content
    with tenant_a.ctx():
        assert not Document.objects.filter(kind=REPORT).exists()
        with pytest.raises(ValidationError, match="asked this account"):
            services.account_report_request(account=account_a, campaign=elsewhere, acting_user=None)


def test_roles_and_other_tenants(tenant_a, tenant_b, account_a, client_for):
    asked(tenant_a, account_a, SCORES)
    viewer = client_for(tenant_a.users[Role.VIEWER])
    assert viewer.get(url(tenant_a, "voc_account_report", account_a.pk)).status_code == 200
    assert viewer.post(url(tenant_a, "voc_account_report_pdf", account_a.pk)).status_code == 403
    tab = viewer.get(url(tenant_a, "account_detail", account_a.pk) + "?tab=voc").content.decode()
    assert "Download VoC report" not in tab
    outsider = client_for(tenant_b.admin)
    for slug in (tenant_a.tenant.slug, tenant_b.tenant.slug):
        page = outsider.get(reverse("voc_account_report", args=[slug, account_a.pk]))
        made = outsider.post(reverse("voc_account_report_pdf", args=[slug, account_a.pk]))
        assert page.status_code == 404 and made.status_code == 404
    with tenant_a.ctx():
        account_services.account_delete(account=account_a, acting_user=tenant_a.admin, reason="gone")
    admin = client_for(tenant_a.admin)
    assert admin.get(url(tenant_a, "voc_account_report", account_a.pk)).status_code == 404
    assert admin.post(url(tenant_a, "voc_account_report_pdf", account_a.pk)).status_code == 404
    with tenant_a.ctx():
        assert not Document.objects.exists()


# --- the API -------------------------------------------------------------------------------------------------


def test_the_api_asks_for_the_report_watches_it_and_downloads_it(tenant_a, tenant_b, account_a):
    campaign = asked(tenant_a, account_a, SCORES)
    client = api(tenant_a)
    path = f"/api/v1/survey-accounts/{account_a.pk}/report/"
    assert client.get(path).json()["results"] == []
    made = post(client, path, {"campaign": campaign.pk})
    assert made.status_code == 202, made.content
    body = made.json()
    assert body["status"] == "queued" and body["campaign"] == campaign.pk and body["pdf"] is None
    again = post(client, path, {"campaign": campaign.pk})
    assert again.status_code == 200 and again.json()["id"] == body["id"]  # still queued: the same one
    render_document.apply(args=[tenant_a.tenant.pk, body["id"]])
    listed = client.get(path).json()["results"]
    assert [row["status"] for row in listed] == ["ready"] and listed[0]["pdf"].endswith(f"/{body['id']}/pdf/")
    pdf = client.get(listed[0]["pdf"])
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    whole = post(client, path, {})
    assert whole.status_code == 202 and whole.json()["campaign"] is None
    assert client.get(f"{path}{whole.json()['id']}/pdf/").status_code == 404  # not ready yet


def test_the_api_refuses_bad_input_roles_and_other_tenants(tenant_a, tenant_b, account_a):
    asked(tenant_a, account_a, SCORES)
    theirs = asked(tenant_b, make_account(tenant_b, name="Theirs"), {"Bea": 9})
    other = make_account(tenant_a, name="Other")
    client = api(tenant_a)
    path = f"/api/v1/survey-accounts/{account_a.pk}/report/"
    for wrong in ({"campaign": "x"}, {"campaign": theirs.pk}, {"campaign": -4}, {"campaign": [1]}):
        refused = post(client, path, wrong)
        assert refused.status_code == 400 and "campaign" in refused.json(), wrong
    viewer = api(tenant_a, Role.VIEWER)
    assert viewer.get(path).status_code == 200 and post(viewer, path, {}).status_code == 403
    assert post(api(tenant_b), path, {}).status_code == 404 and api(tenant_b).get(path).status_code == 404
    with tenant_a.ctx():
        document, _ = services.account_report_request(account=account_a, acting_user=None)
    render_document.apply(args=[tenant_a.tenant.pk, document.pk])
    assert client.get(f"/api/v1/survey-accounts/{other.pk}/report/{document.pk}/pdf/").status_code == 404
    assert api(tenant_b).get(f"{path}{document.pk}/pdf/").status_code == 404
    with tenant_a.ctx():
        assert Document.objects.count() == 1


# --- the digest when a campaign closes ------------------------------------------------------------------------


def test_closing_emails_each_owner_once_with_the_figures_and_a_link(tenant_a, account_a, client_for):
    quiet = make_account(tenant_a, name="Quiet Corp")
    with tenant_a.ctx():
        Contact.objects.create(account=quiet, name="Una Answer", email="una@example.test")
    campaign = asked(tenant_a, account_a, SCORES, everyone=True)  # Quiet Corp's contact never answers
    with tenant_a.ctx():
        playbooks_check()
        assert Invitation.objects.filter(campaign=campaign, contact__account=quiet).exists()
    for _ in range(2):  # closed twice, and the tick runs twice
        with tenant_a.ctx():
            campaigns.campaign_close(campaign=campaign, acting_user=tenant_a.admin)
            campaigns.campaigns_tick()
            campaigns.campaign_digests_send()
    sent = digests(tenant_a)
    assert len(sent) == 1  # none for Quiet Corp: nobody there answered
    email = sent[0]
    owner = tenant_a.users[Role.ACCOUNT_MANAGER]
    assert email.to == [owner.email] and email.idempotency_key == f"voc-digest-{campaign.pk}-{account_a.pk}"
    assert email.subject == "Survey results: Globex, Spring pulse [Alpha Supplies]"
    body = email.body_text
    for expected in ("Answered: 4 of 4 contacts (response rate 100.0%)", "Net Promoter Score: 25",
                     "50% (2) / 25% (1) / 25% (1)", "Loyalty segment: Truly loyal", "- Dora Detract: NPS 3",
                     '"Outages keep repeating" (Dora Detract)', "Dora Detract scored 3/10",
                     "open"):  # fmt: skip
        assert expected in body, expected
    link = urlsplit(re.search(r"https?://\S+", body).group(0))
    assert (link.path, link.query) == (url(tenant_a, "voc_account_report", account_a.pk), f"campaign={campaign.pk}")
    assert "/s/" not in body and "token" not in body.lower()
    with tenant_a.ctx():
        assert Campaign.objects.get(pk=campaign.pk).digest_sent_at is not None
    page = client_for(owner).get(f"{link.path}?{link.query}")
    assert page.status_code == 200 and b"Spring pulse" in page.content


def test_a_campaign_closing_at_its_date_sends_its_digests_at_the_tick(tenant_a, account_a):
    campaign = asked(tenant_a, account_a, {"Quentin Promo": 9})
    later = timezone.now() + timedelta(days=15)
    with tenant_a.ctx():
        assert campaigns.campaigns_tick()["digested"] == 0  # still open
        first = campaigns.campaigns_tick(now=later)
        second = campaigns.campaigns_tick(now=later + timedelta(minutes=1))
    assert (first["closed"], first["digested"], second["digested"]) == (1, 1, 0)
    assert len(digests(tenant_a)) == 1 and str(campaign.pk) in digests(tenant_a)[0].idempotency_key


def test_closing_by_hand_sends_the_digests_at_once_through_a_task(
    tenant_a, account_a, django_capture_on_commit_callbacks
):
    from voc.tasks import campaign_digests_send

    campaign = asked(tenant_a, account_a, {"Quentin Promo": 9})
    with tenant_a.ctx(), django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaigns.campaign_close(campaign=campaign, acting_user=tenant_a.admin)
    assert len(callbacks) == 1
    assert campaign_digests_send.apply(args=[tenant_a.tenant.pk]).result == 1
    assert campaign_digests_send.apply(args=[tenant_a.tenant.pk]).result == 0
    assert len(digests(tenant_a)) == 1


def test_no_digest_for_long_closed_campaigns_nor_owners_who_cannot_get_it(tenant_a, account_a):
    old = asked(tenant_a, account_a, {"Quentin Promo": 9}, name="Old")
    ownerless = make_account(tenant_a, name="Ownerless")
    with tenant_a.ctx():
        Campaign.objects.filter(pk=old.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=4))
        assert campaigns.campaign_digests_send() == 0  # closed too long ago: nobody is told now
        Account.objects.filter(pk=ownerless.pk).update(owner=None)
        olga = Contact.objects.create(account=ownerless, name="Olga Owned", email="olga@example.test")
    recent = asked(tenant_a, account_a, {"Quentin Promo": 9}, name="Recent", everyone=True)
    answer_as(tenant_a, recent, olga, 9, "Fine")
    with tenant_a.ctx():
        campaigns.campaign_close(campaign=recent, acting_user=None)
        assert campaigns.campaign_digests_send() == 1  # Globex's owner; Ownerless has nobody to tell
        assert Campaign.objects.get(pk=recent.pk).digest_sent_at is not None
        assert Campaign.objects.get(pk=old.pk).digest_sent_at is None
    assert [e.idempotency_key for e in digests(tenant_a)] == [f"voc-digest-{recent.pk}-{account_a.pk}"]


def test_under_anonymity_the_digest_names_nobody_and_small_groups_get_counts_only(tenant_a, account_a):
    small = make_account(tenant_a, name="Small Co", owner_role=Role.ADMIN)
    with tenant_a.ctx():
        tiny = [Contact.objects.create(account=small, name=n, email=f"{n[:3].lower()}@example.test")
                for n in ("Tia Tiny", "Ugo Unseen")]  # fmt: skip
    campaign = asked(tenant_a, account_a, SCORES, everyone=True)
    for contact in tiny:
        answer_as(tenant_a, campaign, contact, 2, "Tiny group secret")
    anonymous(tenant_a, k=3)
    with tenant_a.ctx():
        campaigns.campaign_close(campaign=campaign, acting_user=None)
        playbooks_check()
        assert campaigns.campaign_digests_send() == 2
    by_account = {e.idempotency_key.rsplit("-", 1)[1]: e.body_text for e in digests(tenant_a)}
    big, small_body = by_account[str(account_a.pk)], by_account[str(small.pk)]
    for name in (*SCORES, "Tia Tiny", "Ugo Unseen"):
        assert name not in big and name not in small_body, name
    assert "Net Promoter Score: 25" in big and "Answers (results are anonymous: no names)" in big
    assert "- A contact: NPS 3" in big and '- "Outages keep repeating"\n' in big
    assert "Answered: 2 of 2 contacts" in small_body and "show only from 3 answers" in small_body
    assert "Net Promoter Score" not in small_body and "Tiny group secret" not in small_body
    assert "NPS 2" not in small_body and "scored" not in small_body
    assert "hidden until 3 answers" in small_body  # its follow-ups say nothing of who or what


# --- the demo ------------------------------------------------------------------------------------------------


def test_the_demo_has_a_ready_account_voc_report(demo):
    for tenant in demo:
        with tenant_context(tenant):
            document = Document.objects.get(kind=REPORT)
            assert document.status == "ready" and document.pages >= 1
            assert Campaign.objects.filter(status="closed", digest_sent_at__isnull=True).count() == 0
