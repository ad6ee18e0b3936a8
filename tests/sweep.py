"""What the isolation sweep needs to know about routes: how to make an object for each id.

Every URL pattern is either public (listed in PUBLIC_ROUTES) or swept. A
swept route's id kwargs must be known here: Django views by kwarg name
(OBJECT_KWARGS), API viewsets by the model of their queryset. Each model
needs a maker in MAKERS that creates one object in the current tenant.
Adding a route or a model without an entry here fails the meta-test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

import accounts.models as acc
import assessments.models as asm
import portal.models as pm
import qbr.models as qb
import scorecards.models as sc
import voc.models as vc
from accounts import services as account_services
from dashboard.models import PortfolioReview
from sam.models import (
    ApiToken,
    AuditEvent,
    DataChange,
    Document,
    Invitation,
    Membership,
    OutboundEmail,
    WorkspaceSettings,
)
from sam.roles import Role
from sam.tenancy.context import tenant_context
from sam.tenancy.models import TenantOwned
from scorecards import selectors as scorecard_selectors
from scorecards import services as scorecard_services
from tests.factories import ApiTokenFactory, MembershipFactory, UserFactory

# Routes that take no tenant and no object ids: auth pages, landing, docs,
# and the platform operators' Django admin (staff only, outside tenants).
PUBLIC_ROUTES = {
    "home",
    "healthz",
    "readyz",
    "login",
    "login_code",  # the second step of signing in: the session's own halfway state, no tenant (test_two_factor.py)
    "logout",
    "sign_out_everywhere",  # the signed-in person's own sessions, no tenant
    "two_factor",  # the signed-in person's own two-factor sign-in, no tenant (tests/sam/test_two_factor.py)
    "two_factor_recovery_codes",
    "two_factor_off",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "tenant_switch",
    "api-schema",
    "api-docs",
    "survey_start",  # the public survey pages: a token, never an id
    "survey_form",
    "survey_unsubscribe",
    "portal_link_open",  # the emailed portal link: a token, never an id
    "invitation_open",  # the emailed invitation: a tenant's id and a token (tests/sam/test_invitations.py)
}
PUBLIC_PREFIXES = ("platform/",)

# Kwarg name in Django (non-API) routes -> the model whose id it carries.
OBJECT_KWARGS: dict[str, type[models.Model]] = {
    "membership_id": Membership,
    "member_invitation_id": Invitation,
    "token_id": ApiToken,
    "account_id": acc.Account,
    "contract_id": acc.Contract,
    "contact_id": acc.Contact,
    "assignment_id": acc.TeamAssignment,
    "deliverable_id": acc.Deliverable,
    "goal_id": acc.PlanGoal,
    "review_id": acc.PlanReview,
    "action_id": acc.ActionItem,
    "issue_id": acc.RecurringIssue,
    "incident_id": acc.Incident,
    "change_id": acc.ChangeRequest,
    "decision_id": acc.Decision,
    "escalation_id": acc.Escalation,
    "objective_id": acc.PlanObjective,
    "batch_id": acc.ImportBatch,
    "document_id": Document,
    "scorecard_id": sc.Scorecard,
    "metric_id": sc.MetricDefinition,
    "template_id": sc.ScorecardTemplate,
    "qbr_id": qb.Qbr,
    "milestone_id": qb.Milestone,
    "participant_id": qb.Participant,
    "item_id": qb.AgendaItem,
    "agenda_template_id": qb.AgendaTemplate,
    "template_item_id": qb.AgendaTemplateItem,
    "member_id": asm.TeamMember,
    "interview_id": asm.Interview,
    "step_id": asm.JourneyStep,
    "finding_id": asm.Finding,
    "recommendation_id": asm.Recommendation,
    "period_id": sc.Period,
    "campaign_id": vc.Campaign,
    "invitation_id": vc.Invitation,
    "survey_template_id": vc.SurveyTemplate,
    "question_id": vc.Question,
    "assessment_id": asm.Assessment,
    "result_id": asm.FourRsResult,
    "round_id": asm.FourRsRound,
    "entry_id": acc.RevenueEntry,
    "rate_id": acc.ExchangeRate,
    "reason_id": acc.LossReason,
    "source_id": acc.RevenueSource,
    "tier_id": acc.Tier,
    "criterion_id": acc.SelectionCriterion,
    "category_id": acc.IncidentCategory,
    "access_id": pm.PortalAccess,
    "timeline_entry_id": acc.TimelineEntry,
    "playbook_id": acc.Playbook,
}

# Kwargs that are not object ids, with the value to use.
PLAIN_KWARGS: dict[str, str] = {"format": "json", "kind": "accounts", "section": "at-risk", "tenant_id": "1"}

MARKER = "ALPHA-SECRET"
# Pages that find things by a query: the sweep asks them for tenant A's marker (as B, and as A, who must find it).
PAGE_QUERIES: dict[str, str] = {"search": "q=secre"}  # a prefix of the marker, without the tenant's name


def _membership() -> Membership:
    return MembershipFactory(user=UserFactory(full_name=f"{MARKER} member"), role=Role.MEMBER)


def _token() -> ApiToken:
    return ApiTokenFactory(name=f"{MARKER} token", membership=_membership())


def _member_invitation() -> Invitation:
    return Invitation.objects.create(email="invited@example.test", name=f"{MARKER} invited", role=Role.MEMBER)


def _audit() -> AuditEvent:
    return AuditEvent.objects.create(action="test", object_type=MARKER)


def _data_change() -> DataChange:
    """The record of the marker account's making (written by the database's trigger)."""
    return DataChange.objects.filter(table="accounts_account", row_id=_account().pk).order_by("pk").first()


def _email() -> OutboundEmail:
    return OutboundEmail.objects.create(idempotency_key=MARKER, to=["x@example.test"], subject=MARKER, body_text=MARKER)


def _account() -> acc.Account:
    """The tenant's marker account (one per tenant, made on first use)."""
    existing = acc.Account.objects.filter(name=f"{MARKER} account").first()
    if existing is not None:
        return existing
    owner = MembershipFactory(user=UserFactory(full_name=f"{MARKER} manager"), role=Role.ACCOUNT_MANAGER).user
    account, _ = account_services.account_create(
        data={"name": f"{MARKER} account", "tier": acc.Tier.objects.get(name="Strategic"), "owner": owner},
        acting_user=owner,
    )
    return account


