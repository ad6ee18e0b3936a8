"""The customer portal's pages: signing in from the emailed link, what a contact sees (their account's shared
things only) and does (agenda, actions, recommendations), the boundary with the staff side, and bad input."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ActionItem, ActionItemEvent
from assessments.models import Assessment, Recommendation
from portal import notify, services
from portal.models import PortalAccess, PortalSession
from qbr import services as qbr_services
from qbr.models import AgendaItem, Milestone, Qbr
from sam.models import AuditEvent, OutboundEmail
from sam.roles import Role
from scorecards import services as scorecard_services
from scorecards.models import MetricValue
from tests.portal.conftest import grant, signed_in

pytestmark = pytest.mark.django_db

INTERNAL = "INTERNAL-ONLY"


@pytest.fixture
def shared(tenant_a, account_a, contact):
    """A QBR with an agenda, the three kinds of actions, a shared and a draft assessment."""
    with tenant_a.ctx():
        qbr_services.qbrs_schedule()
        qbr = Qbr.objects.filter(account=account_a).order_by("period_start").first()
        qbr_services.agenda_create_from_template(qbr=qbr, template=qbr_services.agenda_template_default_ensure())
        qbr_services.agenda_status_set(qbr=qbr, status=Qbr.AgendaStatus.PROPOSED)
        theirs, _ = account_services.action_item_add(
            account=account_a, title="Send the plant floor plans", side="customer", owner_contact=contact
        )
        joint, _ = account_services.action_item_add(account=account_a, title="Fix the invoice format", joint=True)
        internal, _ = account_services.action_item_add(account=account_a, title=f"{INTERNAL} margin review")
        assessment = Assessment.objects.create(
            account=account_a, title="Mid-contract assessment", status="shared", shared_on=timezone.localdate()
        )
        rec = Recommendation.objects.create(
            assessment=assessment, title="Move to weekly deliveries", start=date(2030, 1, 1), end=date(2030, 6, 30)
        )
        draft = Assessment.objects.create(account=account_a, title=f"{INTERNAL} draft assessment")
        draft_rec = Recommendation.objects.create(
            assessment=draft, title=f"{INTERNAL} idea", start=date(2030, 1, 1), end=date(2030, 6, 30)
        )
    return {
        "qbr": qbr,
        "theirs": theirs,
        "joint": joint,
        "internal": internal,
        "assessment": assessment,
        "rec": rec,
        "draft": draft,
        "draft_rec": draft_rec,
    }


def body(response) -> str:
    return response.content.decode()


# --- signing in ----------------------------------------------------------------------------------------------


def test_the_emailed_link_leaves_the_address_and_signs_in_only_on_a_click(tenant_a, contact):
    link = grant(tenant_a, contact)
    client = Client()
    opened = client.get(link)
    assert opened.status_code == 302 and opened["Location"] == "/p/in/"
    assert opened["Referrer-Policy"] == "no-referrer" and opened["Cache-Control"] == "no-store"
    cookie = client.cookies["sam_portal_link_token"]
    assert cookie["path"] == "/p/" and cookie["httponly"] and link.split("/")[3] not in cookie.value.split(":")[-1]
    with tenant_a.ctx():
        assert not PortalSession.objects.exists()  # opening (a mail scanner, say) spends nothing
    page = client.get("/p/in/")
    assert "Welcome, Cleo Customer" in body(page) and "Alpha Supplies" in body(page)
    signed = client.post("/p/in/")
    assert signed.status_code == 302 and signed["Location"] == "/p/"
    session_cookie = client.cookies["sam_portal_token"]
    assert session_cookie["path"] == "/p/" and session_cookie["httponly"] and session_cookie["samesite"] == "Lax"
    assert session_cookie["max-age"] == "" and session_cookie["expires"] == ""  # ends with the browser
    home = client.get("/p/")
    assert home.status_code == 200 and "Globex with Alpha Supplies" in body(home)
    with tenant_a.ctx():
        assert PortalSession.objects.filter(ended_at__isnull=True).count() == 1
        assert PortalAccess.objects.get().last_sign_in_at is not None


def test_every_refused_link_is_the_same_page(tenant_a, tenant_b, contact):
    used = grant(tenant_a, contact)
    signed_in_client = Client()
    signed_in_client.get(used)
    signed_in_client.post("/p/in/")
    expired = grant(tenant_a, contact)
    token = expired.split("/")[3]
    with tenant_a.ctx():
        from portal.models import PortalLink

        PortalLink.objects.filter(used_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked_contact = grant(tenant_a, contact)
    with tenant_a.ctx():
        services.portal_access_revoke(access=PortalAccess.objects.get(), acting_user=tenant_a.admin)
    other_tenant = f"/p/in/{tenant_b.tenant.pk}.{token.split('.', 1)[1]}/"
    pages = set()
    for link in (used, expired, revoked_contact, other_tenant, "/p/in/nonsense/", f"/p/in/{tenant_a.tenant.pk}.x/"):
        response = Client().get(link)
        assert response.status_code == 200, link
        assert "This sign-in link cannot be used" in body(response)
        assert "Cleo" not in body(response) and "Globex" not in body(response)
        pages.add(re.sub(r'"X-CSRFToken": "[^"]*"', "", body(response)))
    assert len(pages) == 1


def test_bad_links_lock_the_address_out(tenant_a, contact, settings):
    settings.PORTAL_BAD_LINK_LIMIT = 3
    client = Client()
    for n in range(3):
        assert "cannot be used" in body(client.get(f"/p/in/{tenant_a.tenant.pk}.guess{n}/"))
    good = grant(tenant_a, contact)
    locked = client.get(good)
    assert locked.status_code == 429 and "Too many tries" in body(locked)
    assert Client(REMOTE_ADDR="198.51.100.7").get(good).status_code == 302  # another address is not locked


def test_links_presented_are_rate_limited(tenant_a, settings):
    settings.PORTAL_LINK_RATE_LIMIT = 2
    settings.PORTAL_BAD_LINK_LIMIT = 100
    client = Client()
    statuses = [client.get(f"/p/in/{tenant_a.tenant.pk}.x{n}/").status_code for n in range(4)]
    assert statuses == [200, 200, 429, 429]


def test_asking_for_a_link_never_tells_whether_the_address_is_known(tenant_a, contact):
    grant(tenant_a, contact)
    known = Client().post("/p/link/", {"email": "cleo@globex.test"})
    unknown = Client().post("/p/link/", {"email": "nobody@globex.test"})
    assert known.status_code == unknown.status_code == 200
    assert body(known) == body(unknown).replace("nobody", "cleo") or "on its way" in body(unknown)
    assert "on its way" in body(known) and "on its way" in body(unknown)
    bad = Client().post("/p/link/", {"email": "not an address\x00"})
    assert bad.status_code == 400 and "Enter the email address" in body(bad)
    # the worker's part: a link for the known address in every workspace it has access in
    assert services.portal_link_request_anywhere(email="cleo@globex.test") >= 1
    with tenant_a.ctx():
        assert OutboundEmail.objects.filter(idempotency_key__startswith=services.KEY_PREFIX).count() == 1  # < 1 min


def test_signing_out_and_revoking_end_the_session(tenant_a, contact, portal):
    assert portal.post("/p/out/").status_code == 200
    assert "Please sign in" in body(portal.get("/p/"))
    again = signed_in(tenant_a, contact)
    assert again.get("/p/actions/").status_code == 200
    with tenant_a.ctx():
        services.portal_access_revoke(access=PortalAccess.objects.get(), acting_user=tenant_a.admin)
    gone = again.get("/p/actions/")
    assert "Please sign in" in body(gone) and "Globex" not in body(gone)
    htmx = again.post("/p/actions/1/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"] == "/p/"


# --- the boundary with the staff side ------------------------------------------------------------------------


def test_a_portal_session_opens_no_staff_page_or_api(tenant_a, account_a, portal):
    key = portal.cookies["sam_portal_token"].value
    outsider = Client()
    outsider.cookies["sam_portal_token"] = key
    assert outsider.get(f"/t/alpha/accounts/{account_a.pk}/").status_code == 403
    api = outsider.get("/api/v1/accounts/")
    assert api.status_code == 401 and "portal" in api.json()["detail"]


def test_a_staff_session_does_not_open_the_portal(tenant_a, contact, client_for):
    staff = client_for(tenant_a.admin)
    page = staff.get("/p/")
    assert "Please sign in" in body(page) and "Globex" not in body(page)
    assert staff.get("/p/actions/").status_code == 200 and "Cleo" not in body(staff.get("/p/actions/"))


# --- what a contact sees -------------------------------------------------------------------------------------


def test_the_contact_sees_only_what_is_shared(tenant_a, account_a, contact, shared, portal):
    pages = {
        "/p/": ["QBR", "Send the plant floor plans", "Mid-contract assessment"],
        "/p/actions/": ["Send the plant floor plans", "Fix the invoice format"],
        f"/p/qbrs/{shared['qbr'].pk}/": ["Agenda", "Propose an item"],
        f"/p/assessments/{shared['assessment'].pk}/": ["Move to weekly deliveries"],
        "/p/actions/?show=all": ["Send the plant floor plans"],
    }
    for path, expected in pages.items():
        response = portal.get(path)
        assert response.status_code == 200, path
        for text in expected:
            assert text in body(response), (path, text)
        assert INTERNAL not in body(response), path
    assert portal.get(f"/p/assessments/{shared['draft'].pk}/").status_code == 404


def test_the_joint_scorecard_shows_joint_metrics_only(tenant_a, account_a, portal):
    with tenant_a.ctx():
        card = scorecard_services.scorecard_for(
            account=account_a, period=scorecard_services.period_for(timezone.localdate())
        )
        metrics = list(card.version.metrics.all())
        joint = [m for m in metrics if m.visibility == "joint"]
        internal = [m for m in metrics if m.visibility == "internal"]
        assert joint and internal
        for m in metrics:
            MetricValue.objects.update_or_create(
                scorecard=card, metric=m, defaults={"value": 50, "comment": f"{m.visibility.upper()}-COMMENT-{m.pk}"}
            )
    page = body(portal.get("/p/scorecard/"))
    for m in joint:
        assert m.name in page
    for m in internal:
        assert m.name not in page and f"INTERNAL-COMMENT-{m.pk}" not in page


def test_the_customer_documents_only_once_sent(tenant_a, account_a, contact, shared, portal, settings):
    from sam.documents.services import document_request
    from sam.documents.tasks import render_document
    from sam.models import Document

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with tenant_a.ctx():
        qbr = shared["qbr"]
        qbr_services.participant_add(qbr=qbr, contact_id=contact.pk)
        pack, _ = document_request(kind="qbr_pack", subject=qbr, params={}, acting_user=None)
        team, _ = document_request(kind="qbr_pack", subject=qbr, params={"copy": "team"}, acting_user=None)
        minutes, _ = document_request(kind="qbr_minutes", subject=qbr, params={}, acting_user=None)
        snapshot = qbr_services.snapshot_attach(qbr=qbr, acting_user=None)
    for document in (pack, team, minutes, snapshot):
        assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "ready"
    page = body(portal.get(f"/p/qbrs/{qbr.pk}/"))
    assert "/p/documents/" not in page  # nothing sent yet
    assert portal.get(f"/p/documents/{pack.pk}/").status_code == 404
    with tenant_a.ctx():
        qbr_services.document_send(qbr=qbr, document=Document.objects.get(pk=pack.pk))
        qbr_services.document_send(qbr=qbr, document=Document.objects.get(pk=minutes.pk))
    page = body(portal.get(f"/p/qbrs/{qbr.pk}/"))
    for shown in (pack, minutes, snapshot):
        assert f"/p/documents/{shown.pk}/" in page
    assert f"/p/documents/{team.pk}/" not in page and portal.get(f"/p/documents/{team.pk}/").status_code == 404
    for document, expected in ((pack, "Fix the invoice format"), (minutes, "Send the plant floor plans"),
                               (snapshot, "Joint account scorecard")):  # fmt: skip
        download = portal.get(f"/p/documents/{document.pk}/")
        assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
        text = pdf_text(b"".join(download.streaming_content))
        assert expected in text and INTERNAL not in text
    with tenant_a.ctx():
        assert INTERNAL in pdf_text(Document.objects.get(pk=team.pk).file.open("rb").read())  # the team's copy has it
        assert AuditEvent.objects.filter(action="portal.document_open", actor_contact_id=contact.pk).count() == 3
        Qbr.objects.filter(pk=qbr.pk).update(status="cancelled")
    assert portal.get(f"/p/documents/{pack.pk}/").status_code == 404  # a cancelled QBR's are gone with it


def pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


# --- what a contact does -------------------------------------------------------------------------------------


def test_proposing_commenting_and_agreeing_the_agenda(tenant_a, account_a, contact, shared, portal, client_for):
    qbr = shared["qbr"]
    proposed = portal.post(f"/p/qbrs/{qbr.pk}/agenda/propose/", {"title": "Forecast for 2031", "minutes": "20"},
                           HTTP_HX_REQUEST="true")  # fmt: skip
    assert (
        proposed.status_code == 200 and "Forecast for 2031" in body(proposed) and "proposed by Cleo" in body(proposed)
    )
    comment = portal.post(f"/p/qbrs/{qbr.pk}/agenda/comment/", {"text": "Can we start at 10?"})
    assert comment.status_code == 302
    agreed = portal.post(f"/p/qbrs/{qbr.pk}/agenda/agree/", HTTP_HX_REQUEST="true")
    assert agreed.status_code == 200 and "Agreed with the customer by Cleo Customer" in body(agreed)
    with tenant_a.ctx():
        qbr.refresh_from_db()
        assert qbr.agenda_status == "agreed" and qbr.agenda_agreed_by_id == contact.pk and qbr.agenda_agreed_at
        assert qbr.status == Qbr.Status.AGENDA_AGREED
        assert Milestone.objects.get(qbr=qbr, kind="agenda").done_at is not None
        item = AgendaItem.objects.get(qbr=qbr, title="Forecast for 2031")
        assert item.proposed_by_id == contact.pk and item.minutes == 20
        actions = set(AuditEvent.objects.filter(actor_contact_id=contact.pk).values_list("action", flat=True))
        assert {"portal.agenda_propose", "portal.agenda_comment", "portal.agenda_agree"} <= actions
    staff = body(client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).get(f"/t/alpha/qbrs/{qbr.pk}/"))
    assert "proposed by Cleo Customer" in staff and "Can we start at 10?" in staff
    assert "by Cleo Customer in the portal" in staff
    # a new item after the agreement: the agenda needs agreeing again, once the team has proposed it again
    portal.post(f"/p/qbrs/{qbr.pk}/agenda/propose/", {"title": "One more", "minutes": "5"})
    with tenant_a.ctx():
        qbr.refresh_from_db()
        assert qbr.agenda_status == "draft" and qbr.agenda_agreed_by_id is None
        assert Milestone.objects.get(qbr=qbr, kind="agenda").done_at is None
    page = body(portal.get(f"/p/qbrs/{qbr.pk}/"))
    assert "Agree this agenda" not in page and "is preparing this agenda" in page
    refused = portal.post(f"/p/qbrs/{qbr.pk}/agenda/agree/")
    assert refused.status_code == 400 and "has not proposed this agenda to you yet" in body(refused)
    with tenant_a.ctx():
        assert Qbr.objects.get(pk=qbr.pk).agenda_status == "draft"


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        ({"title": "x" * 201, "minutes": "10"}, "title", "at most 200"),
        ({"title": "", "minutes": "10"}, "title", "1 to 200"),
        ({"title": "Okay", "minutes": "0"}, "minutes", "1 to 480"),
        ({"title": "Okay", "minutes": "481"}, "minutes", "1 to 480"),
        ({"title": "Okay", "minutes": "ten"}, "minutes", "1 to 480"),
        ({"title": "Nul\x00", "minutes": "10"}, "title", "Null characters"),
    ],
)
def test_a_bad_agenda_item_is_refused_in_place(tenant_a, shared, portal, data, field, reason):
    qbr = shared["qbr"]
    with tenant_a.ctx():
        before = AgendaItem.objects.filter(qbr=qbr).count()
    response = portal.post(f"/p/qbrs/{qbr.pk}/agenda/propose/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert reason.lower() in body(response).lower() and f'id="propose-{field}-error"' in body(response)
    with tenant_a.ctx():
        assert AgendaItem.objects.filter(qbr=qbr).count() == before


def test_a_held_qbrs_agenda_does_not_change(tenant_a, shared, portal):
    qbr = shared["qbr"]
    with tenant_a.ctx():
        Qbr.objects.filter(pk=qbr.pk).update(status="held")
    refused = portal.post(f"/p/qbrs/{qbr.pk}/agenda/agree/")
    assert refused.status_code == 400 and "cannot change any more" in body(refused)


def test_updating_the_customers_action_and_nothing_else(tenant_a, contact, shared, portal, client_for):
    theirs = shared["theirs"]
    done = portal.post(
        f"/p/actions/{theirs.pk}/", {"status": "done", "note": "Sent by courier"}, HTTP_HX_REQUEST="true"
    )
    assert done.status_code == 200 and "Done" in body(done)
    with tenant_a.ctx():
        theirs.refresh_from_db()
        assert theirs.status == "done" and theirs.closed_at is not None
        event = ActionItemEvent.objects.filter(item=theirs).latest("at")
        assert event.contact_id == contact.pk and event.note == "Sent by courier" and event.actor_id is None
        assert AuditEvent.objects.filter(action="portal.action_update", actor_contact_id=contact.pk).exists()
    for other in (shared["joint"], shared["internal"]):
        assert portal.post(f"/p/actions/{other.pk}/", {"status": "done"}).status_code == 404
        with tenant_a.ctx():
            other.refresh_from_db()
            assert other.status == "open"
    for bad in ({"status": "dropped"}, {"status": "bogus"}, {"status": "done", "note": "x" * 2001}):
        assert portal.post(f"/p/actions/{theirs.pk}/", bad).status_code == 400
    with tenant_a.ctx():  # dropped by the team: the customer cannot bring it back
        ActionItem.objects.filter(pk=theirs.pk).update(status="dropped")
    refused = portal.post(f"/p/actions/{theirs.pk}/", {"status": "open"})
    assert refused.status_code == 400 and "was dropped" in body(refused)
    with tenant_a.ctx():
        assert ActionItem.objects.get(pk=theirs.pk).status == "dropped"
    assert "Dropped by Alpha Supplies" in body(portal.get("/p/actions/?show=all"))
    with tenant_a.ctx():
        ActionItem.objects.filter(pk=theirs.pk).update(status="done")
    staff = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    register = body(staff.get(f"/t/alpha/accounts/{theirs.account_id}/?tab=actions&show=all"))
    assert "Cleo Customer in the portal" in register and "Sent by courier" in register


def test_confirming_and_declining_recommendations(tenant_a, contact, shared, portal, client_for):
    rec = shared["rec"]
    refused = portal.post(
        f"/p/recommendations/{rec.pk}/", {"answer": "declined", "comment": " "}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 400 and "This is needed" in body(refused)
    ok = portal.post(f"/p/recommendations/{rec.pk}/", {"answer": "confirmed", "comment": "Yes, from March"},
                     HTTP_HX_REQUEST="true")  # fmt: skip
    assert ok.status_code == 200 and "Confirmed by the customer" in body(ok)
    with tenant_a.ctx():
        rec.refresh_from_db()
        assessment = Assessment.objects.get(pk=rec.assessment_id)
        assert rec.customer_answer == "confirmed" and rec.customer_contact_id == contact.pk
        assert assessment.confirmed_by_id == contact.pk and assessment.confirmed_on == timezone.localdate()
    assert portal.post(f"/p/recommendations/{shared['draft_rec'].pk}/", {"answer": "confirmed"}).status_code == 404
    with tenant_a.ctx():  # one the team declined is withdrawn: not shown, not answerable
        withdrawn = Recommendation.objects.create(
            assessment_id=rec.assessment_id, title="Withdrawn", start=date(2030, 1, 1), end=date(2030, 2, 1),
            status="declined",
        )  # fmt: skip
    assert "Withdrawn" not in body(portal.get(f"/p/assessments/{rec.assessment_id}/"))
    assert portal.post(f"/p/recommendations/{withdrawn.pk}/", {"answer": "confirmed"}).status_code == 404
    assert portal.post(f"/p/recommendations/{rec.pk}/", {"answer": "maybe"}).status_code == 400
    staff = body(client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).get(
        f"/t/alpha/assessments/{rec.assessment_id}/?tab=recommendations"))  # fmt: skip
    assert "Confirmed by the customer" in staff and "Yes, from March" in staff


def test_another_accounts_ids_are_404(tenant_a, account_a, contact, shared):
    from tests.accounts.conftest import make_account

    other_account = make_account(tenant_a, name="Initech")
    with tenant_a.ctx():
        other = account_services.contact_save(
            account=other_account, data={"name": "Otto", "email": "otto@initech.test"}
        )
    otto = signed_in(tenant_a, other)
    for path in (f"/p/qbrs/{shared['qbr'].pk}/", f"/p/assessments/{shared['assessment'].pk}/"):
        assert otto.get(path).status_code == 404
    assert otto.post(f"/p/actions/{shared['theirs'].pk}/", {"status": "done"}).status_code == 404
    assert otto.post(f"/p/recommendations/{shared['rec'].pk}/", {"answer": "confirmed"}).status_code == 404
    assert otto.post(f"/p/qbrs/{shared['qbr'].pk}/agenda/agree/").status_code == 404
    page = body(otto.get("/p/actions/"))
    assert "Send the plant floor plans" not in page and "Fix the invoice format" not in page


# --- the staff side ------------------------------------------------------------------------------------------


def test_the_account_page_shows_access_sign_ins_and_activity(tenant_a, account_a, contact, shared, portal, client_for):
    portal.post(f"/p/actions/{shared['theirs'].pk}/", {"status": "in_progress", "note": "Half done"})
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    tab = body(am.get(f"/t/alpha/accounts/{account_a.pk}/?tab=portal"))
    assert "Cleo Customer" in tab and "Active" in tab and "Never" not in tab
    assert "updated an action" in tab and "Half done" in tab and "signed in" in tab
    with tenant_a.ctx():
        access = PortalAccess.objects.get()
    member = client_for(tenant_a.users[Role.MEMBER])
    assert member.post(f"/t/alpha/accounts/{account_a.pk}/portal/{access.pk}/revoke/").status_code == 403
    assert am.post(f"/t/alpha/accounts/{account_a.pk}/portal/{access.pk}/revoke/").status_code == 302
    assert "Please sign in" in body(portal.get("/p/"))
    regrant = am.post(f"/t/alpha/accounts/{account_a.pk}/portal/grant/", {"contact": contact.pk})
    assert regrant.status_code == 302
    with tenant_a.ctx():
        assert PortalAccess.objects.get().active
    assert am.post(f"/t/alpha/accounts/{account_a.pk}/portal/grant/", {"contact": "x"}).status_code == 400


def test_the_owner_hears_once_an_hour(tenant_a, account_a, contact, shared, portal):
    qbr = shared["qbr"]
    portal.post(f"/p/qbrs/{qbr.pk}/agenda/propose/", {"title": "Forecast for 2031", "minutes": "20"})
    portal.post(f"/p/qbrs/{qbr.pk}/agenda/agree/")
    portal.post(f"/p/actions/{shared['theirs'].pk}/", {"status": "done", "note": "Sent"})
    portal.post(f"/p/recommendations/{shared['rec'].pk}/", {"answer": "confirmed", "comment": ""})
    now = timezone.now()
    with tenant_a.ctx():
        assert notify.owner_digests_send(now) == 0  # the hour has not ended yet
        later = now + timedelta(hours=1)
        assert notify.owner_digests_send(later) == 1
        assert notify.owner_digests_send(later + timedelta(minutes=20)) == 0  # once per owner and hour
        email = OutboundEmail.objects.get(idempotency_key__startswith="portal-digest:")
    owner = tenant_a.users[Role.ACCOUNT_MANAGER]
    assert email.to == [owner.email] and "4 updates" in email.subject
    for text in ("proposed an agenda item", "Forecast for 2031", "agreed the agenda", "updated an action",
                 "answered a recommendation", "Cleo Customer", "?tab=portal"):  # fmt: skip
        assert text in email.body_text, text


def test_an_open_survey_opens_from_the_portal(tenant_a, account_a, contact, portal):
    from voc.models import Campaign, Invitation, SurveyTemplate, SurveyVersion
    from voc.services import token_salt_new

    with tenant_a.ctx():
        template = SurveyTemplate.objects.create(name="Portal pulse")
        version = SurveyVersion.objects.create(template=template, number=1)
        campaign = Campaign.objects.create(name="Spring pulse", version=version, status="sending")
        salt, digest = token_salt_new(tenant_a.tenant.pk)
        invitation = Invitation.objects.create(
            campaign=campaign, contact=contact, token_salt=salt, token_hash=digest, status="sent"
        )
    home = body(portal.get("/p/"))
    assert "A few questions from Alpha Supplies" in home and "Spring pulse" not in home  # the campaign's name is ours
    opened = portal.get(f"/p/surveys/{invitation.pk}/")
    assert opened.status_code == 302 and opened["Location"] == "/s/"
    assert "sam_survey_token" in portal.cookies
    with tenant_a.ctx():
        Campaign.objects.filter(pk=campaign.pk).update(status="closed")
    assert "A few questions" not in body(portal.get("/p/"))
    assert portal.get(f"/p/surveys/{invitation.pk}/").status_code == 404


def test_links_are_never_logged():
    import logging

    from sam.logfilters import RedactSurveyTokens

    record = logging.LogRecord(
        "django.server", logging.INFO, "", 0, '"GET %s HTTP/1.1" 302', ("/p/in/7.secret/",), None
    )
    RedactSurveyTokens().filter(record)
    assert "secret" not in record.getMessage() and "/p/in/[token]/" in record.getMessage()
    assert settings.PORTAL_LINK_MINUTES == 30 and settings.PORTAL_IDLE_MINUTES == 120


def test_the_team_replies_to_the_customers_comments(tenant_a, contact, shared, portal, client_for):
    qbr = shared["qbr"]
    portal.post(f"/p/qbrs/{qbr.pk}/agenda/comment/", {"text": "Can we start at 10?"})
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    assert am.post(f"/t/alpha/qbrs/{qbr.pk}/agenda/comment/", {"text": "Yes, 10 works for us."}).status_code == 302
    assert am.post(f"/t/alpha/qbrs/{qbr.pk}/agenda/comment/", {"text": ""}).status_code == 400
    viewer = client_for(tenant_a.users[Role.VIEWER])
    assert viewer.post(f"/t/alpha/qbrs/{qbr.pk}/agenda/comment/", {"text": "No"}).status_code == 403
    page = body(portal.get(f"/p/qbrs/{qbr.pk}/"))
    assert "Can we start at 10?" in page and "Yes, 10 works for us." in page and "(Alpha Supplies)" in page


def test_opening_a_survey_and_signing_in_are_audited(tenant_a, contact, portal):
    with tenant_a.ctx():
        assert AuditEvent.objects.filter(action="portal.sign_in", actor_contact_id=contact.pk, actor=None).exists()


def test_the_portals_lists_take_a_constant_number_of_queries(tenant_a, account_a, contact, shared, portal):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts() -> dict[str, int]:
        found = {}
        for path in ("/p/", "/p/actions/?show=all", f"/p/qbrs/{shared['qbr'].pk}/",
                     f"/p/assessments/{shared['assessment'].pk}/", "/p/link/", "/p/scorecard/"):  # fmt: skip
            with CaptureQueriesContext(connection) as queries:
                assert portal.get(path).status_code == 200
            found[path] = len(queries)
        return found

    def more(n: int) -> None:
        with tenant_a.ctx():
            for i in range(n):
                item, _ = account_services.action_item_add(
                    account=account_a, title=f"Theirs {n}-{i}", side="customer", owner_contact=contact
                )
                services.contact_action_update(contact=contact, item=item, status="in_progress", note=f"Note {i}")
                account_services.action_item_add(account=account_a, title=f"Ours {n}-{i}", joint=True)
                qbr_services.agenda_comment_add(qbr=shared["qbr"], contact=contact, text=f"Comment {i}")
                Recommendation.objects.create(
                    assessment=shared["assessment"], title=f"Rec {n}-{i}", start=date(2030, 1, 1), end=date(2030, 2, 1)
                )

    more(2)
    few = counts()
    more(8)
    assert counts() == few


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/p/qbrs/{qbr}/agenda/propose/", {"title": "Okay", "minutes": "²"}),
        ("/p/qbrs/{qbr}/agenda/propose/", {"title": "Okay", "minutes": "9" * 5000}),
        ("/p/qbrs/{qbr}/agenda/comment/", {"text": "Hi", "item": "²"}),
        ("/p/qbrs/{qbr}/agenda/comment/", {"text": "Hi", "item": "9" * 30}),
        ("/p/actions/{theirs}/", {"status": "done", "note": "\x00"}),
        ("/p/recommendations/{rec}/", {"answer": "confirmed", "comment": "\x00"}),
    ],
)
def test_odd_numbers_and_nul_are_a_400(tenant_a, shared, portal, path, data):
    url = path.format(qbr=shared["qbr"].pk, theirs=shared["theirs"].pk, rec=shared["rec"].pk)
    assert portal.post(url, data).status_code == 400


def test_odd_tokens_and_ids_never_fail(tenant_a, account_a, contact, client_for):
    assert "cannot be used" in body(Client().get("/p/in/²." + "a" * 43 + "/"))
    assert "cannot be used" in body(Client().get("/p/in/" + "9" * 40 + "." + "a" * 43 + "/"))
    odd = Client()
    odd.cookies["sam_portal_token"] = "²." + "a" * 43
    assert "Please sign in" in body(odd.get("/p/"))
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    assert am.post(f"/t/alpha/accounts/{account_a.pk}/portal/grant/", {"contact": "²"}).status_code == 400
    assert am.get("/t/alpha/accounts/?tier=²&owner=²").status_code == 200
    assert am.get("/t/alpha/qbrs/?owner=²").status_code == 200
    assert Client().get("/api/v1/accounts/", HTTP_AUTHORIZATION="Token sam_²_secret").status_code in (401, 403)


def test_every_portal_post_refuses_a_missing_csrf_token(tenant_a, contact, shared):
    from tests.sweep import all_routes

    client = Client(enforce_csrf_checks=True)
    signed_in(tenant_a, contact, client)
    ids = {"qbr_id": shared["qbr"].pk, "action_id": shared["theirs"].pk, "recommendation_id": shared["rec"].pk}
    posts = 0
    for route in all_routes():
        if not route.is_portal or route.name in ("portal_link_open",):
            continue
        from django.urls import reverse

        url = reverse(route.name, kwargs={k: ids.get(k, 1) for k in route.kwargs})
        response = client.post(url, {"title": "x", "minutes": "5", "text": "x", "status": "done", "answer": "confirmed",
                                     "email": "cleo@globex.test"})  # fmt: skip
        if response.status_code == 405:
            continue
        assert response.status_code == 403, url
        posts += 1
    assert posts >= 8
    with tenant_a.ctx():
        assert Qbr.objects.get(pk=shared["qbr"].pk).agenda_status == "proposed"
        assert ActionItem.objects.get(pk=shared["theirs"].pk).status == "open"


def test_asking_for_links_is_rate_limited(settings):
    settings.PORTAL_LINK_REQUEST_RATE_LIMIT = 2
    client = Client()
    statuses = [client.post("/p/link/", {"email": f"x{n}@globex.test"}).status_code for n in range(3)]
    assert statuses == [200, 200, 429]


def test_the_calendar_file_and_the_branding(tenant_a, account_a, shared, portal):
    from sam.models import WorkspaceSettings

    qbr = shared["qbr"]
    assert portal.get(f"/p/qbrs/{qbr.pk}/calendar.ics").status_code == 404  # no date yet
    with tenant_a.ctx():
        Qbr.objects.filter(pk=qbr.pk).update(scheduled_at=timezone.now() + timedelta(days=20), location="Room 4")
    ics = portal.get(f"/p/qbrs/{qbr.pk}/calendar.ics")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.content and b"Room 4" in ics.content
    home = body(portal.get("/p/"))
    assert "Alpha Supplies" in home and "portal-logo" not in home
    with tenant_a.ctx():
        workspace = WorkspaceSettings.current()
        png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
               b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x9a\xa0\xa0\x00\x00"
               b"\x00\x00IEND\xaeB`\x82")  # fmt: skip
        from django.core.files.uploadedfile import SimpleUploadedFile

        workspace.logo.save("logo.png", SimpleUploadedFile("logo.png", png, content_type="image/png"))
    assert 'class="portal-logo"' in body(portal.get("/p/"))


def test_the_joint_scorecard_shows_targets_and_trend(tenant_a, account_a, portal):
    from scorecards.models import AgreedTarget

    with tenant_a.ctx():
        today = timezone.localdate()
        for back in (0, 95):
            card = scorecard_services.scorecard_for(
                account=account_a, period=scorecard_services.period_for(today - timedelta(days=back))
            )
            for m in card.version.metrics.filter(visibility="joint"):
                MetricValue.objects.update_or_create(scorecard=card, metric=m, defaults={"value": 40 + back % 7})
        metric = card.version.metrics.filter(visibility="joint").first()
        AgreedTarget.objects.create(account=account_a, key=metric.key, target=77, agreed_with="Cleo",
                                    agreed_on=today - timedelta(days=200))  # fmt: skip
    page = body(portal.get("/p/scorecard/"))
    assert 'data-testid="trend"' in page and "agreed with Cleo" in page and "77" in page
