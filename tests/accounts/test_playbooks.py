"""Playbooks: each trigger fires once, not again while true, again after clearing; steps land with the right owners
and dues; bad definitions are refused; the admin pages and the history of the follow-ups from before."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import ActionItem, Contract, IncidentCategory, Playbook, PlaybookRun, TimelineEntry
from accounts.playbook_services import DEFAULTS, playbook_save, playbooks_check
from accounts.timeline_services import timeline_entry_log
from sam.models import OutboundEmail
from sam.roles import Role
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db


def renewal_playbook(world, days=90, steps=None):
    with world.ctx():
        return playbook_save(
            name="Renewal coming",
            trigger="renewal_within",
            days=days,
            steps=steps
            or [
                {"title": "Plan the renewal", "role": "account_manager", "due_days": 3},
                {"title": "Meet their CFO", "role": "executive_partner", "due_days": 10},
                {"title": "Send the proposal", "role": "owner", "due_days": 30},
            ],
            acting_user=world.admin,
        )


def contract(world, account, end):
    with world.ctx():
        return services.contract_save(account=account, data={"title": "Managed services", "start": date(2024, 1, 1),
                                                              "end": end})  # fmt: skip


def test_the_defaults_ship_with_every_workspace(tenant_a):
    with tenant_a.ctx():
        assert sorted(Playbook.objects.values_list("key", flat=True)) == sorted(d["key"] for d in DEFAULTS)
        assert {"detractor", "health_red", "renewal"} <= set(Playbook.objects.values_list("key", flat=True))
        assert Playbook.objects.get(key="renewal").days == 120


def test_a_trigger_fires_once_not_again_while_true_and_again_after_clearing(tenant_a, account_a):
    playbook = renewal_playbook(tenant_a)
    today = timezone.localdate()
    deal = contract(tenant_a, account_a, today + timedelta(days=60))
    with tenant_a.ctx():
        Playbook.objects.exclude(pk=playbook.pk).update(active=False)
        assert playbooks_check() == 1
        assert playbooks_check() == 0  # still true: no second firing
        run = PlaybookRun.objects.get(playbook=playbook)
        assert run.subject == str(deal.pk) and run.cleared_at is None and "Managed services" in run.reason
        assert ActionItem.objects.filter(playbook_run=run).count() == 3
        # the renewal moves out of the window: the run clears, nothing new fires
        Contract.objects.filter(pk=deal.pk).update(end=today + timedelta(days=200))
        assert playbooks_check() == 0
        run.refresh_from_db()
        assert run.cleared_at is not None
        # later (time moved on), the contract comes into the window again: a new firing
        later = timezone.now() + timedelta(days=120)
        assert playbooks_check(now=later) == 1
        assert PlaybookRun.objects.filter(playbook=playbook).count() == 2
        assert playbooks_check(now=later) == 0


def test_steps_land_with_the_right_owners_and_dues(tenant_a, account_a):
    playbook = renewal_playbook(tenant_a)
    partner = tenant_a.users[Role.EXECUTIVE]
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=partner.pk, role="executive_partner")
        Playbook.objects.exclude(pk=playbook.pk).update(active=False)
    contract(tenant_a, account_a, timezone.localdate() + timedelta(days=30))
    with tenant_a.ctx():
        playbooks_check()
        items = {i.title.split(" \u2014 ")[0]: i for i in ActionItem.objects.filter(playbook_run__playbook=playbook)}
        today = timezone.localdate()
        assert items["Plan the renewal"].owner == account_a.owner  # nobody holds the role: the owner
        assert items["Meet their CFO"].owner == partner  # the account's Executive Partner
        assert items["Send the proposal"].owner == account_a.owner
        assert [items[t].due for t in ("Plan the renewal", "Meet their CFO", "Send the proposal")] == [
            today + timedelta(days=3), today + timedelta(days=10), today + timedelta(days=30)
        ]  # fmt: skip
        assert "Managed services ends on" in items["Plan the renewal"].title
        emails = OutboundEmail.objects.filter(idempotency_key__startswith="playbook:")
        assert sorted(e.to[0] for e in emails) == sorted([account_a.owner.email, partner.email])
        event = TimelineEntry.objects.get(event="playbook.fired")
        assert "Renewal coming" in event.summary


def test_an_economic_buyer_gone_quiet_fires_and_a_call_clears_it(tenant_a, account_a):
    with tenant_a.ctx():
        ann = services.contact_save(account=account_a, data={"name": "Ann Econ", "buyer_role": "economic"})
        playbook = playbook_save(name="Quiet buyer", trigger="economic_quiet", days=30,
                                 steps=[{"title": "Call the CFO", "role": "owner", "due_days": 2}],
                                 acting_user=tenant_a.admin)  # fmt: skip
        Playbook.objects.exclude(pk=playbook.pk).update(active=False)
        assert playbooks_check() == 1
        timeline_entry_log(account=account_a, kind="call", summary="Caught up", contact_ids=[ann.pk],
                           acting_user=tenant_a.users[Role.ACCOUNT_MANAGER])  # fmt: skip
        assert playbooks_check() == 0
        assert PlaybookRun.objects.get(playbook=playbook).cleared_at is not None
        assert playbooks_check(now=timezone.now() + timedelta(days=31)) == 1  # quiet again a month later


def test_a_recurring_issue_and_mid_contract_fire(tenant_a, account_a):
    with tenant_a.ctx():
        for trigger in ("recurring_issue", "mid_contract"):
            playbook_save(name=trigger, trigger=trigger, steps=[{"title": trigger, "role": "owner", "due_days": 1}],
                          acting_user=tenant_a.admin)  # fmt: skip
        Playbook.objects.exclude(trigger__in=("recurring_issue", "mid_contract")).update(active=False)
    contract(tenant_a, account_a, timezone.localdate() + timedelta(days=400))  # started 2024: past its mid-point
    with tenant_a.ctx():
        category = IncidentCategory.objects.first()
        for _ in range(3):
            services.incident_record(account=account_a, data={"category": category, "summary": "Outage"})
        assert playbooks_check() == 2
        fired = sorted(PlaybookRun.objects.values_list("playbook__trigger", flat=True))
        assert fired == ["mid_contract", "recurring_issue"]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"steps": []}, "steps"),
        ({"steps": [{"title": "x", "role": "owner", "due_days": -1}]}, "steps"),
        ({"steps": [{"title": "x", "role": "astronaut", "due_days": 1}]}, "steps"),
        ({"steps": [{"title": "", "role": "owner", "due_days": 1}]}, "steps"),
        ({"steps": [{"title": "x", "role": "owner", "due_days": "3"}]}, "steps"),
        ({"trigger": "moon_phase"}, "trigger"),
        ({"days": None}, "days"),
        ({"days": 0}, "days"),
        ({"name": "a\x00b"}, "name"),
    ],
)
def test_bad_playbooks_are_refused(tenant_a, changes, field):
    data = {"name": "P", "trigger": "renewal_within", "days": 30,
            "steps": [{"title": "x", "role": "owner", "due_days": 1}], **changes}  # fmt: skip
    with tenant_a.ctx():
        before = Playbook.objects.count()
        with pytest.raises(ValidationError) as error:
            playbook_save(acting_user=tenant_a.admin, **data)
        assert field in error.value.message_dict
        assert Playbook.objects.count() == before


def test_only_admins_define_playbooks(tenant_a, client_for):
    with tenant_a.ctx(), pytest.raises(PermissionDenied):
        playbook_save(name="P", trigger="mid_contract", steps=[{"title": "x", "role": "owner", "due_days": 1}],
                      acting_user=tenant_a.users[Role.ACCOUNT_MANAGER])  # fmt: skip
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    slug = tenant_a.tenant.slug
    assert am.get(reverse("playbooks", args=[slug])).status_code == 200  # everyone sees them
    assert am.get(reverse("playbook_create", args=[slug])).status_code == 403
    with tenant_a.ctx():
        detractor = Playbook.objects.get(key="detractor")
    assert am.post(reverse("playbook_pause", args=[slug, detractor.pk])).status_code == 403


def test_the_admin_makes_a_playbook_through_the_page(tenant_a, client_for):
    admin = client_for(tenant_a.admin)
    slug = tenant_a.tenant.slug
    form = {"name": "Mid-term check", "trigger": "mid_contract", "days": "", "active": "on",
            "steps-TOTAL_FORMS": "3", "steps-INITIAL_FORMS": "0",
            "steps-0-title": "Start the assessment", "steps-0-role": "account_manager", "steps-0-due_days": "5",
            "steps-1-title": "", "steps-1-role": "owner", "steps-1-due_days": "",
            "steps-2-title": "Review with the EP", "steps-2-role": "executive_partner",
            "steps-2-due_days": "20"}  # fmt: skip
    response = admin.post(reverse("playbook_create", args=[slug]), form)
    assert response.status_code == 302
    with tenant_a.ctx():
        playbook = Playbook.objects.get(name="Mid-term check")
        steps = [(s.title, s.role, s.due_days) for s in playbook.steps.all()]
        first, second = ("Start the assessment", "account_manager", 5), ("Review with the EP", "executive_partner", 20)
        assert steps == [first, second]
    bad = admin.post(reverse("playbook_create", args=[slug]), {**form, "steps-0-due_days": "-2", "steps-2-title": ""})
    assert bad.status_code == 400
    empty = admin.post(reverse("playbook_create", args=[slug]), {**form, "steps-0-title": "", "steps-2-title": ""})
    assert empty.status_code == 400 and "at least one step" in empty.content.decode()
    page = admin.get(reverse("playbooks", args=[slug])).content.decode()
    assert "Mid-term check" in page and "Start the assessment" in page
    assert admin.post(reverse("playbook_delete", args=[slug, playbook.pk])).status_code == 302
    with tenant_a.ctx():
        assert not Playbook.objects.filter(pk=playbook.pk).exists()


def test_the_check_over_many_accounts_is_one_bounded_pass(tenant_a):
    """Every default playbook evaluated: the same queries for 3 accounts as for 25 (nothing new to fire)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = timezone.localdate()

    def grow(n: int) -> int:
        for i in range(n):
            account = make_account(tenant_a, name=f"Co {i}-{n}")
            contract(tenant_a, account, today + timedelta(days=400))  # nothing due
            with tenant_a.ctx():
                services.contact_save(account=account, data={"name": f"CFO {i}-{n}", "buyer_role": "economic"})
                timeline_entry_log(account=account, kind="call", summary="hi", acting_user=None,
                                   contact_ids=list(account.contacts.values_list("pk", flat=True)))  # fmt: skip
        with tenant_a.ctx():
            playbooks_check()  # whatever was due fired; now the steady state
            with CaptureQueriesContext(connection) as queries:
                assert playbooks_check() == 0
        return len(queries)

    few = grow(3)
    assert grow(22) == few