def _contact() -> acc.Contact:
    return account_services.contact_save(account=_account(), data={"name": f"{MARKER} contact", "email": "x@a.test"})


def _timeline_entry() -> acc.TimelineEntry:
    from accounts.timeline_services import timeline_entry_log

    found = acc.TimelineEntry.objects.filter(summary=f"{MARKER} call").first()
    return found or timeline_entry_log(
        account=_account(), kind="call", summary=f"{MARKER} call", contact_ids=[_marker_contact().pk], acting_user=None
    )


def _marker_contact() -> acc.Contact:
    return acc.Contact.objects.filter(account=_account()).first() or _contact()


def _playbook() -> acc.Playbook:
    from accounts.playbook_services import playbook_save

    found = acc.Playbook.objects.filter(name=f"{MARKER} playbook").first()
    return found or playbook_save(
        name=f"{MARKER} playbook",
        trigger="renewal_within",
        days=30,
        steps=[{"title": f"{MARKER} step", "role": "owner", "due_days": 3}],
        acting_user=None,
    )


def _incident() -> acc.Incident:
    return account_services.incident_record(
        account=_account(), data={"category": acc.IncidentCategory.objects.first(), "summary": MARKER}
    )


def _recurring() -> acc.RecurringIssue:
    issue, _ = acc.RecurringIssue.objects.get_or_create(
        account=_account(),
        category=acc.IncidentCategory.objects.first(),
        status="open",
        defaults={"root_cause": MARKER},
    )
    return issue


def _change() -> acc.ChangeRequest:
    from datetime import UTC, datetime

    return acc.ChangeRequest.objects.get_or_create(
        account=_account(), title=f"{MARKER} change",
        defaults={"reason": MARKER, "rollback": MARKER, "window_start": datetime(2030, 1, 5, 22, tzinfo=UTC),
                  "window_end": datetime(2030, 1, 5, 23, tzinfo=UTC)},
    )[0]  # fmt: skip


