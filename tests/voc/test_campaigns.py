"""Campaigns: recipients, scheduling, invitations through the outbox with the link filled in as they leave,
reminders once per tick, revoking, bounces, detractor follow-up once, and what feeds the scorecard."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ActionItem, Contact, PlaybookRun, Tier, TimelineEntry
from accounts.playbook_services import playbooks_check
from sam.models import OutboundEmail
from sam.outbox import email_send
from tests.accounts.conftest import make_account
from tests.voc.test_tokens import submit
from voc import campaigns, selectors, services
from voc.models import Campaign, Invitation, Question, Response, VocSettings
from voc.triggers import DETRACTOR_DAYS

pytestmark = pytest.mark.django_db


def people(world, account):
    with world.ctx():
        return [
            Contact.objects.create(account=account, name="Ann Econ", email="ann@example.test", buyer_role="economic"),
            Contact.objects.create(account=account, name="Ben Tech", email="ben@example.test", buyer_role="technical"),
            Contact.objects.create(account=account, name="Cy Noemail", buyer_role="usage"),
            Contact.objects.create(account=account, name="Di Optout", email="di@example.test", opted_out=True),
        ]


def draft(world, audience=None, **kwargs):
    now = timezone.now()
    with world.ctx():
        return campaigns.campaign_create(
            name=kwargs.pop("name", "Autumn pulse"), template=services.survey_defaults_ensure(),
            audience=audience or campaigns.Audience(), send_at=kwargs.pop("send_at", now),
            closes_at=kwargs.pop("closes_at", now + timedelta(days=14)), acting_user=world.admin, **kwargs,
        )  # fmt: skip


def answers_for(campaign, nps="9", rating="4", text="Keep it up"):
    return {str(q.pk): {"nps": nps, "rating": rating, "text": text}[q.kind]
            for q in Question.objects.filter(version=campaign.version)}  # fmt: skip


def send_all(world):
    """Deliver every queued outbox row, as the worker would."""
    with world.ctx():
        for pk in OutboundEmail.objects.filter(status="queued").values_list("pk", flat=True):
            email_send(email_id=pk)


def link_in(message) -> str:
    line = next(word for word in message.body.split() if "/s/" in word)
    return line.split("/s/")[1].strip("/")


def test_recipients_leave_out_contacts_without_email_and_opted_out(tenant_a, account_a):
    people(tenant_a, account_a)
    campaign, preview = draft(tenant_a)
    assert [c.name for c in preview.recipients] == ["Ann Econ", "Ben Tech"]
    assert [c.name for c in preview.no_email] == ["Cy Noemail"] and [c.name for c in preview.opted_out] == ["Di Optout"]
    with tenant_a.ctx():
        assert set(campaign.invitations.values_list("contact__name", flat=True)) == {"Ann Econ", "Ben Tech"}
        assert all(i.token_salt and len(i.token_hash) == 64 for i in campaign.invitations.all())
        assert campaign.version.in_use is False or Campaign.objects.get(pk=campaign.pk).version.in_use


def test_filters_by_buyer_role_and_tier(tenant_a, account_a):
    people(tenant_a, account_a)
    with tenant_a.ctx():
        other_tier = Tier.objects.exclude(pk=account_a.tier_id).first()
    other = make_account(tenant_a, name="Elsewhere", tier=other_tier.name)
    with tenant_a.ctx():
        Contact.objects.create(account=other, name="Eve Econ", email="eve@example.test", buyer_role="economic")
        audience = campaigns.audience_clean({"buyer_roles": ["economic"], "tiers": [str(account_a.tier_id)]})
    _, preview = draft(tenant_a, audience)
    assert [c.name for c in preview.recipients] == ["Ann Econ"]


@pytest.mark.parametrize(
    "data", [{"buyer_roles": ["king"]}, {"tiers": ["x"]}, {"tiers": ["999999"]}, {"accounts": ["999999"]}]
)
def test_bad_filters_are_refused(tenant_a, data):
    with tenant_a.ctx(), pytest.raises(ValidationError):
        campaigns.audience_clean(data)


def test_another_tenants_account_is_no_such_account(tenant_a, tenant_b):
    theirs = make_account(tenant_b, name="Theirs")
    with tenant_a.ctx(), pytest.raises(ValidationError, match="No such account"):
        campaigns.audience_clean({"accounts": [theirs.pk]})


def test_a_campaign_without_recipients_cannot_be_scheduled(tenant_a, account_a):
    campaign, preview = draft(tenant_a)  # the account has no contacts
    assert preview.recipients == []
    with tenant_a.ctx(), pytest.raises(ValidationError, match="no recipients"):
        campaigns.campaign_schedule(campaign=campaign, acting_user=tenant_a.admin)
    with tenant_a.ctx():
        assert Campaign.objects.get(pk=campaign.pk).status == "draft"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"name": ""}, "name"), ({"name": "x" * 201}, "name"), ({"reminder_max": 9}, "reminder_max"),
     ({"reminder_after_days": "soon"}, "reminder_after_days"), ({"send_at": None}, "send_at")],
)  # fmt: skip
def test_bad_campaigns_are_refused_and_nothing_is_made(tenant_a, account_a, change, field):
    people(tenant_a, account_a)
    with pytest.raises(ValidationError) as caught:
        draft(tenant_a, **change)
    assert field in caught.value.message_dict
    with tenant_a.ctx():
        assert not Campaign.objects.exists() and not Invitation.objects.exists()


def test_close_before_send_is_refused(tenant_a, account_a):
    now = timezone.now()
    with pytest.raises(ValidationError, match="open at least an hour"):
        draft(tenant_a, send_at=now + timedelta(days=2), closes_at=now + timedelta(days=1))


def test_invitations_go_out_at_the_send_date_with_the_link_filled_in_as_they_leave(tenant_a, account_a):
    people(tenant_a, account_a)
    later = timezone.now() + timedelta(hours=2)
    campaign, _ = draft(tenant_a, send_at=later, closes_at=later + timedelta(days=10))
    with tenant_a.ctx():
        campaigns.campaign_schedule(campaign=campaign, acting_user=tenant_a.admin)
        assert campaigns.invitations_send() == 0  # not yet
        assert campaigns.invitations_send(now=later) == 2
        assert campaigns.invitations_send(now=later) == 0  # a second tick sends nothing
        rows = list(OutboundEmail.objects.filter(idempotency_key__startswith="voc-invite-"))
        assert len(rows) == 2 and all(campaigns.LINK_PLACEHOLDER in r.body_text for r in rows)
        assert all("/s/" not in r.body_text and "/s/" not in r.body_html for r in rows)  # no link rests in the outbox
        assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}
    send_all(tenant_a)
    assert len(mail.outbox) == 2
    message = next(m for m in mail.outbox if m.to == ["ann@example.test"])
    assert "Dear Ann Econ" in message.body and tenant_a.tenant.name in message.body
    assert tenant_a.tenant.name in message.alternatives[0][0]
    token = link_in(message)
    with tenant_a.ctx():
        invitation = Invitation.objects.get(contact__name="Ann Econ")
        assert services.token_hash(token) == invitation.token_hash  # the emailed link is this invitation's
        response = submit(token, answers_for(campaign))
        assert response.invitation_id == invitation.pk


def test_reminders_go_to_non_responders_once_per_due_date_however_often_the_tick_runs(tenant_a, account_a):
    people(tenant_a, account_a)
    now = timezone.now()
    campaign, _ = draft(
        tenant_a, reminder_after_days=3, reminder_max=2, send_at=now, closes_at=now + timedelta(days=30)
    )
    with tenant_a.ctx():
        campaigns.campaign_schedule(campaign=campaign, acting_user=tenant_a.admin)
        campaigns.invitations_send(now=now)
        ann = Invitation.objects.get(contact__name="Ann Econ")
        submit(services.invitation_token(ann), answers_for(campaign))
        assert campaigns.reminders_send(now=now + timedelta(days=2)) == 0  # too early
        day4 = now + timedelta(days=4)
        assert [campaigns.reminders_send(now=day4) for _ in range(3)] == [1, 0, 0]  # Ben only, once
        assert campaigns.reminders_send(now=day4 + timedelta(days=1)) == 0  # 3 days after the last email
        assert campaigns.reminders_send(now=day4 + timedelta(days=3)) == 1
        assert campaigns.reminders_send(now=day4 + timedelta(days=30)) == 0  # at most two
        ben = Invitation.objects.get(contact__name="Ben Tech")
        assert ben.reminders_sent == 2
        keys = set(OutboundEmail.objects.filter(to=["ben@example.test"]).values_list("idempotency_key", flat=True))
        assert keys == {f"voc-invite-{ben.pk}-0", f"voc-invite-{ben.pk}-1", f"voc-invite-{ben.pk}-2"}
        assert not OutboundEmail.objects.filter(to=["ann@example.test"], idempotency_key__endswith="-1").exists()
    send_all(tenant_a)
    reminder = next(m for m in mail.outbox if m.to == ["ben@example.test"] and m.subject.startswith("Reminder"))
    first = next(m for m in mail.outbox if m.to == ["ben@example.test"] and not m.subject.startswith("Reminder"))
    assert link_in(reminder) == link_in(first)  # the same link: the first email still works


def test_a_revoked_invitation_is_withdrawn_from_the_outbox_and_its_link_dies(tenant_a, account_a):
    people(tenant_a, account_a)
    campaign, _ = draft(tenant_a)
    with tenant_a.ctx():
        campaigns.campaign_schedule(campaign=campaign, acting_user=tenant_a.admin)
        campaigns.invitations_send()
        ben = Invitation.objects.get(contact__name="Ben Tech")
        token = services.invitation_token(ben)
        campaigns.invitation_revoke(invitation=ben, acting_user=tenant_a.admin)
    send_all(tenant_a)
    assert [m.to for m in mail.outbox] == [["ann@example.test"]]
    with tenant_a.ctx():
        assert OutboundEmail.objects.get(to=["ben@example.test"]).status == "failed"
        with pytest.raises(services.TokenInvalid):
            submit(token, answers_for(campaign))


def test_a_permanent_refusal_marks_the_invitation_bounced_and_is_not_retried(tenant_a, account_a):
    people(tenant_a, account_a)
    campaign, _ = draft(tenant_a)
    refused = smtplib.SMTPRecipientsRefused({"ben@example.test": (550, b"No such user")})
    with tenant_a.ctx():
        campaigns.campaign_schedule(campaign=campaign, acting_user=tenant_a.admin)
        campaigns.invitations_send()
        email = OutboundEmail.objects.get(to=["ben@example.test"])
        with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=refused):
            assert email_send(email_id=email.pk)[0] == "failed"
        ben = Invitation.objects.get(contact__name="Ben Tech")
        assert ben.status == "bounced" and ben.bounced_at is not None and "No such user" in ben.bounce_reason
        other = OutboundEmail.objects.get(to=["ann@example.test"])
        with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPServerDisconnected()):
            assert email_send(email_id=other.pk)[0] == "queued"  # a passing fault is retried, not a bounce
        assert Invitation.objects.get(contact__name="Ann Econ").status == "sent"


def test_contacts_who_opt_out_before_the_send_date_are_not_emailed(tenant_a, account_a):
    people(tenant_a, account_a)
    campaign, _ = draft(tenant_a)
    with tenant_a.ctx():
        campaigns.campaign_schedule(campaign=campaign, acting_user=tenant_a.admin)
        Contact.objects.filter(name="Ben Tech").update(opted_out=True)
        assert campaigns.invitations_send() == 1
        assert Invitation.objects.get(contact__name="Ben Tech").status == "opted_out"


def test_campaigns_close_at_their_close_date_and_links_stop(tenant_a, account_a):
    people(tenant_a, account_a)
    now = timezone.now()
    campaign, _ = draft(tenant_a, closes_at=now + timedelta(days=2))
    with tenant_a.ctx():
        campaigns.campaign_schedule(campaign=campaign, acting_user=tenant_a.admin)
        campaigns.campaigns_tick(now=now)
        assert campaigns.campaigns_tick(now=now + timedelta(days=3))["closed"] == 1
        campaign.refresh_from_db()
        assert campaign.status == "closed" and campaign.closed_at is not None
        token = services.invitation_token(campaign.invitations.first())
    with services.token_context(token) as (tenant, invitation, _questions):
        assert tenant == tenant_a.tenant and invitation is None  # the page and the answer both look it up so


def test_a_token_answers_only_its_own_invitation(tenant_a, account_a):
    """The same contact in two campaigns: each link is scoped to its invitation."""
    people(tenant_a, account_a)
    first, _ = draft(tenant_a, name="First")
    second, _ = draft(tenant_a, name="Second")
    with tenant_a.ctx():
        for campaign in (first, second):
            campaigns.campaign_schedule(campaign=campaign, acting_user=tenant_a.admin)
        campaigns.invitations_send()
        one = Invitation.objects.get(campaign=first, contact__name="Ann Econ")
        submit(services.invitation_token(one), answers_for(first))
        two = Invitation.objects.get(campaign=second, contact__name="Ann Econ")
        assert two.status == "sent" and not Response.objects.filter(invitation=two).exists()
        assert services.invitation_token(one) != services.invitation_token(two)


def ann_answers(world, account, nps, text="Keep it up"):
    """A campaign sent to the account's people, and Ann's answer to it (in the world's tenant, as a tick sees)."""
    people(world, account)
    campaign, _ = draft(world)
    with world.ctx():
        campaigns.campaign_schedule(campaign=campaign, acting_user=world.admin)
        campaigns.invitations_send()
        ann = Invitation.objects.get(contact__name="Ann Econ")
        answers = answers_for(campaign, nps=nps, text=text)
        return campaign, submit(services.invitation_token(ann), answers)


def test_a_detractor_fires_the_detractor_playbook_once_with_one_email_per_owner(tenant_a, account_a):
    campaign, response = ann_answers(tenant_a, account_a, nps="3", text="Outages again")
    with tenant_a.ctx():
        assert not ActionItem.objects.filter(source_kind="survey").exists()  # not the customer's request's work
        assert campaigns.campaigns_tick()["answers"] == 1  # the answer goes on the timeline, once
        assert campaigns.campaigns_tick()["answers"] == 0
        assert playbooks_check() == 1  # the playbook check's
        assert playbooks_check() == 0  # and only once, however often it runs
        run = PlaybookRun.objects.get(playbook__key="detractor")
        items = list(ActionItem.objects.filter(playbook_run=run).order_by("due", "pk"))
        steps = list(run.playbook.steps.all())
        expected = [f"{s.title} — Ann Econ scored 3/10 in a survey" for s in sorted(steps, key=lambda s: s.due_days)]
        assert [i.title for i in items] == expected
        assert all(i.source_kind == "survey" and i.source_id == str(campaign.pk) for i in items)  # the report's
        assert all(i.owner_id == account_a.owner_id for i in items)  # nobody else on the team: the owner
        assert "Ann Econ" in items[0].detail and "3/10" in items[0].detail and "Outages again" in items[0].detail
        emails = OutboundEmail.objects.filter(idempotency_key__startswith=f"playbook:{run.pk}:")
        assert emails.count() == 1 and list(emails[0].to) == [account_a.owner.email]
        assert Response.objects.get(pk=response.pk).follow_up_id in {i.pk for i in items}
        ben = Invitation.objects.get(contact__name="Ben Tech")  # a promoter: no follow-up
        submit(services.invitation_token(ben), answers_for(campaign, nps="10"))
        assert playbooks_check() == 0
        assert PlaybookRun.objects.count() == 1


def test_the_check_leaves_detractors_of_long_ago_alone(tenant_a, account_a):
    """An answer older than the trigger's window (an action closed and deleted long ago) is not followed up again."""
    ann_answers(tenant_a, account_a, nps="4")
    with tenant_a.ctx():
        later = timezone.now() + timedelta(days=DETRACTOR_DAYS, minutes=1)
        assert playbooks_check(now=later) == 0
        assert playbooks_check() == 1


def test_under_anonymity_the_detractor_steps_name_nobody(tenant_a, account_a):
    people(tenant_a, account_a)
    campaign, _ = draft(tenant_a)
    with tenant_a.ctx():
        VocSettings.objects.update_or_create(defaults={"anonymous": True})
        campaigns.campaign_schedule(campaign=campaign, acting_user=tenant_a.admin)
        campaigns.invitations_send()
        ann = Invitation.objects.get(contact__name="Ann Econ")
        submit(services.invitation_token(ann), answers_for(campaign, nps="2", text="Ann here: fire the account team"))
        playbooks_check()
        campaigns.campaigns_tick()
        items = ActionItem.objects.filter(source_kind="survey")
        assert items.exists() and not any("Ann" in i.title or "Ann" in i.detail for i in items)  # nor her words
        started = TimelineEntry.objects.get(event="playbook.fired")
        assert "Ann" not in started.summary and "fire the account team" not in started.summary
        entry = TimelineEntry.objects.get(event="survey.answered")
        assert "Ann" not in entry.summary and "/10" not in entry.summary


def answered(world, account, scores, *, attitude="4", intent="4", send_at=None):
    """A sent campaign in which ``account``'s contacts gave these NPS scores (None: no answer)."""
    with world.ctx():
        first = Contact.objects.count()
        contacts = [Contact.objects.create(account=account, name=f"P{n}", email=f"p{n}@example.test")
                    for n in range(first, first + len(scores))]  # fmt: skip
    campaign, _ = draft(world, campaigns.Audience(accounts=[account.pk]), name=f"Run {timezone.now().timestamp()}")
    with world.ctx():
        campaigns.campaign_schedule(campaign=campaign, acting_user=world.admin)
        campaigns.invitations_send()
        if send_at is not None:
            Campaign.objects.filter(pk=campaign.pk).update(sent_at=send_at)
        for contact, score in zip(contacts, scores, strict=True):
            if score is not None:
                invitation = Invitation.objects.get(campaign=campaign, contact=contact)
                submit(services.invitation_token(invitation), answers_for(campaign, nps=str(score), rating=attitude))
        if intent != attitude:
            Response.objects.filter(invitation__campaign=campaign).update(intent=Decimal(intent))
    return campaign


def test_account_results_nps_shares_rate_and_segment(tenant_a, account_a):
    campaign = answered(tenant_a, account_a, [10, 9, 7, 3, None])
    with tenant_a.ctx():
        data = selectors.campaign_results(campaign)
        row = data["accounts"][0]["rollup"]
        assert (row.invited, row.answered, row.response_rate) == (5, 4, 80.0)
        assert row.nps.score == 25.0 and (row.nps.promoter_share, row.nps.detractor_share) == (50.0, 25.0)
        assert data["accounts"][0]["segment"] == "truly_loyal"
        tab = selectors.account_results(account_a)
        assert tab["latest"]["rollup"].nps.score == 25.0 and len(tab["contacts"]) == 5


def test_segments_follow_the_tenant_cut_offs(tenant_a, account_a):
    answered(tenant_a, account_a, [8, 8, 8], attitude="4", intent="3")
    with tenant_a.ctx():
        assert selectors.account_results(account_a)["latest"]["segment"] == "accessible"
        VocSettings.objects.update_or_create(defaults={"intent_cutoff": Decimal("3")})
        assert selectors.account_results(account_a)["latest"]["segment"] == "truly_loyal"
        VocSettings.objects.update_or_create(defaults={"attitude_cutoff": Decimal("4.5")})
        assert selectors.account_results(account_a)["latest"]["segment"] == "trapped"


def test_anonymity_hides_results_below_k_answers_and_says_so(tenant_a, account_a):
    campaign = answered(tenant_a, account_a, [10, 2, None])
    with tenant_a.ctx():
        VocSettings.objects.update_or_create(defaults={"anonymous": True, "anonymity_threshold": 3})
        row = selectors.campaign_results(campaign)["accounts"][0]
        assert row["rollup"].hidden and row["rollup"].needed == 1 and row["segment"] is None
        assert selectors.campaign_results(campaign)["comments"] == []
        assert selectors.account_fact(account_a, "x")["value"].startswith("hidden")
        value, why = selectors.nps_source(account_a, _period_now())
        assert value is None and "anonymity" in why
        VocSettings.objects.update_or_create(defaults={"anonymity_threshold": 2})
        row = selectors.campaign_results(campaign)["accounts"][0]
        assert not row["rollup"].hidden and row["rollup"].nps.score == 0.0


def _period_now():
    from scorecards import services as scorecard_services

    return scorecard_services.period_for(timezone.localdate())


def test_scorecard_sources_fill_from_the_period_campaigns(tenant_a, account_a):
    answered(tenant_a, account_a, [10, 9, 3, None], attitude="4")
    with tenant_a.ctx():
        period = _period_now()
        assert selectors.nps_source(account_a, period)[0] == Decimal("33.3")
        assert selectors.satisfaction_source(account_a, period)[0] == Decimal("4.0")
        assert selectors.response_rate_source(account_a, period)[0] == Decimal("75.0")
        from scorecards import sources

        assert {"voc_nps", "voc_satisfaction", "voc_response_rate", "voc_loyalty"} <= {
            key for key, _ in sources.choices()
        }
        earlier = type(period)(start=period.start - timedelta(days=400), end=period.start - timedelta(days=300))
        assert selectors.nps_source(account_a, earlier) == (None, "no survey answer in the period")


def loyalty_answers(world, account, pairs):
    """A campaign in which the account's contacts answered these (satisfaction, intent to continue); None: no answer.
    Returns the contacts, in the order of ``pairs``."""
    campaign = answered(world, account, [None if pair is None else 8 for pair in pairs])
    with world.ctx():
        invitations = list(Invitation.objects.filter(campaign=campaign).order_by("contact_id"))
        for invitation, pair in zip(invitations[-len(pairs) :], pairs, strict=True):
            if pair is not None:
                attitude, intent = (Decimal(axis) for axis in pair)
                Response.objects.filter(invitation=invitation).update(attitude=attitude, intent=intent)
        return [invitation.contact for invitation in invitations[-len(pairs) :]]


def test_loyalty_source_is_the_share_of_truly_loyal_contacts_by_the_tenant_cut_offs(tenant_a, account_a):
    contacts = loyalty_answers(tenant_a, account_a, [("5", "5"), ("4", "4"), ("4", "2"), ("2", "5"), None])
    with tenant_a.ctx():
        period = _period_now()
        assert selectors.loyalty_source(account_a, period) == (
            Decimal("50.0"),
            "2 of 4 contacts who answered are truly loyal (satisfaction at least 4 and intent to continue at least 4, "
            "out of 5); account segment: trapped",  # the means: satisfaction 3.75, intent 4
        )
        VocSettings.objects.update_or_create(defaults={"intent_cutoff": Decimal("2")})
        value, why = selectors.loyalty_source(account_a, period)
        assert value == Decimal("75.0") and why.startswith("3 of 4 contacts")
        assert "intent to continue at least 2," in why
        VocSettings.objects.update_or_create(defaults={"attitude_cutoff": Decimal("3.5")})
        assert selectors.loyalty_source(account_a, period)[1].endswith("account segment: truly loyal")

    # A contact asked again in the same period counts once, with the latest answer.
    second = answered(tenant_a, account_a, [])
    with tenant_a.ctx():
        invitation = Invitation.objects.get(campaign=second, contact=contacts[0])
        submit(services.invitation_token(invitation), answers_for(second, nps="2", rating="1"))  # fmt: skip
        value, why = selectors.loyalty_source(account_a, period)
    assert value == Decimal("50.0") and why.startswith("2 of 4 contacts")


def test_loyalty_source_without_answers_is_no_data_never_zero(tenant_a, account_a):
    no_answer = (None, "no survey answer on both satisfaction and intent to continue in the period")
    with tenant_a.ctx():
        assert selectors.loyalty_source(account_a, _period_now()) == no_answer  # no survey at all
    answered(tenant_a, account_a, [None, None, None])
    with tenant_a.ctx():
        assert selectors.loyalty_source(account_a, _period_now()) == no_answer  # asked, nobody answered
    loyalty_answers(tenant_a, account_a, [("5", "5"), ("5", "5")])
    with tenant_a.ctx():
        VocSettings.objects.update_or_create(defaults={"anonymous": True, "anonymity_threshold": 3})
        value, why = selectors.loyalty_source(account_a, _period_now())
    assert value is None and "anonymity" in why


def test_account_fact_and_trend_across_campaigns(tenant_a, account_a):
    answered(tenant_a, account_a, [3, 3], send_at=timezone.now() - timedelta(days=1))
    answered(tenant_a, account_a, [10, 10])
    with tenant_a.ctx():
        tab = selectors.account_results(account_a)
        assert [row["rollup"].nps.score for row in tab["trend"]] == [-100.0, 100.0]
        assert selectors.account_fact(account_a, "x")["value"].startswith("+100")
        assert "NPS by campaign" in str(selectors.account_trend_chart(tab["trend"]))


def test_a_detractor_whose_account_owner_left_still_answers(tenant_a, account_a):
    """The follow-up goes unassigned; the customer's answer is never lost."""
    people(tenant_a, account_a)
    campaign, _ = draft(tenant_a)
    with tenant_a.ctx():
        from sam.models import Membership

        Membership.objects.filter(user=account_a.owner).delete()
        campaigns.campaign_schedule(campaign=campaign, acting_user=tenant_a.admin)
        campaigns.invitations_send()
        ann = Invitation.objects.get(contact__name="Ann Econ")
        submit(services.invitation_token(ann), answers_for(campaign, nps="1"))
        assert Response.objects.count() == 1
        assert playbooks_check() == 1
        assert {i.owner_id for i in ActionItem.objects.filter(source_kind="survey")} == {None}


@pytest.mark.parametrize("bad", ["²", "11", "-1", "7.5", "٣", "x" * 50])
def test_odd_scores_are_refused_not_crashed(tenant_a, account_a, bad):
    people(tenant_a, account_a)
    campaign, _ = draft(tenant_a)
    with tenant_a.ctx():
        campaigns.campaign_schedule(campaign=campaign, acting_user=tenant_a.admin)
        campaigns.invitations_send()
        ann = Invitation.objects.get(contact__name="Ann Econ")
        with pytest.raises(ValidationError):
            submit(services.invitation_token(ann), answers_for(campaign, nps=bad))
        assert not Response.objects.exists()


def test_revoking_never_undoes_an_answer(tenant_a, account_a):
    campaign = answered(tenant_a, account_a, [9])
    with tenant_a.ctx():
        stale = Invitation.objects.get(campaign=campaign)
        stale.status = "sent"  # a copy read before the answer came in
        with pytest.raises(ValidationError, match="answered already"):
            campaigns.invitation_revoke(invitation=stale, acting_user=tenant_a.admin)
        assert Invitation.objects.get(pk=stale.pk).status == "completed"


def test_anonymity_shows_comments_only_of_accounts_with_k_answers(tenant_a, account_a):
    campaign = answered(tenant_a, account_a, [10, 2, 5])
    small = make_account(tenant_a, name="Small")
    with tenant_a.ctx():
        contact = Contact.objects.create(account=small, name="Solo", email="solo@example.test")
        salt, digest = services.token_salt_new(tenant_a.tenant.pk)
        invitation = Invitation.objects.create(campaign=campaign, contact=contact, status="sent", token_salt=salt,
                                               token_hash=digest)  # fmt: skip
        submit(services.invitation_token(invitation), answers_for(campaign, nps="0", text="Only I would say this"))
        VocSettings.objects.update_or_create(defaults={"anonymous": True, "anonymity_threshold": 3})
        data = selectors.campaign_results(campaign)
        accounts = {c.invitation.contact.account.name for c, _ in data["comments"]}
        assert accounts == {account_a.name}  # the lone answer's comment stays hidden
        assert selectors.account_results(small)["comments"] == []


def test_a_high_risk_account_fires_its_playbook_once_and_clears_when_answers_turn(tenant_a, account_a):
    from accounts.playbook_services import playbook_save

    with tenant_a.ctx():
        playbook = playbook_save(name="Save the account", trigger="high_risk",
                                 steps=[{"title": "Call their COO", "role": "executive_partner", "due_days": 3}],
                                 acting_user=tenant_a.admin)  # fmt: skip
    answered(tenant_a, account_a, [9, 8], attitude="2", intent="2")  # happy scores, low satisfaction and intent
    with tenant_a.ctx():
        from accounts.models import Playbook

        Playbook.objects.exclude(pk=playbook.pk).update(active=False)
        assert playbooks_check() == 1 and playbooks_check() == 0
        run = PlaybookRun.objects.get(playbook=playbook)
        assert "high-risk loyalty segment" in run.reason
        assert ActionItem.objects.get(playbook_run=run).owner == account_a.owner  # no Executive Partner: the owner
    answered(tenant_a, account_a, [10, 10, 10, 10], attitude="5", intent="5")  # the mean leaves high risk
    with tenant_a.ctx():
        assert playbooks_check() == 0
        run.refresh_from_db()
        assert run.cleared_at is not None
