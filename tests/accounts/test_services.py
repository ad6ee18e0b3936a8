"""Account services: the rules of the program, the register, recurring-issue ownership."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import selectors, services
from accounts.models import (
    Account,
    AccountsSettings,
    ActionItem,
    ActionItemEvent,
    Contact,
    Deliverable,
    Incident,
    IncidentCategory,
    PlanReview,
    RecurringIssue,
    SelectionCriterion,
    TeamAssignment,
    TeamRole,
    Tier,
    TierChange,
)
from sam.models import OutboundEmail
from sam.roles import Role
from tests.accounts.conftest import make_account
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_new_tenant_gets_program_defaults(tenant_a):
    with tenant_a.ctx():
        assert list(Tier.objects.values_list("name", "strategic")) == [
            ("Strategic", True),
            ("Key", False),
            ("Developing", False),
        ]
        assert SelectionCriterion.objects.count() == 9
        assert IncidentCategory.objects.filter(name="Outage").exists()


def test_create_makes_deliverables_and_owner_assignment(tenant_a, account_a):
    with tenant_a.ctx():
        assert sorted(Deliverable.objects.filter(account=account_a).values_list("role", flat=True)) == sorted(
            TeamRole.values
        )
        assert TeamAssignment.objects.get(account=account_a).role == TeamRole.ACCOUNT_MANAGER
        assert TierChange.objects.filter(account=account_a).count() == 1


def test_portfolio_cap_warns_beyond_the_band(tenant_a):
    with tenant_a.ctx():
        AccountsSettings.current()
        AccountsSettings.objects.update(portfolio_band="custom", portfolio_custom_cap=2)
    make_account(tenant_a, "One")
    make_account(tenant_a, "Two")
    with tenant_a.ctx():
        _, warning = services.account_create(
            data={"name": "Three", "tier": Tier.objects.get(name="Strategic")}, acting_user=None
        )
        _, quiet = services.account_create(
            data={"name": "Four", "tier": Tier.objects.get(name="Key")}, acting_user=None
        )
    assert "3 strategic accounts, above your program's guidance of 2" in warning
    assert quiet == ""


def test_leaving_the_strategic_tier_needs_a_reason_that_is_kept(tenant_a, account_a):
    with tenant_a.ctx():
        key = Tier.objects.get(name="Key")
        with pytest.raises(ValidationError) as err:
            services.account_update(account=account_a, data={"tier": key}, acting_user=None)
        assert "tier_reason" in err.value.message_dict
        assert Account.objects.get(pk=account_a.pk).tier.name == "Strategic"
        services.account_update(account=account_a, data={"tier": key}, acting_user=None, tier_reason="Spend halved")
        change = TierChange.objects.filter(account=account_a).select_related("from_tier", "to_tier").first()
    assert (change.from_tier.name, change.to_tier.name, change.reason) == ("Strategic", "Key", "Spend halved")


def test_duplicate_live_name_is_a_field_error(tenant_a, account_a):
    with tenant_a.ctx(), pytest.raises(ValidationError) as err:
        services.account_create(data={"name": "Globex", "tier": Tier.objects.first()}, acting_user=None)
    assert "name" in err.value.message_dict


def test_soft_delete_keeps_history_and_frees_the_name(tenant_a, account_a):
    with tenant_a.ctx():
        services.action_item_add(account=account_a, title="Keep me")
        services.account_delete(account=account_a, acting_user=None, reason="Merged")
        assert not Account.objects.alive().filter(pk=account_a.pk).exists()
        assert ActionItem.objects.filter(account=account_a).exists()
        services.account_create(data={"name": "Globex", "tier": Tier.objects.first()}, acting_user=None)


def test_parent_cannot_be_a_descendant(tenant_a, account_a):
    child = make_account(tenant_a, "Globex EU", parent=account_a)
    with tenant_a.ctx(), pytest.raises(ValidationError):
        services.account_update(account=account_a, data={"parent": child}, acting_user=None)


def test_strategic_score_is_weighted(tenant_a, account_a):
    with tenant_a.ctx():
        c1, c2 = SelectionCriterion.objects.order_by("pk")[:2]
        c1.weight, c2.weight = 1, 3
        c1.save(), c2.save()
        SelectionCriterion.objects.exclude(pk__in=[c1.pk, c2.pk]).update(active=False)
        services.criteria_answers_save(account=account_a, answers={c1.pk: (5, "yes"), c2.pk: (0, "no")})
        assert Account.objects.get(pk=account_a.pk).strategic_score == 25
        with pytest.raises(ValidationError):
            services.criteria_answers_save(account=account_a, answers={c1.pk: (6, "")})


def test_contract_dates_and_flags(tenant_a, account_a):
    today = timezone.localdate()
    with tenant_a.ctx():
        with pytest.raises(ValidationError) as err:
            services.contract_save(account=account_a, data={"title": "x", "start": today, "end": today})
        assert "end" in err.value.message_dict
        c = services.contract_save(
            account=account_a, data={"title": "MSA", "start": date(2024, 1, 1), "end": date(2028, 1, 2)}
        )
    assert c.midpoint == date(2026, 1, 1)
    assert not c.renewal_due(date(2027, 1, 1))
    assert c.renewal_due(date(2027, 8, 1))
    assert not c.renewal_due(date(2028, 1, 3))


def test_duplicate_contact_email_in_an_account(tenant_a, account_a):
    other = make_account(tenant_a, "Other")
    with tenant_a.ctx():
        services.contact_save(account=account_a, data={"name": "A", "email": "Hank@Globex.example"})
        with pytest.raises(ValidationError) as err:
            services.contact_save(account=account_a, data={"name": "B", "email": "hank@globex.example"})
        assert "email" in err.value.message_dict
        services.contact_save(account=other, data={"name": "C", "email": "hank@globex.example"})  # other account: fine
        assert Contact.objects.count() == 2


def test_action_owner_must_be_a_member(tenant_a, tenant_b, account_a):
    with tenant_a.ctx(), pytest.raises(ValidationError) as err:
        services.action_item_add(account=account_a, title="x", owner=tenant_b.admin)
    assert err.value.message_dict == {"owner": ["No such member of this workspace."]}
    with tenant_a.ctx(), pytest.raises(ValidationError):
        services.action_item_add(account=account_a, title="x", owner=UserFactory())


def test_action_dedupe_key_adds_once(tenant_a, account_a):
    with tenant_a.ctx():
        first, created1 = services.action_item_add(account=account_a, title="Fix", source_kind="qbr", dedupe_key="k")
        second, created2 = services.action_item_add(account=account_a, title="Fix", source_kind="qbr", dedupe_key="k")
        assert (first.pk, created1, created2) == (second.pk, True, False)
        assert ActionItem.objects.count() == 1


def test_action_update_records_history_and_closing(tenant_a, account_a):
    owner = tenant_a.users[Role.MEMBER]
    with tenant_a.ctx():
        item, _ = services.action_item_add(account=account_a, title="Call", acting_user=owner)
        item = services.action_item_update(item=item, data={"status": "done", "owner": owner}, acting_user=owner)
        assert item.closed_at is not None
        item = services.action_item_update(item=item, data={"status": "open"}, acting_user=owner)
        assert item.closed_at is None
        events = list(ActionItemEvent.objects.filter(item=item).values_list("changes", flat=True))
    assert events[0] == {"created": [None, "Call"]}
    assert events[1]["status"] == ["open", "done"] and events[1]["owner_id"] == [None, owner.pk]
    assert events[2] == {"status": ["done", "open"]}


def test_overdue(tenant_a, account_a):
    with tenant_a.ctx():
        item, _ = services.action_item_add(
            account=account_a, title="Late", due=timezone.localdate() - timedelta(days=1)
        )
    assert item.is_overdue()
    item.status = "done"
    assert not item.is_overdue()


def test_plan_versions_and_staleness(tenant_a, account_a):
    with tenant_a.ctx():
        assert selectors.plan_is_stale(account_a, stale_days=90)
        goal = services.goal_add(account=account_a, title="Grow")
        objective = services.objective_add(goal=goal, title="Win migration", measure="SOW")
        services.action_item_add(account=account_a, title="Pilot", objective=objective)
        v1 = services.plan_review_record(account=account_a, acting_user=None)
        objective.title = "Win the data migration"
        objective.save()
        v2 = services.plan_review_record(account=account_a, acting_user=None, note="changed")
        assert (v1.version, v2.version) == (1, 2)
        assert PlanReview.objects.get(pk=v1.pk).snapshot[0]["objectives"][0]["title"] == "Win migration"
        assert not selectors.plan_is_stale(account_a, stale_days=90)
        assert selectors.plan_is_stale(account_a, stale_days=90, now=timezone.now() + timedelta(days=91))


def test_team_completeness(tenant_a, account_a):
    with tenant_a.ctx():
        result = selectors.team_completeness(account_a, stale_days=90)
        assert len(result["missing_roles"]) == 5
        assert len(result["stale_deliverables"]) == 6
        services.team_assign(account=account_a, user_id=tenant_a.users[Role.MEMBER].pk, role="technical_lead")
        Deliverable.objects.filter(account=account_a, role="technical_lead").update(last_reviewed=timezone.localdate())
        result = selectors.team_completeness(account_a, stale_days=90)
    assert len(result["missing_roles"]) == 4
    assert len(result["stale_deliverables"]) == 5


def test_team_assign_rejects_outsiders(tenant_a, tenant_b, account_a):
    with tenant_a.ctx(), pytest.raises(ValidationError):
        services.team_assign(account=account_a, user_id=tenant_b.admin.pk, role="technical_lead")


# --- recurring issues, with time travel ------------------------------------------------


def _incident(account, category, when, *, clock=None):
    """Record an incident; ``clock`` is the time the check runs (default: when it opened)."""
    data = {"category": category, "opened_at": when, "summary": "Down"}
    return services.incident_record(account=account, data=data, now=clock or when)


def test_three_in_thirty_days_opens_exactly_one_issue_one_action_one_email(tenant_a, account_a):
    csm = tenant_a.users[Role.MEMBER]
    start = timezone.now() - timedelta(days=40)
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=csm.pk, role=TeamRole.CUSTOMER_SERVICE_MANAGER)
        outage = IncidentCategory.objects.get(name="Outage")
        other = IncidentCategory.objects.get(name="Billing")
        _incident(account_a, outage, start)
        _incident(account_a, outage, start + timedelta(days=31))  # the first is now outside the window
        _incident(account_a, other, start + timedelta(days=32))
        assert not RecurringIssue.objects.exists()
        _incident(account_a, outage, start + timedelta(days=33))
        assert not RecurringIssue.objects.exists()
        third = start + timedelta(days=35)
        _incident(account_a, outage, third)
        for _ in range(3):  # the periodic check, however often it runs
            services.recurring_issues_sweep(now=third + timedelta(hours=1))
            services.recurring_issue_check(account=account_a, category=outage, now=third)
        issue = RecurringIssue.objects.get()
        assert issue.owner == csm  # the Customer Service Manager owns the service experience
        assert issue.incidents.count() == 3
        actions = ActionItem.objects.filter(source_kind="recurring_issue")
        assert actions.count() == 1 and actions[0].owner == csm
        emails = OutboundEmail.objects.filter(idempotency_key__startswith=f"recurring-issue:{issue.pk}:")
        assert emails.count() == 1 and emails[0].to == [csm.email]
        # A fourth incident joins the open issue; still one of everything.
        _incident(account_a, outage, third + timedelta(days=1))
        assert RecurringIssue.objects.count() == 1
        assert issue.incidents.count() == 4
        assert OutboundEmail.objects.count() == 1


def test_owner_falls_back_to_account_owner(tenant_a, account_a):
    now = timezone.now()
    with tenant_a.ctx():
        cat = IncidentCategory.objects.get(name="Outage")
        for n in range(3):
            _incident(account_a, cat, now - timedelta(days=n), clock=now)
        assert RecurringIssue.objects.get().owner == tenant_a.users[Role.ACCOUNT_MANAGER]


def test_closing_needs_root_cause_then_a_new_pattern_opens_a_new_issue(tenant_a, account_a):
    now = timezone.now()
    with tenant_a.ctx():
        cat = IncidentCategory.objects.get(name="Outage")
        for n in range(3):
            _incident(account_a, cat, now - timedelta(days=3 - n))
        issue = RecurringIssue.objects.get()
        with pytest.raises(ValidationError) as err:
            services.recurring_issue_update(issue=issue, data={"status": "closed"}, acting_user=None)
        assert "root_cause" in err.value.message_dict
        issue = services.recurring_issue_update(
            issue=issue, data={"status": "closed", "root_cause": "Failing disk array"}, acting_user=None
        )
        assert issue.closed_at is not None
        later = now + timedelta(days=60)
        for n in range(3):
            _incident(account_a, cat, later + timedelta(days=n))
        assert RecurringIssue.objects.filter(status="open").count() == 1
        assert RecurringIssue.objects.count() == 2


def test_incident_resolved_before_opened_is_refused(tenant_a, account_a):
    now = timezone.now()
    with tenant_a.ctx(), pytest.raises(ValidationError):
        services.incident_record(
            account=account_a,
            data={
                "category": IncidentCategory.objects.first(),
                "opened_at": now,
                "resolved_at": now - timedelta(hours=1),
                "summary": "x",
            },
        )
    with tenant_a.ctx():
        assert not Incident.objects.exists()


def test_an_action_source_is_one_an_app_registered(tenant_a, account_a):
    from accounts import sources

    with tenant_a.ctx():
        with pytest.raises(ValidationError, match="Unknown source"):
            services.action_item_add(account=account_a, title="From nowhere", source_kind="nowhere")
        item, _ = services.action_item_add(account=account_a, title="From the QBR", source_kind="qbr", source_id=1)
    assert item.source_label() == "QBR"  # registered by the qbr app, with its label
    keys = {kind.key for kind in sources.source_kinds()}
    assert {"manual", "plan", "incident", "recurring_issue", "renewal", "qbr", "assessment", "survey"} <= keys
    assert "scorecard_alert" in keys  # registered by the scorecards app, not by accounts


def test_an_import_kind_is_one_an_app_registered(tenant_a):
    from accounts.import_kinds import import_kind
    from accounts.imports import CsvError, batch_create

    assert import_kind("scorecard").label == "Scorecard values"  # registered by the scorecards app
    assert import_kind("rates").permission == "tenant.manage_settings"
    with tenant_a.ctx(), pytest.raises(CsvError, match="Unknown kind"):
        batch_create(kind="nowhere", raw=b"a,b\n1,2\n", filename="x.csv", acting_user=tenant_a.admin)