def test_the_follow_ups_from_before_playbooks_become_their_history(tenant_a, account_a):
    """The migration turns each earlier detractor follow-up and scorecard alert into a run of its playbook, so the
    check does not make them again."""
    import importlib

    from django.apps import apps

    from tests.voc.test_campaigns import ann_answers

    migration = importlib.import_module("accounts.migrations.0017_playbooks_from_follow_ups")
    _, response = ann_answers(tenant_a, account_a, nps="2")
    with tenant_a.ctx():
        from voc.models import Response

        old, _ = services.action_item_add(account=account_a, title="Follow up a detractor: Ann scored 2/10",
                                          source_kind="survey", dedupe_key=f"voc-detractor-{response.pk}")  # fmt: skip
        Response.objects.filter(pk=response.pk).update(follow_up=old)
        alerts = [
            services.action_item_add(
                account=account_a,
                title=f"Health of Globex is red ({n})",
                source_kind="scorecard_alert",
                dedupe_key=f"health-red:{n}",
            )[0]
            for n in (1, 2)
        ]

        class Editor:  # the statements lifting row-level security are the owner role's; here the tenant is set
            def execute(self, sql: str) -> None:
                pass

        migration.forwards(apps, Editor())
        detractor = PlaybookRun.objects.get(playbook__key="detractor")
        assert detractor.subject == str(response.pk) and detractor.cleared_at is None
        assert ActionItem.objects.get(pk=old.pk).playbook_run == detractor
        red = list(PlaybookRun.objects.filter(playbook__key="health_red").order_by("fired_at", "pk"))
        assert [r.cleared_at is None for r in red] == [False, True]  # the same signal again: the first had cleared
        assert [a.pk for a in ActionItem.objects.filter(playbook_run__in=red).order_by("pk")] == [a.pk for a in alerts]
        Playbook.objects.exclude(key="detractor").update(active=False)
        assert playbooks_check() == 0  # the detractor's answer was followed up already