def _decision() -> acc.Decision:
    return acc.Decision.objects.get_or_create(
        account=_account(), question=f"{MARKER} decision", defaults={"contact": _any_contact(), "due": date(2030, 1, 1)}
    )[0]


def _escalation() -> acc.Escalation:
    owner = Membership.objects.filter(role=Role.ADMIN).order_by("pk").first().user  # type: ignore[union-attr]
    return acc.Escalation.objects.get_or_create(
        account=_account(), title=f"{MARKER} escalation", defaults={"owner": owner, "due": date(2030, 1, 1)}
    )[0]


def _portal_access() -> pm.PortalAccess:
    return pm.PortalAccess.objects.get_or_create(contact=_any_contact())[0]


def _portal_link() -> pm.PortalLink:
    return pm.PortalLink.objects.get_or_create(
        access=_portal_access(),
        token_hash="0" * 64,
        defaults={"token_salt": MARKER, "expires_at": timezone.now() + timedelta(minutes=30)},
    )[0]


def _document() -> Document:
    from django.core.files.base import ContentFile

    document = Document.objects.create(
        kind="operations_review", subject_type="accounts.account", subject_id=_account().pk, version=1,
        title=f"{MARKER} report", status="ready",
    )  # fmt: skip
    document.file.save("alpha.pdf", ContentFile(b"%PDF-1.4 " + MARKER.encode()), save=True)
    return document


def _goal() -> acc.PlanGoal:
    return account_services.goal_add(account=_account(), title=f"{MARKER} goal")


def _scorecard() -> sc.Scorecard:
    from django.utils import timezone

    return scorecard_services.scorecard_for(
        account=_account(), period=scorecard_services.period_for(timezone.localdate())
    )


def _qbr() -> qb.Qbr:
    return qb.Qbr.objects.get_or_create(
        account=_account(), period_start=date(2030, 1, 1),
        defaults={"period_label": "2030-Q1", "period_end": date(2030, 3, 31), "location": MARKER},
    )[0]  # fmt: skip


def _survey_version() -> vc.SurveyVersion:
    template = vc.SurveyTemplate.objects.get_or_create(name=f"{MARKER} survey")[0]
    return vc.SurveyVersion.objects.get_or_create(template=template, number=1)[0]


def _campaign() -> vc.Campaign:
    return vc.Campaign.objects.get_or_create(name=f"{MARKER} campaign", defaults={"version": _survey_version()})[0]


def _invitation() -> vc.Invitation:
    contact = acc.Contact.objects.get_or_create(account=_account(), name=f"{MARKER} contact")[0]
    return vc.Invitation.objects.get_or_create(campaign=_campaign(), contact=contact,
                                               defaults={"token_hash": "0" * 64})[0]  # fmt: skip


def _metric_value() -> sc.MetricValue:
    card = _scorecard()
    metric = card.version.metrics.first()
    value, _ = sc.MetricValue.objects.get_or_create(scorecard=card, metric=metric, defaults={"comment": MARKER})
    return value


def _any_contact() -> acc.Contact:
    return acc.Contact.objects.get_or_create(account=_account(), name=f"{MARKER} contact")[0]


def _assessment() -> asm.Assessment:
    return asm.Assessment.objects.get_or_create(account=_account(), title=f"{MARKER} assessment")[0]


def _step() -> asm.JourneyStep:
    return asm.JourneyStep.objects.get_or_create(assessment=_assessment(), name=f"{MARKER} step")[0]


def _finding() -> asm.Finding:
    return asm.Finding.objects.get_or_create(assessment=_assessment(), kind="W", text=MARKER)[0]


def _recommendation() -> asm.Recommendation:
    return asm.Recommendation.objects.get_or_create(
        assessment=_assessment(), title=f"{MARKER} recommendation",
        defaults={"start": date(2030, 1, 1), "end": date(2030, 6, 30)},
    )[0]  # fmt: skip


