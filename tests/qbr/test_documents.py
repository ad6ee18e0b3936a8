"""QBR pack and minutes as PDFs, sent to participants once per version; the invitation with its .ics."""

from __future__ import annotations

import io
from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Contact
from qbr import services
from qbr.calendar import ics
from qbr.models import MINUTES, PACK, Milestone, Qbr
from sam.documents.tasks import render_document
from sam.models import Document, OutboundEmail
from sam.outbox import email_send
from sam.roles import Role

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def prepared(world, account):
    with world.ctx():
        services.qbrs_schedule()
        qbr = Qbr.objects.filter(account=account).order_by("period_start").first()
        services.agenda_create_from_template(qbr=qbr, template=services.agenda_template_default_ensure())
        erin = Contact.objects.create(account=account, name="Erin Economic", email="erin@globex.example",
                                      buyer_role="economic")  # fmt: skip
        services.participant_add(qbr=qbr, contact_id=erin.pk)
        services.participant_add(qbr=qbr, user_id=world.users[Role.ACCOUNT_MANAGER].pk)
        services.qbr_action_add(qbr=qbr, title="Share the outage root cause", owner=None, due=None, acting_user=None)
    return qbr


def pdf_text(world, document):
    with world.ctx():
        document.refresh_from_db()
        with document.file.open("rb") as handle:
            return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)


def test_pack_and_minutes_render_and_go_to_participants_once(tenant_a, account_a, client_for,
                                                             django_capture_on_commit_callbacks, settings):  # fmt: skip
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    qbr = prepared(tenant_a, account_a)
    with tenant_a.ctx():
        first = qbr.agenda_items.first()
        services.minutes_save(qbr=qbr, item=first, notes="Budget talks moved to March",
                              decisions="Pilot in the Berlin plant")  # fmt: skip
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url("qbr_pack", qbr.pk))
        client.post(url("qbr_minutes_pdf", qbr.pk))
    with tenant_a.ctx():
        pack = Document.objects.get(kind=PACK)
        minutes = Document.objects.get(kind=MINUTES)
    for document in (pack, minutes):
        assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "ready"
    text = pdf_text(tenant_a, pack)
    for expected in ("Business review", "Accolades from both sides", "Erin Economic", "Joint scorecard",
                     "Net Promoter Score", "Share the outage root cause"):  # fmt: skip
        assert expected in text, expected
    minutes_text = pdf_text(tenant_a, minutes)
    assert "Share the outage root cause" in minutes_text and "Budget talks moved to March" in minutes_text
    assert "Decided:" in minutes_text and "Pilot in the Berlin plant" in minutes_text
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(url("qbr_send", qbr.pk), {"document": pack.pk}).status_code == 302
        again = client.post(url("qbr_send", qbr.pk), {"document": pack.pk}, follow=True)  # nothing new
        assert b"This version was sent already." in again.content
    with tenant_a.ctx():
        emails = list(OutboundEmail.objects.filter(idempotency_key__startswith="qbr-document:"))
        assert len(emails) == 1 and sorted(emails[0].to) == sorted(
            ["erin@globex.example", tenant_a.users[Role.ACCOUNT_MANAGER].email]
        )
        assert Milestone.objects.get(qbr=qbr, kind="preread").done_at is not None
        assert email_send(email_id=emails[0].pk)[0] == "sent"
    assert mail.outbox[-1].attachments[0][0].endswith(".pdf") and mail.outbox[-1].attachments[0][1].startswith(b"%PDF")
    other = client.post(url("qbr_send", qbr.pk), {"document": 999999})
    assert other.status_code == 400 and b"Select a valid choice" in other.content


def test_invitation_carries_a_calendar_file_once_per_date(tenant_a, account_a, client_for,
                                                         django_capture_on_commit_callbacks, settings):  # fmt: skip
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    qbr = prepared(tenant_a, account_a)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    refused = client.post(url("qbr_invite", qbr.pk))
    assert refused.status_code == 400 and b"Fix the date" in refused.content
    with tenant_a.ctx():
        when = timezone.now() + timedelta(days=10)
        services.qbr_schedule_set(qbr=qbr, when=when, tz="Europe/Berlin", location="Room 4, Main St", confirmed=True)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url("qbr_invite", qbr.pk))
        client.post(url("qbr_invite", qbr.pk))
    with tenant_a.ctx():
        email = OutboundEmail.objects.get(idempotency_key__startswith="qbr-invite:")
        assert Milestone.objects.get(qbr=qbr, kind="invite").done_at is not None
        email_send(email_id=email.pk)
    name, content, mime = mail.outbox[-1].attachments[0]
    assert name == "invite.ics" and mime.startswith("text/calendar")
    assert "BEGIN:VEVENT" in content and f"UID:qbr-{qbr.pk}@" in content and "Room 4\\, Main St" in content
    assert f"DTSTART:{when.astimezone(UTC):%Y%m%dT%H%M%SZ}" in content


def test_joint_scorecard_snapshot_is_attached(tenant_a, account_a, client_for, django_capture_on_commit_callbacks):
    from scorecards.reports import JOINT_KIND

    qbr = prepared(tenant_a, account_a)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url("qbr_snapshot", qbr.pk))
    with tenant_a.ctx():
        qbr.refresh_from_db()
        snapshot = qbr.scorecard_snapshot
        assert snapshot is not None and snapshot.kind == JOINT_KIND
    assert render_document.apply(args=[tenant_a.tenant.pk, snapshot.pk]).result == "ready"
    assert "Joint account scorecard" in pdf_text(tenant_a, snapshot)
    page = client.get(url("qbr_detail", qbr.pk)).content.decode()
    assert "Attached: joint scorecard, version 1" in page
    viewer = client_for(tenant_a.users[Role.VIEWER])
    assert viewer.post(url("qbr_snapshot", qbr.pk)).status_code == 403


def test_invitation_again_for_people_added_later_and_a_cancellation_for_the_calendars(
    tenant_a, account_a, django_capture_on_commit_callbacks
):
    qbr = prepared(tenant_a, account_a)
    with tenant_a.ctx():
        services.qbr_schedule_set(qbr=qbr, when=timezone.now() + timedelta(days=9), tz="UTC",
                                  location="x" * 300, confirmed=True)  # fmt: skip
        assert services.invitation_send(qbr=qbr) is True
        assert services.invitation_send(qbr=qbr) is False
        late = Contact.objects.create(account=account_a, name="Lou Late", email="lou@globex.example",
                                      buyer_role="usage")  # fmt: skip
        services.participant_add(qbr=qbr, contact_id=late.pk)
        assert services.invitation_send(qbr=qbr) is True  # someone new: a new invitation
        calendar = ics(qbr)
        assert 'ATTENDEE;CN="Lou Late";RSVP=TRUE:mailto:lou@globex.example' in calendar
        assert all(len(line.encode()) <= 75 for line in calendar.split("\r\n"))
        services.qbr_cancel(qbr=qbr, reason="Customer reorganisation")
        cancel = OutboundEmail.objects.get(idempotency_key=f"qbr-cancel:{qbr.pk}")
        assert "METHOD:CANCEL" in cancel.attachments[0]["content"] and "lou@globex.example" in cancel.to