def test_a_margin_keeps_a_run_from_clearing_without_firing_again(tenant_a, account_a, monkeypatch):
    """A trigger may say "not now, but not clear yet" (None): that holds a live run and fires nothing."""
    from accounts import triggers

    state: dict[tuple[int, str], str | None] = {}
    monkeypatch.setitem(
        triggers._triggers, "test_signal", triggers.Trigger("test_signal", "Test", lambda days, now: dict(state))
    )
    with tenant_a.ctx():
        playbook = playbook_save(name="T", trigger="test_signal", steps=[{"title": "Act", "role": "owner",
                                 "due_days": 1}], acting_user=tenant_a.admin)  # fmt: skip
        Playbook.objects.exclude(pk=playbook.pk).update(active=False)
        key = (account_a.pk, "")
        state[key] = None
        assert playbooks_check() == 0 and not PlaybookRun.objects.exists()  # the margin alone fires nothing
        state[key] = "Signal"
        assert playbooks_check() == 1
        state[key] = None
        assert playbooks_check() == 0
        assert PlaybookRun.objects.get().cleared_at is None  # within the margin: still live
        state[key] = "Signal"
        assert playbooks_check() == 0  # back: no second group
        state.clear()
        assert playbooks_check() == 0
        assert PlaybookRun.objects.get().cleared_at is not None


