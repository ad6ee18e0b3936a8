"""Reads of the assessments app: what its pages, reports and other apps look up."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone

from accounts.models import Account, ActionItem, Contract, TeamAssignment
from assessments.calc import figures, window
from assessments.models import (
    ACTION_SOURCE,
    Assessment,
    AssessmentSettings,
    Recommendation,
    TeamMember,
)
from sam.models import Membership, User
from sam.selectors import member_choices
from sam.tenancy.urls import tenant_reverse


def current_contract(account: Any, today: date | None = None) -> Any:
    """The contract running today, else the latest one to end (None when the account has none)."""

    today = today or timezone.localdate()
    contracts = list(Contract.objects.filter(account=account).order_by("-end", "-pk"))
    running = [c for c in contracts if c.start <= today <= c.end]
    return running[0] if running else (contracts[0] if contracts else None)


def contract_midpoint(
    contract: Any, today: date | None = None, config: AssessmentSettings | None = None
) -> dict[str, Any]:
    """Where a contract stands: its mid-point, how far through the term today is, and the prompt window."""
    if contract is None:
        return {"known": False, "text": "The mid-point is unknown: this account has no contract on record."}
    config = config or AssessmentSettings.current()
    today = today or timezone.localdate()
    opens, closes = window(contract, config)
    progress = round(100 * contract.progress(today))
    return {
        "known": True,
        "contract": contract,
        "midpoint": contract.midpoint,
        "progress": progress,
        "window_opens": opens,
        "window_closes": closes,
        "in_window": opens <= today <= closes,
        "text": f"{contract.title}: {progress}% through its term; mid-point {contract.midpoint:%d %b %Y}.",
    }


def account_team_users(account: Any) -> list[Any]:
    """The account's owner and its team members who are still members of the workspace."""

    ids = set(TeamAssignment.objects.filter(account=account).values_list("user_id", flat=True))
    if account.owner_id:
        ids.add(account.owner_id)
    members = set(Membership.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=members).order_by("full_name", "email"))


def expert_rotation(account: Any, assessment: Assessment | None = None) -> dict[str, Any]:
    """Who served on this account's earlier assessments, and the colleagues who have not yet (first in line)."""

    earlier = list(
        Assessment.objects.filter(account=account)
        .exclude(pk=getattr(assessment, "pk", None))
        .order_by("-started_on", "-pk")
        .prefetch_related("team__user")
    )
    served: dict[int, int] = {}
    for old in earlier:
        for member in old.team.all():
            if member.kind == TeamMember.Kind.EXPERT:
                served[member.user_id] = served.get(member.user_id, 0) + 1
    on_team = set(assessment.team.values_list("user_id", flat=True)) if assessment is not None else set()
    account_team = {u.pk for u in account_team_users(account)}
    candidates = [u for u in member_choices() if u.pk not in on_team and u.pk not in account_team]
    candidates.sort(key=lambda u: (served.get(u.pk, 0), u.full_name or u.email))
    return {
        "earlier": [
            {"assessment": old, "experts": [m for m in old.team.all() if m.kind == TeamMember.Kind.EXPERT]}
            for old in earlier
        ],
        "candidates": [{"user": u, "served": served.get(u.pk, 0)} for u in candidates],
    }


def assessment_totals(assessment: Assessment, recs: list[Recommendation] | None = None) -> dict[str, Any]:
    """Per recommendation and for the assessment (declined ones left out), with the arithmetic as text, at the
    hourly rate and in the currency the assessment started with."""
    rate, currency = assessment.hourly_rate, assessment.currency
    if recs is None:
        recs = list(Recommendation.objects.filter(assessment=assessment).prefetch_related("paybacks"))
    counted = [r for r in recs if r.status != Recommendation.Status.DECLINED]
    accepted = [r for r in recs if r.status == Recommendation.Status.ACCEPTED]
    return {
        "rate": rate,
        "currency": currency,
        "rows": [{"rec": r, "figures": figures([r], rate, currency)} for r in recs],
        "all": figures(counted, rate, currency),
        "accepted": figures(accepted, rate, currency) if accepted else None,
    }


def due_for_prompt(today: date | None = None) -> list[dict[str, Any]]:
    """Live accounts of a strategic tier whose running contract is inside the prompt window and has no
    assessment yet (none on the contract, none on the account started since the contract began)."""

    today = today or timezone.localdate()
    config = AssessmentSettings.current()
    found = []
    contracts = (
        Contract.objects.filter(
            start__lte=today, end__gte=today, account__deleted_at__isnull=True, account__tier__strategic=True
        )
        .exclude(account__status=Account.Status.INACTIVE)
        .select_related("account", "account__owner")
        .order_by("end", "pk")
    )
    assessed = list(Assessment.objects.values_list("account_id", "contract_id", "started_on"))
    for contract in contracts:
        opens, closes = window(contract, config)
        if not opens <= today <= closes:
            continue
        if any(
            cid == contract.pk or (aid == contract.account_id and started >= contract.start)
            for aid, cid, started in assessed
        ):
            continue
        found.append({"contract": contract, "account": contract.account, "window_closes": closes})
    return found


def account_fact(account: Any, slug: str) -> dict[str, Any] | None:
    """For the account page: the latest assessment and its status, or that one is due (strategic tiers only, as
    the prompt)."""

    contract = current_contract(account)
    latest = Assessment.objects.filter(account=account).order_by("-started_on", "-pk").first()
    info = contract_midpoint(contract)
    assessed = (
        latest is not None and (latest.contract_id == contract.pk or latest.started_on >= contract.start)
        if contract is not None
        else latest is not None
    )
    if info["known"] and info["in_window"] and not assessed and account.tier.strategic:
        return {
            "label": "Assessment",
            "value": "mid-contract assessment due",
            "url": tenant_reverse("assessment_new", account.pk, slug=slug) + f"?contract={contract.pk}",
            "tone": "danger",
        }
    if latest is not None:
        return {
            "label": "Assessment",
            "value": f"{latest.title}: {latest.get_status_display().lower()}",
            "url": tenant_reverse("assessment_detail", latest.pk, slug=slug),
            "tone": "",
        }
    return None


def plan_progress(account: Any, assessment: Any = None) -> list[Any]:
    """The actions that came from accepted recommendations (of one assessment, when given), open ones first."""

    return list(
        ActionItem.objects.filter(
            account=account,
            source_kind=ACTION_SOURCE,
            dedupe_key__startswith="recommendation:",
            **({"source_id": str(assessment.pk)} if assessment is not None else {}),
        )
        .select_related("owner")
        .annotate(
            closed=Case(
                When(status__in=ActionItem.OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("closed", F("due").asc(nulls_last=True), "pk")
    )