def _round() -> asm.FourRsRound:
    return asm.FourRsRound.objects.get_or_create(title=f"{MARKER} round")[0]


def _fourrs_result() -> asm.FourRsResult:
    """The marker answers, by the tenant's first admin (the sweep's own user sees their own results)."""
    from assessments import fourrs

    answers = dict.fromkeys(fourrs.KEYS, 2)
    user = Membership.objects.filter(role=Role.ADMIN).order_by("pk").first().user  # type: ignore[union-attr]
    return asm.FourRsResult.objects.get_or_create(
        round=_round(), respondent=user,
        defaults={"answers": answers, **fourrs.score(answers)},
    )[0]  # fmt: skip


# Model -> maker of one object in the current tenant (inside tenant_context).
MAKERS: dict[type[models.Model], Callable[[], models.Model]] = {
    Membership: _membership,
    ApiToken: _token,
    Invitation: _member_invitation,
    AuditEvent: _audit,
    DataChange: _data_change,
    OutboundEmail: _email,
    acc.Account: _account,
    acc.Tier: lambda: acc.Tier.objects.create(name=f"{MARKER} tier"),
    acc.SelectionCriterion: lambda: acc.SelectionCriterion.objects.create(question=f"{MARKER} question?"),
    acc.IncidentCategory: lambda: acc.IncidentCategory.objects.create(name=f"{MARKER} category"),
    acc.CriterionAnswer: lambda: acc.CriterionAnswer.objects.create(
        account=_account(), criterion=acc.SelectionCriterion.objects.first(), score=4, justification=MARKER
    ),
    acc.TierChange: lambda: acc.TierChange.objects.create(account=_account(), reason=MARKER),
    acc.Contract: lambda: account_services.contract_save(
        account=_account(),
        data={"title": f"{MARKER} contract", "start": date(2025, 1, 1), "end": date(2029, 12, 31)},
    ),
    acc.Contact: _contact,
    acc.TeamAssignment: lambda: account_services.team_assign(
        account=_account(), user_id=_membership().user_id, role="technical_lead"
    ),
    acc.Deliverable: lambda: acc.Deliverable.objects.filter(account=_account()).first(),
    acc.PlanGoal: _goal,
    acc.PlanObjective: lambda: account_services.objective_add(goal=_goal(), title=f"{MARKER} objective"),
    acc.PlanReview: lambda: account_services.plan_review_record(account=_account(), acting_user=None, note=MARKER),
    acc.ActionItem: lambda: account_services.action_item_add(account=_account(), title=f"{MARKER} action")[0],
    acc.ActionItemEvent: lambda: acc.ActionItemEvent.objects.create(
        item=account_services.action_item_add(account=_account(), title=f"{MARKER} evented")[0], changes={"x": MARKER}
    ),
    acc.Incident: _incident,
    acc.TimelineEntry: lambda: _timeline_entry(),
    acc.TimelineContact: lambda: acc.TimelineContact.objects.get_or_create(
        entry=_timeline_entry(), contact=_marker_contact()
    )[0],
    acc.Playbook: lambda: _playbook(),
    acc.PlaybookStep: lambda: _playbook().steps.first(),
    acc.PlaybookRun: lambda: acc.PlaybookRun.objects.get_or_create(
        playbook=_playbook(), account=_account(), subject=MARKER, defaults={"reason": MARKER}
    )[0],
    acc.RecurringIssue: _recurring,
    acc.RecurringIssueIncident: lambda: acc.RecurringIssueIncident.objects.get_or_create(
        recurring_issue=_recurring(), incident=_incident()
    )[0],
    pm.PortalAccess: _portal_access,
    pm.PortalLink: lambda: _portal_link(),
    pm.PortalSession: lambda: pm.PortalSession.objects.get_or_create(
        access=_portal_access(), key_hash="1" * 64, defaults={"address": MARKER}
    )[0],
    acc.ChangeRequest: _change,
    acc.Decision: _decision,
    acc.Escalation: _escalation,
    acc.LossReason: lambda: acc.LossReason.objects.get_or_create(name=f"{MARKER} reason")[0],
    acc.RevenueSource: lambda: acc.RevenueSource.objects.get_or_create(name=f"{MARKER} source")[0],
    acc.RevenueEntry: lambda: acc.RevenueEntry.objects.get_or_create(
        account=_account(),
        year=2026,
        quarter=0,
        source=acc.RevenueSource.objects.get_or_create(name=MARKER)[0],
        defaults={"amount": 1, "currency": "USD"},
    )[0],
    acc.ExchangeRate: lambda: acc.ExchangeRate.objects.get_or_create(
        base="USD", currency="EUR", valid_from=date(2026, 1, 1), defaults={"rate": 1}
    )[0],
    PortfolioReview: lambda: PortfolioReview.objects.get_or_create(month=date(2026, 1, 1))[0],
    acc.ImportBatch: lambda: acc.ImportBatch.objects.create(kind="accounts", rows=[{"name": MARKER}]),
    acc.OperationsReviewNarrative: lambda: acc.OperationsReviewNarrative.objects.get_or_create(
        account=_account(), defaults={"summary": MARKER}
    )[0],
    Document: _document,
    sc.ScorecardTemplate: lambda: sc.ScorecardTemplate.objects.get_or_create(name=f"{MARKER} template")[0],
    sc.TemplateVersion: lambda: scorecard_selectors.current_version(scorecard_services.template_defaults_ensure()),
    sc.MetricDefinition: lambda: _scorecard().version.metrics.first(),
    sc.Period: lambda: sc.Period.objects.get_or_create(
        label="ALPHA-1", defaults={"start": date(2020, 1, 1), "end": date(2020, 3, 31)}
    )[0],
    sc.AgreedTarget: lambda: sc.AgreedTarget.objects.get_or_create(
        account=_account(), key="nps", defaults={"target": 30, "agreed_with": MARKER}
    )[0],
    qb.QbrSettings: lambda: qb.QbrSettings.objects.get_or_create()[0],
    acc.AccountsSettings: lambda: acc.AccountsSettings.current(),
    WorkspaceSettings: lambda: WorkspaceSettings.current(),
    sc.ScorecardSettings: lambda: sc.ScorecardSettings.current(),
    qb.Cadence: lambda: qb.Cadence.objects.get_or_create(
        account=_account(), defaults={"paused_until": date(2030, 1, 1), "pause_reason": MARKER}
    )[0],
    qb.Qbr: _qbr,
    qb.Milestone: lambda: qb.Milestone.objects.get_or_create(
        qbr=_qbr(), kind="invite", defaults={"due": date(2030, 1, 1)}
    )[0],
    qb.AgendaTemplate: lambda: qb.AgendaTemplate.objects.get_or_create(name=f"{MARKER} agenda")[0],
    qb.AgendaTemplateItem: lambda: qb.AgendaTemplateItem.objects.get_or_create(
        template=qb.AgendaTemplate.objects.get_or_create(name=f"{MARKER} agenda")[0], title=MARKER
    )[0],
    qb.AgendaItem: lambda: qb.AgendaItem.objects.get_or_create(qbr=_qbr(), title=MARKER)[0],
    qb.AgendaComment: lambda: qb.AgendaComment.objects.get_or_create(qbr=_qbr(), text=MARKER)[0],
    qb.Participant: lambda: qb.Participant.objects.get_or_create(qbr=_qbr(), user=_membership().user)[0],
    qb.Preparation: lambda: qb.Preparation.objects.get_or_create(qbr=_qbr())[0],
    qb.PreparationRow: lambda: qb.PreparationRow.objects.get_or_create(
        preparation=qb.Preparation.objects.get_or_create(qbr=_qbr())[0],
        topic="scorecard",
        defaults={"expected": MARKER, "answer": MARKER},
    )[0],
    vc.SurveyTemplate: lambda: vc.SurveyTemplate.objects.get_or_create(name=f"{MARKER} survey")[0],
    vc.SurveyVersion: lambda: _survey_version(),
    vc.Question: lambda: vc.Question.objects.get_or_create(version=_survey_version(), text=MARKER, kind="text")[0],
    vc.Campaign: lambda: _campaign(),
    vc.VocSettings: lambda: vc.VocSettings.objects.get_or_create()[0],
    vc.Invitation: lambda: _invitation(),
    vc.Response: lambda: vc.Response.objects.get_or_create(invitation=_invitation(), defaults={"comment": MARKER})[0],
    sc.Scorecard: _scorecard,
    sc.MetricValue: _metric_value,
    asm.AssessmentSettings: lambda: asm.AssessmentSettings.objects.get_or_create()[0],
    asm.Assessment: _assessment,
    asm.TeamMember: lambda: asm.TeamMember.objects.get_or_create(
        assessment=_assessment(), user=_membership().user, defaults={"expertise": MARKER}
    )[0],
    asm.Interview: lambda: asm.Interview.objects.get_or_create(
        assessment=_assessment(), contact=_any_contact(), defaults={"notes": {"contract": MARKER}}
    )[0],
    asm.JourneyStep: _step,
    asm.Finding: _finding,
    asm.FindingStep: lambda: asm.FindingStep.objects.get_or_create(finding=_finding(), step=_step())[0],
    asm.Recommendation: _recommendation,
    asm.Payback: lambda: asm.Payback.objects.get_or_create(
        recommendation=_recommendation(), beneficiary="us", category="efficiency", defaults={"note": MARKER}
    )[0],
    asm.FourRsRound: _round,
    asm.FourRsInvitation: lambda: asm.FourRsInvitation.objects.get_or_create(round=_round(), user=_membership().user)[
        0
    ],
    asm.FourRsResult: _fourrs_result,
}


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    callback: Any
    kwargs: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def is_tenant(self) -> bool:
        return "tenant_slug" in self.kwargs

    @property
    def is_portal(self) -> bool:
        """The customer portal's pages (a contact's session, no tenant in the address)."""
        return self.route.startswith("p/")

    @property
    def is_public(self) -> bool:
        return self.name in PUBLIC_ROUTES or self.route.startswith(PUBLIC_PREFIXES)

    @property
    def object_kwargs(self) -> tuple[str, ...]:
        return tuple(k for k in self.kwargs if k not in PLAIN_KWARGS and k != "tenant_slug")

    def api_model(self) -> type[models.Model] | None:
        cls = getattr(self.callback, "cls", None)
        if cls is None:
            return None
        queryset = getattr(cls, "queryset", None)
        if queryset is not None:
            return queryset.model
        serializer = getattr(cls, "serializer_class", None)
        meta = getattr(serializer, "Meta", None)
        return getattr(meta, "model", None)

    def model_for(self, kwarg: str) -> type[models.Model] | None:
        if self.is_api and kwarg == "pk":
            return self.api_model()
        return OBJECT_KWARGS.get(kwarg)


def _walk(patterns: list[Any], prefix: str = "") -> list[Route]:
    routes: list[Route] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            routes += _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            full = prefix + str(entry.pattern)
            kwargs = tuple(sorted(set(entry.pattern.regex.groupindex) | set(_resolver_kwargs(prefix))))
            routes.append(Route(entry.name or full, full, entry.callback, kwargs))
    return routes


def _resolver_kwargs(prefix: str) -> list[str]:
    import re

    return re.findall(r"<(?:\w+:)?(\w+)>", prefix)


def all_routes() -> list[Route]:
    return _walk(get_resolver().url_patterns)


def snapshot(tenant: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of every tenant-owned table of one tenant, its tenant row and its members' user rows."""
    from sam.models import Membership, Tenant, User

    with tenant_context(tenant):
        rows = {
            m._meta.label: list(m.objects.order_by("pk").values())
            for m in apps.get_models()
            if issubclass(m, TenantOwned)
        }
        user_ids = list(Membership.objects.values_list("user_id", flat=True))
    rows["sam.Tenant"] = list(Tenant.objects.filter(pk=tenant.pk).values())
    rows["sam.User"] = list(User.objects.filter(pk__in=user_ids).order_by("pk").values())
    return rows
