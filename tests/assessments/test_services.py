"""Mid-contract assessments: the prompt (with time travel), the team, interviews, journey map, findings,
recommendations with their payback arithmetic, the workflow, and accepted recommendations in the register."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Account, ActionItem, Contact, Tier
from assessments import selectors, services
from assessments.models import Assessment, AssessmentSettings, FindingStep, Payback, Recommendation, TeamMember
from sam.models import AuditEvent, OutboundEmail
from sam.roles import Role
from tests.accounts.conftest import make_account
from tests.assessments.conftest import contract_at, shared_assessment

pytestmark = pytest.mark.django_db


def test_mid_contract_prompt_fires_once_inside_the_window(tenant_a, account_a, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    contract = contract_at(tenant_a, account_a, progress=0.3)  # 30% through: not yet
    with tenant_a.ctx():
        assert services.prompts_send(today) == 0
        term = (contract.end - contract.start).days
        for day in (contract.start + timedelta(days=term * 40 // 100 + 1), today + timedelta(days=200)):
            for _ in range(3):  # the hourly task again and again: one action, one email
                with django_capture_on_commit_callbacks(execute=True):
                    services.prompts_send(day)
        items = ActionItem.objects.filter(source_kind="assessment", dedupe_key=f"midcontract:{contract.pk}")
        assert items.count() == 1
        item = items.get()
        assert item.owner == account_a.owner and item.due == contract.start + timedelta(days=term * 60 // 100)
        assert item.source_id == f"contract-{contract.pk}"
        assert item.source_url("alpha").endswith(f"/assessments/new/?contract={contract.pk}")
        emails = OutboundEmail.objects.filter(idempotency_key=f"assessment-prompt:{contract.pk}")
        assert emails.count() == 1 and emails.get().to == [account_a.owner.email]
        assert "mid-contract assessment" in emails.get().subject
        # Past the window: nothing more; and an assessment made in the window silences it.
        later = contract.start + timedelta(days=term * 61 // 100)
        assert selectors.due_for_prompt(later) == []


def test_an_assessment_on_the_contract_means_no_prompt(tenant_a, account_a):
    contract = contract_at(tenant_a, account_a, progress=0.5)
    with tenant_a.ctx():
        assert [d["contract"] for d in selectors.due_for_prompt()] == [contract]
        services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
        assert selectors.due_for_prompt() == []
        assert services.prompts_send() == 0 and not OutboundEmail.objects.exists()


def test_only_strategic_accounts_are_prompted(tenant_a, account_a):
    contract = contract_at(tenant_a, account_a, progress=0.5)
    with tenant_a.ctx():
        assert [d["contract"] for d in selectors.due_for_prompt()] == [contract]
        assert selectors.account_fact(account_a, "alpha")["value"] == "mid-contract assessment due"
        Account.objects.filter(pk=account_a.pk).update(tier=Tier.objects.get(name="Key"))
        assert selectors.due_for_prompt() == []
        assert selectors.account_fact(Account.objects.get(pk=account_a.pk), "alpha") is None
        assert services.prompts_send() == 0 and not OutboundEmail.objects.exists()


def test_prompt_window_is_configurable_and_validated(tenant_a, account_a):
    contract_at(tenant_a, account_a, progress=0.35)
    with tenant_a.ctx():
        assert selectors.due_for_prompt() == []
        services.assessment_settings_update(
            data={"window_start_pct": "30", "window_end_pct": "70", "hourly_rate": "120", "currency": "eur"},
            acting_user=None,
        )
        assert len(selectors.due_for_prompt()) == 1 and AssessmentSettings.current().currency == "EUR"
        for bad in (
            {"window_start_pct": "70", "window_end_pct": "30"},
            {"window_start_pct": "-1"},
            {"window_end_pct": "101"},
            {"hourly_rate": "-5"},
            {"hourly_rate": "lots"},
            {"currency": "EURO"},
        ):
            with pytest.raises(ValidationError):
                services.assessment_settings_update(data=bad, acting_user=None)
        assert AssessmentSettings.current().window_start_pct == 30


def test_an_account_without_a_contract_can_be_assessed_but_the_midpoint_is_unknown(tenant_a, account_a):
    with tenant_a.ctx():
        assessment = services.assessment_create(account=account_a, data={"title": "Early look"}, acting_user=None)
        assert assessment.contract is None
        info = selectors.contract_midpoint(assessment.contract)
        assert not info["known"] and "mid-point is unknown" in info["text"]


def test_the_team_starts_with_the_account_team_and_experts_rotate(tenant_a, account_a,
                                                                  django_capture_on_commit_callbacks):  # fmt: skip
    admin, executive = tenant_a.admin, tenant_a.users[Role.EXECUTIVE]
    with tenant_a.ctx():
        first = services.assessment_create(account=account_a, data={"title": "2025"}, acting_user=admin)
        assert list(first.team.values_list("user_id", flat=True)) == [account_a.owner_id]
        with django_capture_on_commit_callbacks(execute=True):
            services.expert_add(assessment=first, user_id=executive.pk, expertise="Operations", acting_user=admin)
        with pytest.raises(ValidationError):
            services.expert_add(assessment=first, user_id=executive.pk, acting_user=admin)
        with pytest.raises(ValidationError):
            services.expert_add(assessment=first, user_id=999999, acting_user=admin)
        assert OutboundEmail.objects.filter(idempotency_key=f"assessment-expert:{first.pk}:{executive.pk}").count() == 1
        second = services.assessment_create(account=account_a, data={"title": "2026"}, acting_user=admin)
        rotation = selectors.expert_rotation(account_a, second)
        assert [e["assessment"] for e in rotation["earlier"]] == [first]
        assert [m.user for m in rotation["earlier"][0]["experts"]] == [executive]
        order = [(c["user"], c["served"]) for c in rotation["candidates"]]
        assert order[-1] == (executive, 1) and all(served == 0 for _, served in order[:-1])


def test_interviews_keep_notes_per_guide_topic(tenant_a, account_a, tenant_b):
    with tenant_a.ctx():
        erin = Contact.objects.create(account=account_a, name="Erin")
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
        interview = services.interview_save(
            assessment=assessment,
            data={"contact": str(erin.pk), "held_on": "2026-01-10", "notes": {"contract": " Fits ", "future": ""}},
        )
        assert interview.notes == {"contract": "Fits"}
        services.interview_save(assessment=assessment, interview=interview, data={"notes": {"wants": "Speed"}})
        interview.refresh_from_db()
        assert interview.notes == {"contract": "Fits", "wants": "Speed"}
        for bad in ({"contact": str(erin.pk)}, {"contact": "999999"}, {"contact": "x"}):
            with pytest.raises(ValidationError):
                services.interview_save(assessment=assessment, data=bad)
        for notes in ({"gossip": "x"}, {"contract": "x" * 5001}, {"contract": 5}, "text"):
            with pytest.raises(ValidationError):
                services.interview_save(assessment=assessment, interview=interview, data={"notes": notes})
        with pytest.raises(ValidationError):
            tomorrow = (timezone.localdate() + timedelta(days=3)).isoformat()
            services.interview_save(assessment=assessment, interview=interview, data={"held_on": tomorrow})
        assert services.TOPIC_KEYS == ("contract", "tools", "reports", "metrics", "people", "processes", "wants",
                                       "missing", "changes", "future")  # fmt: skip


def test_journey_steps_in_order_and_findings_linked_to_them(tenant_a, account_a):
    with tenant_a.ctx():
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
        order = services.step_save(assessment=assessment, data={"name": "Order", "rating": "4"})
        incident = services.step_save(assessment=assessment, data={"name": "Incident", "moment_of_truth": "1",
                                                                    "rating": 2})  # fmt: skip
        services.step_move(assessment=assessment, step=incident, up=True)
        assert list(assessment.steps.values_list("name", flat=True)) == ["Incident", "Order"]
        assert incident.moment_of_truth and incident.rating == 2
        for bad in ({"name": ""}, {"name": "x", "rating": "6"}, {"name": "x", "rating": "0"}, {"name": "x" * 201}):
            with pytest.raises(ValidationError):
                services.step_save(assessment=assessment, data=bad)
        data = {"kind": "W", "text": "Slow", "steps": [incident.pk, str(order.pk)]}
        finding = services.finding_save(assessment=assessment, data=data)
        assert set(finding.steps.all()) == {incident, order}
        services.finding_save(assessment=assessment, finding=finding, data={"kind": "W", "text": "Slow",
                                                                            "steps": [incident.pk]})  # fmt: skip
        assert list(finding.steps.all()) == [incident] and FindingStep.objects.count() == 1
        other = services.assessment_create(account=account_a, data={"title": "Other"}, acting_user=None)
        elsewhere = services.step_save(assessment=other, data={"name": "Elsewhere"})
        for bad in ({"kind": "X", "text": "t"}, {"kind": "S", "text": ""}, {"kind": "S", "text": "t",
                    "steps": [elsewhere.pk]}, {"kind": "S", "text": "t", "steps": ["x"]}):  # fmt: skip
            with pytest.raises(ValidationError):
                services.finding_save(assessment=assessment, data=bad)


def test_recommendation_bad_input_changes_nothing(tenant_a, account_a):
    with tenant_a.ctx():
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
        good = {"title": "Fix", "start": "2030-01-01", "end": "2030-02-01"}
        for bad, field in (
            ({**good, "end": "2029-12-31"}, "end"),
            ({**good, "cost_hours": "-1"}, "cost_hours"),
            ({**good, "cost_money": "-0.01"}, "cost_money"),
            ({**good, "cost_money": "NaN"}, "cost_money"),
            ({**good, "cost_money": "1e20"}, "cost_money"),
            ({**good, "start": "soon"}, "start"),
            ({**good, "title": ""}, "title"),
            ({**good, "title": "x" * 201}, "title"),
            ({**good, "steps": "x" * 5001}, "steps"),
            ({**good, "priority": "9"}, "priority"),
            ({**good, "finding": "999999"}, "finding"),
            ({**good, "paybacks": [{"beneficiary": "them", "category": "efficiency"}]}, "paybacks"),
            ({**good, "paybacks": [{"beneficiary": "us", "category": "efficiency", "amount": "-3"}]}, "paybacks"),
            ({**good, "paybacks": [{"beneficiary": "us", "category": "efficiency"}] * 2}, "paybacks"),
            ({k: v for k, v in good.items() if k != "end"}, "end"),
        ):
            with pytest.raises(ValidationError) as error:
                services.recommendation_save(assessment=assessment, data=bad)
            assert field in error.value.message_dict, (bad, error.value)
        assert not Recommendation.objects.exists() and not Payback.objects.exists()


def test_payback_arithmetic(tenant_a, account_a):
    with tenant_a.ctx():
        services.assessment_settings_update(data={"window_start_pct": 40, "window_end_pct": 60, "hourly_rate": "100",
                                    "currency": "EUR"}, acting_user=None)  # fmt: skip
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
        one = services.recommendation_save(assessment=assessment, data={
            "title": "Route", "start": "2030-01-01", "end": "2030-03-31", "cost_hours": "80", "cost_money": "6000",
            "paybacks": [{"beneficiary": "customer", "category": "risk_mitigation", "amount": "40000"},
                         {"beneficiary": "customer", "category": "better_decisions", "amount": ""},
                         {"beneficiary": "us", "category": "cost_reduction", "amount": "8000"}]})  # fmt: skip
        two = services.recommendation_save(
            assessment=assessment,
            data={"title": "Report", "start": "2030-01-01", "end": "2030-01-31", "cost_hours": "20", "cost_money": "0"},
        )
        result = selectors.assessment_totals(assessment)
        first = result["rows"][0]["figures"]
        # our cost = 80 h x 100 + 6,000 = 14,000; each side pays it back on its own, never the two added together
        assert first.cost_total == Decimal("14000") and first.unknown_amounts == 1
        assert (first.customer.yearly, first.us.yearly) == (Decimal("40000"), Decimal("8000"))
        assert first.customer.months == Decimal("4.2")  # 14,000 / 40,000 x 12 (a further amount not known)
        assert first.us.months == Decimal("21.0")  # 14,000 / 8,000 x 12
        assert first.cost_text == "80 h × 100.00 + 6,000.00 = 14,000.00 EUR"  # noqa: RUF001
        assert first.customer.text == (
            "Cost 80 h × 100.00 + 6,000.00 = 14,000.00 EUR; customer benefit 40,000.00 a year (1 more amount "  # noqa: RUF001
            "not known) → payback 4.2 months at most"
        )
        assert first.us.text == (
            "Cost 80 h × 100.00 + 6,000.00 = 14,000.00 EUR; our benefit 8,000.00 a year → payback 21.0 months"  # noqa: RUF001
        )
        second = result["rows"][1]["figures"]
        assert second.customer.months is None and second.us.months is None
        assert "not known (none recorded) → no payback period can be worked out" in second.customer.text
        total = result["all"]
        assert total.cost_total == Decimal("16000")
        assert (total.customer.months, total.us.months) == (Decimal("4.8"), Decimal("24.0"))
        # A declined recommendation leaves the totals.
        Recommendation.objects.filter(pk=one.pk).update(status="declined")
        assert selectors.assessment_totals(assessment)["all"].cost_total == Decimal("2000")
        assert selectors.assessment_totals(assessment)["all"].customer.verdict == "not known"
        _ = two


def test_workflow_transitions_and_illegal_ones_refused(tenant_a, account_a):
    owner = account_a.owner
    with tenant_a.ctx():
        assessment = services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=owner)
        for illegal in ("shared", "action_plan", "draft", "nonsense"):
            with pytest.raises(ValidationError):
                services.assessment_transition(assessment=assessment, to=illegal, acting_user=owner)
        services.assessment_transition(assessment=assessment, to="in_review", acting_user=owner)
        with pytest.raises(ValidationError, match="at least one finding"):
            services.assessment_transition(assessment=assessment, to="shared", acting_user=owner)
        services.assessment_transition(assessment=assessment, to="draft", acting_user=owner)
        services.finding_save(assessment=assessment, data={"kind": "S", "text": "Good QBRs"})
        services.assessment_transition(assessment=assessment, to="in_review", acting_user=owner)
        services.assessment_transition(assessment=assessment, to="shared", acting_user=owner)
        assert assessment.shared_on == timezone.localdate()
        # Shared: the content is final.
        with pytest.raises(ValidationError, match="final"):
            services.finding_save(assessment=assessment, data={"kind": "S", "text": "More"})
        with pytest.raises(ValidationError, match="final"):
            services.step_save(assessment=assessment, data={"name": "Late"})
        for illegal in ("draft", "in_review"):
            with pytest.raises(ValidationError):
                services.assessment_transition(assessment=assessment, to=illegal, acting_user=owner)
        with pytest.raises(ValidationError, match="Accept at least one"):
            services.assessment_transition(assessment=assessment, to="action_plan", acting_user=owner)
        assert Assessment.objects.get(pk=assessment.pk).status == "shared"
        assert AuditEvent.objects.filter(action="assessment.status").count() == 4


def test_accepting_a_recommendation_makes_its_actions_exactly_once(tenant_a, account_a):
    assessment, rec = shared_assessment(tenant_a, account_a, steps="Name an owner\n- Publish the chart\n\nReview")
    with tenant_a.ctx():
        draft = services.assessment_create(account=account_a, data={"title": "Draft"}, acting_user=None)
        early = services.recommendation_save(assessment=draft, data={"title": "Early", "start": "2030-01-01",
                                                                     "end": "2030-01-02"})  # fmt: skip
        with pytest.raises(ValidationError, match="Share the assessment"):
            services.recommendation_accept(recommendation=early, acting_user=None)
        items = services.recommendation_accept(recommendation=rec, acting_user=account_a.owner)
        again = services.recommendation_accept(recommendation=rec, acting_user=account_a.owner)
        assert [i.pk for i in items] == [i.pk for i in again]
        made = ActionItem.objects.filter(account=account_a, source_kind="assessment").order_by("due")
        assert [i.title for i in made] == ["One incident route: Name an owner", "One incident route: Publish the chart",
                                           "One incident route: Review"]  # fmt: skip
        # 60 days from 1 Jan 2030 spread over three steps; the last one on the end.
        assert [i.due for i in made] == [date(2030, 1, 21), date(2030, 2, 10), date(2030, 3, 2)]
        assert all(i.owner == account_a.owner for i in made)
        assert made[0].source_url("alpha").endswith(f"/assessments/{assessment.pk}/")
        rec.refresh_from_db()
        assert rec.status == "accepted" and rec.accepted_by == account_a.owner
        with pytest.raises(ValidationError):
            services.recommendation_decline(recommendation=rec, acting_user=None)
        with pytest.raises(ValidationError):  # accepted: it does not change
            services.recommendation_save(assessment=assessment, recommendation=rec, data={"title": "Other"})
        services.assessment_transition(assessment=assessment, to="action_plan", acting_user=None)
        assert [i.title for i in selectors.plan_progress(account_a)] == [i.title for i in made]
        with pytest.raises(ValidationError):
            services.assessment_transition(assessment=assessment, to="shared", acting_user=None)


def test_a_recommendation_without_steps_makes_one_action_and_declined_ones_make_none(tenant_a, account_a):
    assessment, rec = shared_assessment(tenant_a, account_a, steps="")
    with tenant_a.ctx():
        items = services.recommendation_accept(recommendation=rec, acting_user=None)
        assert [(i.title, i.due) for i in items] == [("One incident route", date(2030, 3, 2))]
        other = Recommendation.objects.create(assessment=assessment, title="Later", start=date(2030, 1, 1),
                                              end=date(2030, 1, 1))  # fmt: skip
        services.recommendation_decline(recommendation=other, acting_user=None)
        with pytest.raises(ValidationError, match="declined"):
            services.recommendation_accept(recommendation=other, acting_user=None)
        assert ActionItem.objects.filter(source_kind="assessment").count() == 1


def test_an_owner_who_left_gets_no_action_but_the_action_is_made(tenant_a, account_a):
    _, rec = shared_assessment(tenant_a, account_a)
    with tenant_a.ctx():
        tenant_a.memberships[Role.ACCOUNT_MANAGER].delete()
        items = services.recommendation_accept(recommendation=rec, acting_user=None)
        assert len(items) == 2 and all(i.owner is None for i in items)


def test_qbr_minutes_list_the_action_plan(tenant_a, account_a):
    from qbr import reports as qbr_reports
    from qbr import services as qbr_services
    from qbr.models import Qbr

    _, rec = shared_assessment(tenant_a, account_a)
    with tenant_a.ctx():
        services.recommendation_accept(recommendation=rec, acting_user=None)
        qbr_services.qbrs_schedule()
        qbr = Qbr.objects.filter(account=account_a).first()
        assert [i.title for i in qbr_reports.minutes_context(qbr)["action_plan"]] == [
            "One incident route: Name an owner",
            "One incident route: Publish the chart",
        ]
        from django.template.loader import render_to_string

        html = render_to_string("qbr/_minutes_body.html", {**qbr_reports.minutes_context(qbr), "tenant": None})
        assert "Assessment action plan: progress" in html and "Publish the chart" in html


def test_account_fact_says_due_or_shows_the_latest(tenant_a, account_a):
    contract_at(tenant_a, account_a, progress=0.5)
    other = make_account(tenant_a, name="Initech")
    with tenant_a.ctx():
        fact = selectors.account_fact(account_a, "alpha")
        assert fact["value"] == "mid-contract assessment due" and fact["tone"] == "danger"
        assert selectors.account_fact(other, "alpha") is None
        services.assessment_create(account=account_a, data={"title": "Mid"}, acting_user=None)
        assert selectors.account_fact(account_a, "alpha")["value"] == "Mid: draft"
        assert TeamMember.objects.count() == 1


def test_the_hourly_task_prompts_once_as_time_passes(tenant_a, account_a, monkeypatch,
                                                     django_capture_on_commit_callbacks):  # fmt: skip
    """The beat task itself, with the calendar moved on: nothing at 30%, one prompt at 45% however often it
    runs, nothing more at 70%."""
    from assessments.tasks import prompts_all

    start = timezone.localdate() - timedelta(days=219)  # 30% of two years
    contract = contract_at(tenant_a, account_a, progress=0.3)
    assert contract.start == start
    real = timezone.localdate
    for day, expected in ((start + timedelta(days=219), 0), (start + timedelta(days=329), 1),
                          (start + timedelta(days=330), 0), (start + timedelta(days=511), 0)):  # fmt: skip
        monkeypatch.setattr(timezone, "localdate", lambda *args, _day=day, **kwargs: _day)
        with django_capture_on_commit_callbacks(execute=True):
            assert prompts_all() == expected, day
            assert prompts_all() == 0
    monkeypatch.setattr(timezone, "localdate", real)
    with tenant_a.ctx():
        assert ActionItem.objects.filter(dedupe_key=f"midcontract:{contract.pk}").count() == 1
        assert OutboundEmail.objects.filter(idempotency_key=f"assessment-prompt:{contract.pk}").count() == 1
