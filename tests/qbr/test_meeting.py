"""The meeting: date with confirmation, participants and the right people, the agenda, minutes, carry-forward."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Contact
from qbr import selectors, services
from qbr.models import AgendaItem, Milestone, Participant, Qbr
from sam.roles import Role
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db


def current_qbr(world, account):
    with world.ctx():
        services.qbrs_schedule()
        return Qbr.objects.filter(account=account).order_by("period_start").first()


def contact(world, account, name, role):
    with world.ctx():
        return Contact.objects.create(account=account, name=name, buyer_role=role)


def test_a_date_outside_the_period_or_past_needs_confirmation(tenant_a, account_a):
    qbr = current_qbr(tenant_a, account_a)
    with tenant_a.ctx():
        outside = timezone.make_aware(datetime.combine(qbr.period_end + timedelta(days=40), datetime.min.time()))
        warnings = services.qbr_schedule_set(qbr=qbr, when=outside, tz="Europe/Berlin", location="Teams")
        assert warnings and "outside the QBR's period" in warnings[0]
        qbr.refresh_from_db()
        assert qbr.scheduled_at is None  # nothing changed without confirmation
        assert services.qbr_schedule_set(qbr=qbr, when=outside, tz="Europe/Berlin", location="Teams",
                                         confirmed=True) == []  # fmt: skip
        qbr.refresh_from_db()
        assert qbr.scheduled_at == outside
        with pytest.raises(ValidationError):
            services.qbr_schedule_set(qbr=qbr, when=outside, tz="Mars/Olympus", location="")


def test_participants_must_belong_and_the_right_people_are_checked(tenant_a, tenant_b, account_a):
    qbr = current_qbr(tenant_a, account_a)
    economic = contact(tenant_a, account_a, "Erin Economic", "economic")
    technical = contact(tenant_a, account_a, "Tom Technical", "technical")
    other_account = make_account(tenant_a, "Other Co")
    stranger = contact(tenant_a, other_account, "Sam Stranger", "usage")
    with tenant_a.ctx():
        with pytest.raises(ValidationError):
            services.participant_add(qbr=qbr, contact_id=stranger.pk)
        with pytest.raises(ValidationError):
            services.participant_add(qbr=qbr, user_id=tenant_b.admin.pk)  # not a member here
        with pytest.raises(ValidationError):
            services.participant_add(qbr=qbr)
        services.participant_add(qbr=qbr, contact_id=economic.pk)
        services.participant_add(qbr=qbr, contact_id=economic.pk)  # twice is once
        services.participant_add(qbr=qbr, contact_id=technical.pk)
        gaps = selectors.qbr_right_people(qbr)
        assert gaps == ["No usage buyer is invited.",
                        "No executive from our side (an executive, or the account's executive partner)."]  # fmt: skip
        services.participant_add(qbr=qbr, user_id=tenant_a.users[Role.EXECUTIVE].pk)
        assert selectors.qbr_right_people(qbr) == ["No usage buyer is invited."]
        Participant.objects.filter(qbr=qbr, contact=economic).delete()  # without the economic buyer:
        assert "No executive from the customer's side (an executive sponsor or the economic buyer)." in (
            selectors.qbr_right_people(qbr)
        )
        assert Participant.objects.filter(qbr=qbr).count() == 2  # technical buyer and our executive


def test_agenda_from_the_default_template_reordered_and_agreed(tenant_a, account_a):
    qbr = current_qbr(tenant_a, account_a)
    with tenant_a.ctx():
        with pytest.raises(ValidationError, match="empty agenda"):
            services.agenda_status_set(qbr=qbr, status="agreed")
        made = services.agenda_create_from_template(qbr=qbr, template=services.agenda_template_default_ensure())
        assert made == len(services.DEFAULT_AGENDA)
        items = list(AgendaItem.objects.filter(qbr=qbr))
        services.agenda_item_move(qbr=qbr, item=items[1], up=True)
        titles = list(AgendaItem.objects.filter(qbr=qbr).values_list("title", flat=True))
        assert titles[0] == "Accolades from both sides"
        with pytest.raises(ValidationError):
            services.agenda_item_save(qbr=qbr, data={"title": "", "minutes": "5"})
        with pytest.raises(ValidationError):
            services.agenda_item_save(qbr=qbr, data={"title": "x", "minutes": "9999"})
        services.agenda_status_set(qbr=qbr, status="proposed")
        services.agenda_status_set(qbr=qbr, status="agreed", agreed_on=timezone.localdate())
        qbr.refresh_from_db()
        assert qbr.status == "agenda_agreed" and qbr.agenda_agreed_on == timezone.localdate()
        assert Milestone.objects.get(qbr=qbr, kind="agenda").done_at is not None
        services.agenda_item_save(qbr=qbr, data={"title": "Late addition", "minutes": "5"})  # back to draft
        qbr.refresh_from_db()
        assert qbr.agenda_status == "draft" and qbr.status == "planned"


def test_held_needs_minutes_or_a_reason_and_then_nothing_changes(tenant_a, account_a):
    qbr = current_qbr(tenant_a, account_a)
    with tenant_a.ctx():
        services.agenda_create_from_template(qbr=qbr, template=services.agenda_template_default_ensure())
        with pytest.raises(ValidationError, match="minutes"):
            services.qbr_held(qbr=qbr)
        item = AgendaItem.objects.filter(qbr=qbr).first()
        services.minutes_save(qbr=qbr, item=item, notes="Budget frozen until March", decisions="Pilot in Q1")
        services.qbr_held(qbr=qbr)
        qbr.refresh_from_db()
        assert qbr.status == "held" and qbr.held_at is not None
        with pytest.raises(ValidationError, match="held"):
            services.agenda_item_save(qbr=qbr, data={"title": "After the fact", "minutes": "5"})
        following = Qbr.objects.filter(account=account_a).exclude(pk=qbr.pk).first()
        with pytest.raises(ValidationError, match="has not started"):  # the next period's QBR cannot be held yet
            services.qbr_held(qbr=following, no_minutes_reason="Customer asked for a call only")
        assert Qbr.objects.get(pk=following.pk).status == "planned"


def test_open_items_carry_forward_across_three_qbrs(tenant_a, account_a):
    owner = tenant_a.users[Role.ACCOUNT_MANAGER]
    with tenant_a.ctx():
        services.qbrs_schedule(today=date(2026, 1, 10))
        services.qbrs_schedule(today=date(2026, 4, 10))
        first, second, third = Qbr.objects.filter(account=account_a).order_by("period_start")[:3]
        a = services.qbr_action_add(qbr=first, title="Share the outage root cause", owner=owner,
                                    due=date(2026, 2, 1), acting_user=owner)  # fmt: skip
        b = services.qbr_action_add(qbr=first, title="Propose a storage upgrade", owner=owner, due=None,
                                    acting_user=owner)  # fmt: skip
        assert a.source_kind == "qbr" and a.source_id == str(first.pk)
        assert list(selectors.open_register(second)) == [a, b]  # both still open at the next QBR
        account_services.action_item_update(item=a, data={"status": "done"}, acting_user=owner)
        c = services.qbr_action_add(qbr=second, title="Invite the CFO", owner=owner, due=date(2026, 5, 1),
                                    acting_user=owner)  # fmt: skip
        assert list(selectors.open_register(third)) == [c, b]  # a closed, b carried twice, c from the second
