"""Demo assessments: Hooli Media mid-contract with a finished assessment (its action plan in the register, the
customer's and our own team's interviews, the sharing confirmed by the customer), Umbrella Health with one shared
more than a year ago (its first year's progress report made by the anniversary job and rendered), Cyberdyne
Systems due for the mid-contract prompt, and two 4 R's rounds a year apart."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from accounts import services as account_services
from accounts.models import Account, ActionItem, ActionItemEvent, BuyerRole, Contact, TeamAssignment
from assessments import fourrs, fourrs_services, services
from assessments.models import (
    PROGRESS_YEAR_KIND,
    Assessment,
    FourRsInvitation,
    FourRsResult,
    FourRsRound,
    Recommendation,
)
from sam.documents.tasks import render_document
from sam.models import Document, Membership, Tenant
from sam.roles import Role

STEPS = [  # (name, touchpoint, moment of truth, rating)
    ("Ordering a new service", "Service catalogue and account manager", False, 4),
    ("Onboarding and hand-over", "Project manager", True, 3),
    ("Raising an incident", "Service desk", True, 2),
    ("Monthly service report", "Customer service manager", False, 2),
    ("Invoice and billing queries", "Finance team", False, 4),
    ("Quarterly business review", "Account team and executives", True, 5),
]
FINDINGS = [  # (kind, text, step indexes)
    ("S", "The quarterly reviews are valued: their CIO calls them the best hour of the quarter.", [5]),
    ("S", "Ordering is easy: the catalogue and the account manager answer within a day.", [0]),
    ("O", "Four separate monthly reports could become one report that their board reads.", [3]),
    ("W", "Priority incidents bounce between our desks; two took over a day to reach the right team.", [2]),
    ("W", "Hand-over from projects to operations loses what was promised during onboarding.", [1]),
]
# A table: one row per line reads better than one field per line.
# fmt: off
# (title, steps, obstacles, start offset, days, hours, money, priority, paybacks, accepted)
Rec = tuple[str, str, str, int, int, int, int, int, list[tuple[str, str, int | None]], bool]
RECS: list[Rec] = [
    ("One route for priority incidents",
     "Name an incident owner per shift\nPublish the escalation chart to the customer\nReview every P1 in the QBR",
     "Desk rotas in two countries", -60, 120, 80, 6000, 1,
     [("customer", "risk_mitigation", 40000), ("customer", "efficiency", 12000), ("us", "cost_reduction", 9000)],
     True),
    ("One monthly service report",
     "Agree the content with their operations director\nBuild the combined report\nRetire the four old reports",
     "Two report owners on our side", -30, 90, 60, 2500, 2,
     [("customer", "better_decisions", None), ("customer", "efficiency", 8000), ("us", "efficiency", 6000)], True),
    ("Hand-over checklist for new services",
     "Write the checklist with the project office\nPilot it on the next roll-out",
     "", 30, 60, 24, 0, 3, [("customer", "risk_mitigation", None), ("us", "cost_reduction", 3000)], False),
]
# fmt: on


def seed_assessments(tenant: Tenant) -> None:
    if Assessment.objects.exists() or FourRsRound.objects.exists():
        return
    hooli = Account.objects.alive().filter(name="Hooli Media").first()
    if hooli is not None:
        _finished(hooli)
    umbrella = Account.objects.alive().filter(name="Umbrella Health").first()
    if umbrella is not None:
        _a_year_on(umbrella)
    _rounds(random.Random(f"fourrs-{tenant.slug}"))
    services.prompts_send()
    # The anniversary job, as beat runs it: Umbrella's first year asked for and its owner told; then rendered by the
    # render task itself, as the worker renders it, so that the demo has the PDF to open.
    services.progress_reports_send()
    for document in Document.objects.filter(kind=PROGRESS_YEAR_KIND, status=Document.Status.QUEUED):
        render_document.apply(args=[tenant.pk, document.pk])


def _finished(account: Account) -> None:
    today = timezone.localdate()
    owner = account.owner
    assert owner is not None  # every demo account has an owner
    assessment = services.assessment_create(
        account=account,
        acting_user=owner,
        data={
            "title": "Mid-contract assessment",
            "summary": (
                "Hooli Media values the quarterly reviews and the ease of ordering. Priority incidents and the monthly "
                "reporting fall short of what was promised; fixing both is worth more to them than any new service."
            ),
        },
    )
    Assessment.objects.filter(pk=assessment.pk).update(started_on=today - timedelta(days=75))
    expert = (
        Membership.objects.filter(role__in=[Role.ADMIN, Role.EXECUTIVE])
        .exclude(user_id__in=assessment.team.values("user_id"))
        .select_related("user")
        .first()
    )
    if expert is not None:
        services.expert_add(
            assessment=assessment, user_id=expert.user_id, expertise="Service operations", acting_user=owner
        )
    for n, contact in enumerate(Contact.objects.filter(account=account).order_by("pk")[:2]):
        services.interview_save(
            assessment=assessment,
            data={
                "contact": str(contact.pk),
                "held_on": today - timedelta(days=60 - n * 7),
                "interviewer": owner.pk,
                "notes": {
                    "contract": "Fits; they would add a service credit for priority incidents.",
                    "reports": "Four monthly reports; nobody reads all four.",
                    "people": "The account manager is responsive; the service desk less so.",
                    "wants": "Incidents that reach the right team at once.",
                    "changes": "Moving to a product-led organisation next year.",
                    "future": "One team, one report, no surprises.",
                },
            },
        )
    colleague = _colleague(account)
    services.interview_save(
        assessment=assessment,
        data={
            "colleague": colleague.pk,
            "held_on": today - timedelta(days=50),
            "interviewer": owner.pk,
            "notes": {
                "reports": "We send four reports because four teams asked once; nobody asked whether they are read.",
                "people": "The desk rotas in two countries mean a P1 can wait for the next shift's lead.",
                "processes": "Hand-over from projects to operations is a meeting, not a checklist.",
                "future": "One service owner on our side who speaks for every team.",
            },
        },
    )
    steps = [
        services.step_save(
            assessment=assessment, data={"name": name, "touchpoint": where, "moment_of_truth": truth, "rating": rating}
        )
        for name, where, truth, rating in STEPS
    ]
    findings = [
        services.finding_save(
            assessment=assessment, data={"kind": kind, "text": text, "steps": [steps[i].pk for i in linked]}
        )
        for kind, text, linked in FINDINGS
    ]
    recs = []
    for title, lines, obstacles, offset, days, hours, cash, priority, paybacks, accepted in RECS:
        start = today + timedelta(days=offset)
        rec = services.recommendation_save(
            assessment=assessment,
            data={
                "title": title,
                "steps": lines,
                "obstacles": obstacles,
                "start": start,
                "end": start + timedelta(days=days),
                "cost_hours": hours,
                "cost_money": cash,
                "priority": priority,
                "finding": findings[3 if priority == 1 else 2 if priority == 2 else 4].pk,
                "paybacks": [{"beneficiary": b, "category": c, "amount": a} for b, c, a in paybacks],
            },
        )
        recs.append((rec, accepted))
    services.assessment_transition(assessment=assessment, to="in_review", acting_user=owner)
    economic = Contact.objects.filter(account=account, buyer_role=BuyerRole.ECONOMIC).first()
    services.assessment_transition(
        assessment=assessment,
        to="shared",
        acting_user=owner,
        confirmation={"confirmed_by": economic.pk, "confirmed_on": today - timedelta(days=38)} if economic else None,
    )
    Assessment.objects.filter(pk=assessment.pk).update(shared_on=today - timedelta(days=40))
    for rec, accepted in recs:
        if accepted:
            services.recommendation_accept(recommendation=rec, acting_user=owner)
    services.assessment_transition(assessment=assessment, to="action_plan", acting_user=owner)
    assessment.refresh_from_db()


def _colleague(account: Account) -> Any:
    """Someone of our side to interview: a member of the account team other than its owner (else the owner)."""
    held = TeamAssignment.objects.filter(account=account).exclude(user_id=account.owner_id).select_related("user")
    first = held.order_by("role", "pk").first()
    return first.user if first is not None else account.owner


def _a_year_on(account: Account) -> None:
    """An assessment shared 400 days ago, confirmed by the customer's economic buyer: two recommendations
    accepted, their actions worked on during the first year (one done late, one overdue), one declined."""
    today = timezone.localdate()
    owner = account.owner
    assert owner is not None  # every demo account has an owner
    started, shared = today - timedelta(days=470), today - timedelta(days=400)
    assessment = services.assessment_create(
        account=account,
        acting_user=owner,
        data={
            "title": f"Mid-contract assessment {started.year}",
            "summary": (
                "Umbrella Health trusts our engineers but not our change process: two outages followed changes they "
                "had not heard of. They want to be told before anything changes, and fewer surprises on the invoice."
            ),
        },
    )
    Assessment.objects.filter(pk=assessment.pk).update(started_on=started)
    assessment.refresh_from_db()
    contact = Contact.objects.filter(account=account).order_by("pk").first()
    if contact is not None:
        services.interview_save(
            assessment=assessment,
            data={
                "contact": contact.pk,
                "held_on": started + timedelta(days=15),
                "interviewer": owner.pk,
                "notes": {
                    "processes": "Changes reach us after they happen; twice they took the clinic systems down.",
                    "people": "Your engineers are excellent once a ticket reaches them.",
                    "wants": "Hear about every change a week ahead, in plain words.",
                },
            },
        )
    services.interview_save(
        assessment=assessment,
        data={
            "colleague": _colleague(account).pk,
            "held_on": started + timedelta(days=20),
            "interviewer": owner.pk,
            "notes": {
                "processes": "Our change board meets weekly; urgent changes skip it and nobody tells the customer.",
                "wants": "A change calendar the customer can read would save us the escalations.",
            },
        },
    )
    finding = services.finding_save(
        assessment=assessment, data={"kind": "W", "text": "Changes reach the customer only after they happen."}
    )
    plan = [  # (title, steps, start and end after sharing in days, hours, money, customer, us, decision)
        ("A change calendar the customer reads",
         "Publish the calendar\nReview it in the weekly call\nList invoice changes on it",
         10, 190, 120, 3000, 30000, 9000, "accept"),
        ("Plain-words change notices", "Write the notice template\nSend a notice for every change", 20, 460, 40, 0,
         None, 4000, "accept"),
        ("A second change board a week", "", 30, 90, 80, 0, None, None, "decline"),
    ]  # fmt: skip
    recs = []
    for title, lines, begin, end, hours, cash, to_them, to_us, decision in plan:
        paybacks = [{"beneficiary": "customer", "category": "risk_mitigation", "amount": to_them}]
        if to_us is not None:
            paybacks.append({"beneficiary": "us", "category": "efficiency", "amount": to_us})
        rec = services.recommendation_save(
            assessment=assessment,
            data={
                "title": title,
                "steps": lines,
                "start": shared + timedelta(days=begin),
                "end": shared + timedelta(days=end),
                "cost_hours": hours,
                "cost_money": cash,
                "priority": 1 if decision == "accept" else 3,
                "finding": finding.pk,
                "paybacks": paybacks,
            },
        )
        recs.append((rec, decision))
    services.assessment_transition(assessment=assessment, to="in_review", acting_user=owner)
    economic = Contact.objects.filter(account=account, buyer_role=BuyerRole.ECONOMIC).first() or contact
    services.assessment_transition(
        assessment=assessment,
        to="shared",
        acting_user=owner,
        confirmation={"confirmed_by": economic.pk, "confirmed_on": shared + timedelta(days=2)} if economic else None,
    )
    Assessment.objects.filter(pk=assessment.pk).update(shared_on=shared)
    for rec, decision in recs:
        if decision == "accept":
            services.recommendation_accept(recommendation=rec, acting_user=owner)
        else:
            services.recommendation_decline(recommendation=rec, acting_user=owner)
    Recommendation.objects.filter(assessment=assessment, status="accepted").update(
        accepted_at=_moment(shared + timedelta(days=3))
    )
    services.assessment_transition(assessment=assessment, to="action_plan", acting_user=owner)
    # A year of work, dated as it happened: the register records each change when it is made.
    actions = list(ActionItem.objects.filter(source_kind="assessment", source_id=str(assessment.pk)).order_by("due"))
    ActionItem.objects.filter(pk__in=[a.pk for a in actions]).update(created_at=_moment(shared + timedelta(days=3)))
    ActionItemEvent.objects.filter(item__in=actions).update(at=_moment(shared + timedelta(days=3)))
    for item, days in zip(actions[:3], (70, 150, 330), strict=False):
        account_services.action_item_update(item=item, data={"status": "done"}, acting_user=owner)
        ActionItem.objects.filter(pk=item.pk).update(closed_at=_moment(shared + timedelta(days=days)))
        ActionItemEvent.objects.filter(item=item, changes__has_key="status").update(
            at=_moment(shared + timedelta(days=days))
        )
    if len(actions) > 3:
        account_services.action_item_update(
            item=actions[3], data={"due": actions[3].due + timedelta(days=30)}, acting_user=owner
        )
        ActionItemEvent.objects.filter(item=actions[3], changes__has_key="due").update(
            at=_moment(shared + timedelta(days=200))
        )


def _moment(day: Any) -> Any:
    return timezone.make_aware(datetime.combine(day, time(11, 0)))


def _rounds(rng: random.Random) -> None:
    """Last year's round (closed) and this year's (open, the account manager still to answer); a year of work
    lifted the weak Revenue items."""
    people = list(
        Membership.objects.filter(role__in=[Role.ADMIN, Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.MEMBER])
        .select_related("user")
        .order_by("user__email")
    )
    admin = next((m.user for m in people if m.role == Role.ADMIN), None)
    if not people or admin is None:
        return
    today = timezone.localdate()
    for year_ago, title in ((True, f"4 R's review {today.year - 1}"), (False, f"4 R's review {today.year}")):
        opened = today - timedelta(days=380 if year_ago else 10)
        closes = opened + timedelta(days=21 if year_ago else 30)
        round = FourRsRound.objects.create(title=title, opens_on=opened, closes_on=closes, created_by=admin)
        FourRsInvitation.objects.bulk_create([FourRsInvitation(round=round, user=m.user) for m in people])
        for m in people:
            if not year_ago and m.role == Role.ACCOUNT_MANAGER and m.user.email.startswith("am@"):
                continue  # waiting for this answer
            answers = {}
            for s in fourrs.STATEMENTS:
                base = 3 if s.r == "revenue" else 4
                if year_ago and s.r == "revenue":
                    base = 2
                answers[s.key] = max(1, min(5, base + rng.choice((-1, 0, 0, 1))))
            item = (
                fourrs_services.fourrs_result_submit(respondent=m.user, answers=answers, round=round)
                if not year_ago
                else None
            )
            if year_ago:
                result = fourrs.score(answers)
                item = FourRsResult.objects.create(
                    round=round,
                    respondent=m.user,
                    answers=answers,
                    **{k: result[k] for k in ("resolution", "retention", "revenue", "relationships", "total", "band")},
                )
            taken = timezone.make_aware(datetime.combine(opened + timedelta(days=rng.randint(1, 9)), time(10, 0)))
            assert item is not None
            FourRsResult.objects.filter(pk=item.pk).update(taken_at=taken)
        if year_ago:
            fourrs_services.fourrs_round_close(round=round)
            FourRsRound.objects.filter(pk=round.pk).update(
                closed_at=timezone.make_aware(datetime.combine(opened + timedelta(days=21), time(18, 0)))
            )
