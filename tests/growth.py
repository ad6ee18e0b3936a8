"""Rows to grow a workspace by, for the query budgets (tests/sam/test_query_budgets.py).

``grow(size, objects)`` brings every kind of row a page or an API list shows to ``size`` rows: the workspace's
own lists (accounts, members, tokens, templates, playbooks, QBRs, campaigns, assessments, rounds...) and the
children of the objects the routes are asked about (tests/sweep.py's marker account, QBR, campaign, assessment,
round...): its contacts, actions, incidents, documents, agenda, invitations and answers. Each row comes with what
its line on a page shows (an owner, a contact, a category, a scorecard with its values...), so that a page that
reads those once per row shows it. Rows go in with ``bulk_create``, a few statements per kind; growing again to
a larger size adds only the difference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

import accounts.models as acc
import assessments.models as asm
import portal.models as pm
import qbr.models as qb
import scorecards.models as sc
import voc.models as vc
from dashboard import reports as portfolio_reports
from dashboard.models import PortfolioReview
from sam.models import ApiToken, AuditEvent, Document, Membership, User
from sam.roles import Role

PREFIX = "Budget"


def top_up(model: type[models.Model], size: int, make: Callable[[int], models.Model], **where: Any) -> list[Any]:
    """Rows of ``model`` matching ``where`` up to ``size``, the missing ones made by ``make(index)``."""
    have = model._default_manager.filter(**where).count()
    return model._default_manager.bulk_create([make(i) for i in range(have, size)])


def people(size: int) -> list[User]:
    """``size`` members of the workspace (viewers and members), in a stable order."""
    emails = [f"budget-{i}@example.test" for i in range(size)]
    known = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    User.objects.bulk_create(
        [User(email=e, full_name=f"{PREFIX} person {e.split('@')[0]}", password="!") for e in emails if e not in known]
    )
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    members = set(Membership.objects.filter(user__email__in=emails).values_list("user_id", flat=True))
    Membership.objects.bulk_create(
        [
            Membership(user=users[e], role=Role.MEMBER if i % 2 else Role.VIEWER)
            for i, e in enumerate(emails)
            if users[e].pk not in members
        ]
    )
    return [users[e] for e in emails]


def admin() -> User:
    membership = Membership.objects.filter(role=Role.ADMIN).select_related("user").order_by("pk").first()
    assert membership is not None
    return membership.user


def grow(size: int, objects: dict[type[models.Model], Any]) -> None:
    """Every kind of row the routes show, ``size`` of each (inside the workspace's tenant context)."""
    today = timezone.localdate()
    now = timezone.now()
    boss = admin()
    staff = people(size)
    account: acc.Account = objects[acc.Account]
    tier = acc.Tier.objects.get(name="Strategic")
    category = acc.IncidentCategory.objects.order_by("pk").first()
    assert category is not None

    # The workspace's lists --------------------------------------------------------------------------------
    top_up(
        ApiToken,
        size,
        lambda i: ApiToken(
            membership=Membership.objects.get(user=boss),
            name=f"{PREFIX} token {i}",
            key_hash=f"budget-{i:04}".ljust(64, "0"),
            hint=f"{i:06}",
        ),
        name__startswith=PREFIX,
    )
    accounts = _accounts(size, tier=tier, owners=[boss, *staff[:3]])
    _account_rows(accounts, staff=staff, category=category, today=today, now=now, boss=boss)
    top_up(acc.Tier, size, lambda i: acc.Tier(name=f"{PREFIX} tier {i}"), name__startswith=PREFIX)
    top_up(
        acc.SelectionCriterion,
        size,
        lambda i: acc.SelectionCriterion(question=f"{PREFIX} question {i}?"),
        question__startswith=PREFIX,
    )
    criteria = list(acc.SelectionCriterion.objects.filter(question__startswith=PREFIX).order_by("pk"))
    top_up(
        acc.CriterionAnswer,
        size,
        lambda i: acc.CriterionAnswer(
            account=objects[acc.Account], criterion=criteria[i], score=3, justification=PREFIX
        ),
        account=objects[acc.Account],
        criterion__question__startswith=PREFIX,
    )
    top_up(
        acc.IncidentCategory,
        size,
        lambda i: acc.IncidentCategory(name=f"{PREFIX} category {i}"),
        name__startswith=PREFIX,
    )
    top_up(acc.LossReason, size, lambda i: acc.LossReason(name=f"{PREFIX} reason {i}"), name__startswith=PREFIX)
    top_up(acc.RevenueSource, size, lambda i: acc.RevenueSource(name=f"{PREFIX} source {i}"), name__startswith=PREFIX)
    top_up(
        acc.ExchangeRate,
        size,
        lambda i: acc.ExchangeRate(
            base="USD", currency="EUR", valid_from=date(1990, 1, 1) + timedelta(days=i), rate=Decimal("1.1")
        ),
        valid_from__lt=date(2000, 1, 1),
    )
    top_up(
        acc.ImportBatch,
        size,
        lambda i: acc.ImportBatch(kind="accounts", rows=[{"name": f"{PREFIX} {i}"}], created_by=boss),
    )
    _playbooks(size, accounts)
    top_up(
        AuditEvent,
        size,
        lambda i: AuditEvent(actor=boss, action="budget", object_type=f"{PREFIX} {i}"),
        action="budget",
    )
    reviews = top_up(
        PortfolioReview,
        size,
        lambda i: PortfolioReview(month=date(1990 + i // 12, i % 12 + 1, 1)),
        month__lt=date(2000, 1, 1),
    )
    Document.objects.bulk_create(
        [
            Document(
                kind=portfolio_reports.KIND,
                subject_type="dashboard.portfolioreview",
                subject_id=r.pk,
                version=1,
                title=f"{PREFIX} review",
                status="ready",
                requested_by=boss,
                file="documents/budget.pdf",
            )
            for r in reviews
        ]
    )
    batch: acc.ImportBatch = objects[acc.ImportBatch]
    acc.ImportBatch.objects.filter(pk=batch.pk).update(
        rows=[{"name": f"{PREFIX} import {i}", "tier": "Strategic", "owner": boss.email} for i in range(size)]
    )
    playbook: acc.Playbook = objects[acc.Playbook]
    top_up(
        acc.PlaybookStep,
        size,
        lambda i: acc.PlaybookStep(playbook=playbook, order=i, title=f"{PREFIX} step {i}", role="owner", due_days=i),
        playbook=playbook,
    )
    _templates(size)

    # The marker objects' children ---------------------------------------------------------------------------
    contacts = _contacts(account, size, boss=boss)
    _account_children(account, size, contacts=contacts, staff=staff, category=category, today=today, now=now, boss=boss)
    _scorecards(account, size, objects)
    _qbr_children(objects[qb.Qbr], size, contacts=contacts, staff=staff, today=today)
    _survey(objects, size, contacts=contacts, now=now)
    _assessment_children(objects[asm.Assessment], size, contacts=contacts, staff=staff, today=today)
    _fourrs(objects[asm.FourRsRound], size, staff=staff, boss=boss)


def _accounts(size: int, *, tier: acc.Tier, owners: list[User]) -> list[acc.Account]:
    top_up(
        acc.Account,
        size,
        lambda i: acc.Account(
            name=f"{PREFIX} account {i:03}",
            tier=tier,
            owner=owners[i % len(owners)],
            industry="Logistics",
            annual_revenue=Decimal(1000 * (i + 1)),
            strategic_score=3,
        ),
        name__startswith=PREFIX,
    )
    return list(acc.Account.objects.filter(name__startswith=PREFIX).order_by("name"))


def _new(accounts: Iterable[acc.Account], model: type[models.Model], **where: Any) -> list[acc.Account]:
    """The accounts without a row of ``model`` yet."""
    done = set(
        model._default_manager.filter(account__name__startswith=PREFIX, **where).values_list("account_id", flat=True)
    )
    return [a for a in accounts if a.pk not in done]


def _account_rows(
    accounts: list[acc.Account], *, staff: list[User], category: Any, today: date, now: Any, boss: User
) -> None:
    """One of each thing an account's line shows: a contact, a running contract, an open action, an incident,
    a team member, a QBR, a cadence, an assessment, revenue, a scorecard with its values."""
    fresh = _new(accounts, acc.Contact)
    acc.Contact.objects.bulk_create(
        [
            acc.Contact(
                account=a, name=f"{PREFIX} contact of {a.name}", email=f"c{a.pk}@budget.test", relationship_owner=boss
            )
            for a in fresh
        ]
    )
    acc.Contract.objects.bulk_create(
        [
            acc.Contract(
                account=a,
                title=f"{PREFIX} contract",
                start=today - timedelta(days=300),
                end=today + timedelta(days=60),
                value=Decimal(1000),
            )
            for a in _new(accounts, acc.Contract)
        ]
    )
    acc.ActionItem.objects.bulk_create(
        [
            acc.ActionItem(
                account=a, title=f"{PREFIX} action", owner=boss, created_by=boss, due=today - timedelta(days=2)
            )
            for a in _new(accounts, acc.ActionItem)
        ]
    )
    acc.Incident.objects.bulk_create(
        [
            acc.Incident(account=a, category=category, summary=f"{PREFIX} incident", opened_at=now - timedelta(days=3))
            for a in _new(accounts, acc.Incident)
        ]
    )
    acc.TeamAssignment.objects.bulk_create(
        [
            acc.TeamAssignment(account=a, user=staff[i % len(staff)], role="technical_lead")
            for i, a in enumerate(_new(accounts, acc.TeamAssignment))
        ]
    )
    acc.RevenueEntry.objects.bulk_create(
        [
            acc.RevenueEntry(
                account=a,
                year=today.year,
                quarter=0,
                source=acc.RevenueSource.objects.order_by("pk")[0],
                amount=Decimal(500),
                currency="USD",
            )
            for a in _new(accounts, acc.RevenueEntry)
        ]
    )
    qb.Cadence.objects.bulk_create([qb.Cadence(account=a) for a in _new(accounts, qb.Cadence)])
    qb.Qbr.objects.bulk_create(
        [
            qb.Qbr(
                account=a,
                period_label="1999-Q1",
                period_start=date(1999, 1, 1),
                period_end=date(1999, 3, 31),
                scheduled_at=now + timedelta(days=10),
            )
            for a in _new(accounts, qb.Qbr)
        ]
    )
    asm.Assessment.objects.bulk_create(
        [
            asm.Assessment(account=a, title=f"{PREFIX} assessment", created_by=boss)
            for a in _new(accounts, asm.Assessment)
        ]
    )
    card = _marker_card_version()
    period = sc.Period.objects.filter(start__lte=today, end__gte=today).first()
    if period is not None:
        cards = sc.Scorecard.objects.bulk_create(
            [
                sc.Scorecard(account=a, period=period, version=card, health=Decimal(60 + a.pk % 40))
                for a in _new(accounts, sc.Scorecard, period=period)
            ]
        )
        metric = card.metrics.order_by("pk")[0]  # one value each: the API's list of values stays under a page
        sc.MetricValue.objects.bulk_create(
            [sc.MetricValue(scorecard=s, metric=metric, value=metric.target, updated_by=boss) for s in cards]
        )
    acc.Deliverable.objects.bulk_create(
        [acc.Deliverable(account=a, role="account_manager", owner=boss) for a in _new(accounts, acc.Deliverable)]
    )
    acc.RecurringIssue.objects.bulk_create(
        [
            acc.RecurringIssue(account=a, category=category, owner=boss, root_cause=PREFIX)
            for a in _new(accounts, acc.RecurringIssue)
        ]
    )


def _marker_card_version() -> sc.TemplateVersion:
    from scorecards import selectors as scorecard_selectors
    from scorecards import services as scorecard_services

    return scorecard_selectors.current_version(scorecard_services.template_defaults_ensure())


def _playbooks(size: int, accounts: list[acc.Account]) -> None:
    made = top_up(
        acc.Playbook,
        size,
        lambda i: acc.Playbook(name=f"{PREFIX} playbook {i}", trigger="renewal_within", key=f"budget-{i}"),
        name__startswith=PREFIX,
    )
    acc.PlaybookStep.objects.bulk_create(
        [acc.PlaybookStep(playbook=p, title=f"{PREFIX} step", role="owner", due_days=3) for p in made]
    )
    acc.PlaybookRun.objects.bulk_create(
        [
            acc.PlaybookRun(playbook=p, account=accounts[i % len(accounts)], subject=f"budget-{i}")
            for i, p in enumerate(made)
        ]
    )


def _templates(size: int) -> None:
    """Scorecard, agenda and survey templates, each with a version and an item or a question."""
    made = top_up(
        sc.ScorecardTemplate,
        size,
        lambda i: sc.ScorecardTemplate(name=f"{PREFIX} scorecard {i}"),
        name__startswith=PREFIX,
    )
    sc.TemplateVersion.objects.bulk_create([sc.TemplateVersion(template=t, number=1) for t in made])
    agendas = top_up(
        qb.AgendaTemplate, size, lambda i: qb.AgendaTemplate(name=f"{PREFIX} agenda {i}"), name__startswith=PREFIX
    )
    qb.AgendaTemplateItem.objects.bulk_create([qb.AgendaTemplateItem(template=t, title=PREFIX) for t in agendas])
    surveys = top_up(
        vc.SurveyTemplate, size, lambda i: vc.SurveyTemplate(name=f"{PREFIX} survey {i}"), name__startswith=PREFIX
    )
    versions = vc.SurveyVersion.objects.bulk_create([vc.SurveyVersion(template=t, number=1) for t in surveys])
    vc.Question.objects.bulk_create(
        [vc.Question(version=v, kind="nps", role="nps", text=f"{PREFIX} how likely?") for v in versions]
    )


def _contacts(account: acc.Account, size: int, *, boss: User) -> list[acc.Contact]:
    top_up(
        acc.Contact,
        size,
        lambda i: acc.Contact(
            account=account,
            name=f"{PREFIX} contact {i:03}",
            email=f"contact{i}@budget.test",
            title="Director",
            relationship_owner=boss,
        ),
        account=account,
    )
    contacts = list(acc.Contact.objects.filter(account=account).order_by("pk"))
    top_up(
        pm.PortalAccess, size, lambda i: pm.PortalAccess(contact=contacts[i], granted_by=boss), contact__account=account
    )
    return contacts


def _account_children(
    account: acc.Account,
    size: int,
    *,
    contacts: list[acc.Contact],
    staff: list[User],
    category: Any,
    today: date,
    now: Any,
    boss: User,
) -> None:
    where = {"account": account}
    top_up(
        acc.Contract,
        size,
        lambda i: acc.Contract(
            account=account,
            title=f"{PREFIX} contract {i}",
            start=date(2000 + i % 20, 1, 1),
            end=today + timedelta(days=30 + i),
            value=Decimal(100 * i),
        ),
        **where,
    )
    top_up(
        acc.TeamAssignment,
        size,
        lambda i: acc.TeamAssignment(account=account, user=staff[i], role="specialist"),
        **where,
    )
    goals = top_up(acc.PlanGoal, size, lambda i: acc.PlanGoal(account=account, title=f"{PREFIX} goal {i}"), **where)
    acc.PlanObjective.objects.bulk_create([acc.PlanObjective(goal=g, title=f"{PREFIX} objective") for g in goals])
    top_up(acc.PlanReview, size, lambda i: acc.PlanReview(account=account, version=1000 + i, reviewed_by=boss), **where)
    items = top_up(
        acc.ActionItem,
        size,
        lambda i: acc.ActionItem(
            account=account,
            title=f"{PREFIX} action {i}",
            owner=boss if i % 2 else staff[i],
            owner_contact=contacts[i] if i % 3 == 0 else None,
            side="customer" if i % 3 == 0 else "supplier",
            created_by=boss,
            due=today + timedelta(days=i - size // 2),
        ),
        **where,
    )
    acc.ActionItemEvent.objects.bulk_create(
        [acc.ActionItemEvent(item=item, actor=boss, changes={"status": ["open", "open"]}) for item in items]
    )
    top_up(
        acc.Incident,
        size,
        lambda i: acc.Incident(
            account=account, category=category, summary=f"{PREFIX} incident {i}", opened_at=now - timedelta(hours=i + 1)
        ),
        **where,
    )
    entries = top_up(
        acc.TimelineEntry,
        size,
        lambda i: acc.TimelineEntry(
            account=account,
            kind="call",
            summary=f"{PREFIX} call {i}",
            by=boss,
            created_by=boss,
            occurred_at=now - timedelta(hours=i + 1),
        ),
        **where,
    )
    acc.TimelineContact.objects.bulk_create(
        [acc.TimelineContact(entry=e, contact=contacts[i % len(contacts)]) for i, e in enumerate(entries)]
    )
    top_up(
        acc.TierChange,
        size,
        lambda i: acc.TierChange(account=account, to_tier=account.tier, changed_by=boss, reason=f"{PREFIX} {i}"),
        **where,
    )
    top_up(
        acc.ChangeRequest,
        size,
        lambda i: acc.ChangeRequest(
            account=account,
            title=f"{PREFIX} change {i}",
            reason="r",
            rollback="r",
            window_start=now + timedelta(days=i),
            window_end=now + timedelta(days=i, hours=1),
            requested_by=boss,
        ),
        **where,
    )
    top_up(
        acc.Decision,
        size,
        lambda i: acc.Decision(
            account=account,
            question=f"{PREFIX} decision {i}?",
            contact=contacts[i],
            due=today + timedelta(days=i),
            requested_by=boss,
        ),
        **where,
    )
    top_up(
        acc.Escalation,
        size,
        lambda i: acc.Escalation(
            account=account,
            title=f"{PREFIX} escalation {i}",
            owner=staff[i],
            due=today + timedelta(days=i),
            raised_by=boss,
        ),
        **where,
    )
    top_up(
        acc.RevenueEntry,
        size,
        lambda i: acc.RevenueEntry(
            account=account,
            year=1990 + i,
            quarter=0,
            source=acc.RevenueSource.objects.order_by("pk")[0],
            amount=Decimal(10),
            currency="USD",
        ),
        **where,
    )
    top_up(
        Document,
        size,
        lambda i: Document(
            kind="operations_review",
            subject_type="accounts.account",
            subject_id=account.pk,
            version=1000 + i,
            title=f"{PREFIX} report {i}",
            status="ready",
            requested_by=boss,
            file="documents/budget.pdf",
        ),
        subject_type="accounts.account",
        subject_id=account.pk,
    )


def _scorecards(account: acc.Account, size: int, objects: dict[type[models.Model], Any]) -> None:
    """Past periods, each with the marker account's scorecard and its values (its trends, the heatmap's periods)."""
    card: sc.Scorecard = objects[sc.Scorecard]
    made = top_up(
        sc.Period,
        size,
        lambda i: sc.Period(label=f"B{i:03}", start=date(1900 + i, 1, 1), end=date(1900 + i, 3, 31), closed=True),
        label__startswith="B",
    )
    cards = sc.Scorecard.objects.bulk_create(
        [sc.Scorecard(account=account, period=p, version=card.version, health=Decimal(70)) for p in made]
    )
    metric = card.version.metrics.order_by("pk")[0]
    sc.MetricValue.objects.bulk_create([sc.MetricValue(scorecard=s, metric=metric, value=metric.target) for s in cards])


def _qbr_children(qbr: qb.Qbr, size: int, *, contacts: list[acc.Contact], staff: list[User], today: date) -> None:
    top_up(
        qb.AgendaItem,
        size,
        lambda i: qb.AgendaItem(qbr=qbr, order=i, title=f"{PREFIX} item {i}", owner=staff[i]),
        qbr=qbr,
    )
    top_up(
        qb.AgendaComment, size, lambda i: qb.AgendaComment(qbr=qbr, contact=contacts[i], text=f"{PREFIX} {i}"), qbr=qbr
    )
    top_up(qb.Participant, size, lambda i: qb.Participant(qbr=qbr, contact=contacts[i]), qbr=qbr, contact__isnull=False)
    top_up(qb.Participant, size, lambda i: qb.Participant(qbr=qbr, user=staff[i]), qbr=qbr, user__isnull=False)
    acc.ActionItem.objects.filter(account=qbr.account, title__startswith=PREFIX).update(
        source_kind="qbr", source_id=str(qbr.pk)
    )


def _survey(objects: dict[type[models.Model], Any], size: int, *, contacts: list[acc.Contact], now: Any) -> None:
    campaign: vc.Campaign = objects[vc.Campaign]
    if campaign.status == vc.Campaign.Status.DRAFT:
        vc.Campaign.objects.filter(pk=campaign.pk).update(status="sending", sent_at=now - timedelta(days=5))
    version = campaign.version
    top_up(vc.Question, 3, lambda i: vc.Question(version=version, order=i, **QUESTIONS[i]), version=version)
    questions = list(version.questions.order_by("order", "pk"))
    invitations = top_up(
        vc.Invitation,
        size,
        lambda i: vc.Invitation(
            campaign=campaign,
            contact=contacts[i],
            token_hash=f"budget-{campaign.pk}-{i}",
            status="completed",
            sent_at=now - timedelta(days=4),
            completed_at=now,
        ),
        campaign=campaign,
    )
    vc.Response.objects.bulk_create(
        [
            vc.Response(
                invitation=inv,
                nps=i % 11,
                attitude=Decimal(4),
                intent=Decimal(4),
                answers={str(q.pk): _answer(q, i) for q in questions},
                comment=f"{PREFIX} comment {i}",
            )
            for i, inv in enumerate(invitations)
        ]
    )
    campaigns = top_up(
        vc.Campaign,
        size,
        lambda i: vc.Campaign(
            name=f"{PREFIX} campaign {i}",
            version=version,
            status=CAMPAIGN_STATUSES[i % 4],
            sent_at=now - timedelta(days=i + 1),
        ),
        name__startswith=PREFIX,
    )
    marker = objects[acc.Contact]
    vc.Invitation.objects.bulk_create(
        [
            vc.Invitation(
                campaign=c,
                contact=marker,
                token_hash=f"budget-marker-{c.pk}",
                status="sent",
                sent_at=now - timedelta(days=1),
            )
            for c in campaigns
            if c.status != "draft"
        ]
    )
    account = objects[acc.Account]
    top_up(
        Document,
        size,
        lambda i: Document(
            kind=vc.REPORT,
            subject_type="accounts.account",
            subject_id=account.pk,
            version=1000 + i,
            title=f"{PREFIX} survey report {i}",
            status="ready",
            file="documents/budget.pdf",
        ),
        kind=vc.REPORT,
        subject_id=account.pk,
    )


CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "closed")
QUESTIONS = [
    {"kind": "nps", "role": "nps", "text": "How likely are you to recommend us?"},
    {"kind": "rating", "role": "attitude", "text": "How satisfied are you?"},
    {"kind": "text", "role": "other", "text": "Anything else?"},
]


def _answer(question: vc.Question, i: int) -> Any:
    return {"nps": i % 11, "rating": 1 + i % 5}.get(question.kind, f"{PREFIX} answer {i}")


def _assessment_children(
    assessment: asm.Assessment, size: int, *, contacts: list[acc.Contact], staff: list[User], today: date
) -> None:
    where = {"assessment": assessment}
    top_up(
        asm.TeamMember,
        size,
        lambda i: asm.TeamMember(assessment=assessment, user=staff[i], kind="expert", expertise=PREFIX),
        **where,
    )
    top_up(
        asm.Interview,
        size,
        lambda i: asm.Interview(
            assessment=assessment, contact=contacts[i], interviewer=staff[i], notes={"contract": PREFIX}
        ),
        contact__isnull=False,
        **where,
    )
    steps = top_up(
        asm.JourneyStep,
        size,
        lambda i: asm.JourneyStep(assessment=assessment, order=i, name=f"{PREFIX} step {i}"),
        **where,
    )
    findings = top_up(
        asm.Finding,
        size,
        lambda i: asm.Finding(assessment=assessment, kind="SOW"[i % 3], text=f"{PREFIX} finding {i}"),
        **where,
    )
    asm.FindingStep.objects.bulk_create(
        [asm.FindingStep(finding=f, step=s) for f, s in zip(findings, steps, strict=False)]
    )
    all_findings = list(asm.Finding.objects.filter(**where).order_by("pk"))
    recommendations = top_up(
        asm.Recommendation,
        size,
        lambda i: asm.Recommendation(
            assessment=assessment,
            finding=all_findings[i % len(all_findings)],
            title=f"{PREFIX} recommendation {i}",
            start=today,
            end=today + timedelta(days=90),
            customer_contact=contacts[i],
        ),
        **where,
    )
    asm.Payback.objects.bulk_create(
        [
            asm.Payback(recommendation=r, beneficiary="us", category="efficiency", amount=Decimal(100))
            for r in recommendations
        ]
    )


def _fourrs(round_: asm.FourRsRound, size: int, *, staff: list[User], boss: User) -> None:
    from assessments import fourrs

    answers = dict.fromkeys(fourrs.KEYS, 3)
    scores = fourrs.score(answers)
    top_up(asm.FourRsInvitation, size, lambda i: asm.FourRsInvitation(round=round_, user=staff[i]), round=round_)
    top_up(
        asm.FourRsResult,
        size,
        lambda i: asm.FourRsResult(round=round_, respondent=staff[i], answers=answers, **scores),
        round=round_,
    )
    rounds = top_up(
        asm.FourRsRound, size, lambda i: asm.FourRsRound(title=f"{PREFIX} round {i}"), title__startswith=PREFIX
    )
    asm.FourRsResult.objects.bulk_create(
        [asm.FourRsResult(round=r, respondent=boss, answers=answers, **scores) for r in rounds]
    )