def test_red_health_keeps_its_run_until_five_points_clear_of_red(tenant_a, account_a):
    from scorecards import services as scorecard_services
    from scorecards.models import Scorecard
    from scorecards.triggers import _health_red

    with tenant_a.ctx():
        card = scorecard_services.scorecard_for(account=account_a, period=scorecard_services.period_for(date.today()))
        now = timezone.now()
        for health, expected in ((48, "Health is red (48/100)"), (52, None), (56, "absent")):
            Scorecard.objects.filter(pk=card.pk).update(health=health)
            found = _health_red(None, now)
            if expected == "absent":
                assert (account_a.pk, "") not in found
            elif expected is None:
                assert found[(account_a.pk, "")] is None
            else:
                assert found[(account_a.pk, "")].startswith(expected)


def test_the_playbooks_page_and_the_actions_tab_in_a_constant_number_of_queries(tenant_a, account_a, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = client_for(tenant_a.admin)
    pages = [
        reverse("playbooks", args=[tenant_a.tenant.slug]),
        reverse("account_detail", args=[tenant_a.tenant.slug, account_a.pk]) + "?tab=actions",
    ]

    def counts() -> list[int]:
        found = []
        for page in pages:
            admin.get(page)
            admin.get(page)  # the first visits fill the caches
            with CaptureQueriesContext(connection) as queries:
                assert admin.get(page).status_code == 200
            found.append(len(queries))
        return found

    playbook = renewal_playbook(tenant_a)
    with tenant_a.ctx():
        first = PlaybookRun.objects.create(playbook=playbook, account=account_a, subject="s0", reason="r")
        services.action_item_add(account=account_a, title="Step 0", playbook_run=first)
    few = counts()
    with tenant_a.ctx():
        for n in range(1, 12):
            run = PlaybookRun.objects.create(playbook=playbook, account=account_a, subject=f"s{n}", reason="r")
            services.action_item_add(account=account_a, title=f"Step {n}", playbook_run=run)
    assert counts() == few
