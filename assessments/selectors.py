"""Reads of the assessments app: what its pages, reports and other apps look up."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Account, ActionItem, ActionItemEvent, Contract, TeamAssignment
from assessments.calc import anniversaries_passed, figures, plan_year_span, window
from assessments.models import (
    ACTION_SOURCE,
    TOPICS,
    Assessment,
    AssessmentSettings,
    Interview,
    Payback,
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


# --- interviews: the customer's side and ours -------------------------------------------------------------


def interview_colleagues(assessment: Assessment) -> QuerySet[User]:
    """Who of our side may be interviewed: members of the workspace on the account's team (its owner included) or
    on this assessment's team. One query, when read."""
    account = assessment.account
    on_team = (
        Q(pk__in=TeamAssignment.objects.filter(account=account).values("user_id"))
        | Q(pk__in=TeamMember.objects.filter(assessment=assessment).values("user_id"))
        | Q(pk=account.owner_id)
    )
    members = Membership.objects.values("user_id")
    return User.objects.filter(on_team, pk__in=members).order_by("full_name", "email")


def interviews_by_topic(interviews: list[Interview]) -> list[dict[str, Any]]:
    """What the customer told us and what our team told us, apart, each along the guide's topics: per side, the
    topics somebody spoke to, with who said what (in the order the interviews were held)."""
    sides = (
        ("customer", "What the customer told us", [i for i in interviews if i.contact_id is not None]),
        ("team", "What our team told us", [i for i in interviews if i.contact_id is None]),
    )
    found = []
    for key, title, held in sides:
        topics = [
            {
                "key": topic,
                "label": label,
                "notes": [{"interview": i, "who": i.who, "text": i.notes[topic]} for i in held if i.notes.get(topic)],
            }
            for topic, label, _ in TOPICS
        ]
        found.append({"key": key, "title": title, "interviews": held, "topics": [t for t in topics if t["notes"]]})
    return found


# --- the yearly progress report ---------------------------------------------------------------------------


def yearly_reports_due(today: date | None = None) -> list[tuple[Assessment, int]]:
    """Shared assessments of live accounts with an accepted recommendation, each with the number of the latest
    anniversary of their sharing that has come (from the first on)."""
    today = today or timezone.localdate()
    shared = (
        Assessment.objects.filter(
            shared_on__isnull=False,
            shared_on__lt=today,
            status__in=[Assessment.Status.SHARED, Assessment.Status.ACTION_PLAN],
            account__deleted_at__isnull=True,
            recommendations__status=Recommendation.Status.ACCEPTED,
        )
        .distinct()
        .select_related("account", "account__owner")
        .order_by("pk")
    )
    found = []
    for assessment in shared:
        assert assessment.shared_on is not None
        year = anniversaries_passed(assessment.shared_on, today)
        if year >= 1:
            found.append((assessment, year))
    return found


def _change_text(changes: dict[str, Any], names: dict[int, str]) -> list[str]:
    """An action's recorded change in words (accounts.services records [before, after] per field)."""
    said = []
    statuses = dict(ActionItem.Status.choices)
    for field, (before, after) in changes.items():
        if field == "created":
            said.append("added to the register")
        elif field == "status":
            was, now = (str(statuses.get(value, value)).lower() for value in (before, after))
            said.append(f"status {was} → {now}")
        elif field == "due":
            said.append(f"due date moved from {_day(before)} to {_day(after)}")
        elif field == "owner_id":
            said.append(
                f"owner now {names[after]}" if after in names else "owner changed" if after else "owner removed"
            )
        elif field == "title":
            said.append("reworded")
        elif field == "detail":
            said.append("detail updated")
    return said


def _day(raw: Any) -> str:
    if not raw:
        return "none"
    try:
        return f"{date.fromisoformat(str(raw)):%d %b %Y}"
    except ValueError:
        return str(raw)


def yearly_progress(assessment: Assessment, year: int, through: date) -> dict[str, Any]:
    """A year of the action plan: each accepted recommendation with its actions (their status, done or open,
    overdue on ``through``), what changed in them during the year, and the payback expected of it. A fixed number
    of queries however big the plan."""
    assert assessment.shared_on is not None
    first, last = plan_year_span(assessment.shared_on, year)
    through = min(through, last)
    rate, currency = assessment.hourly_rate, assessment.currency
    recs = list(
        Recommendation.objects.filter(assessment=assessment, status=Recommendation.Status.ACCEPTED)
        .prefetch_related(Prefetch("paybacks", queryset=Payback.objects.order_by("beneficiary", "category")))
        .order_by("priority", "start", "pk")
    )
    items = list(
        ActionItem.objects.filter(
            account_id=assessment.account_id,
            source_kind=ACTION_SOURCE,
            source_id=str(assessment.pk),
            dedupe_key__startswith="recommendation:",
        )
        .select_related("owner")
        .order_by(F("due").asc(nulls_last=True), "pk")
    )
    events = list(
        ActionItemEvent.objects.filter(
            item__in=[i.pk for i in items], at__date__gte=first, at__date__lte=through
        ).order_by("at", "pk")
    )
    names = {i.owner_id: i.owner.display_name for i in items if i.owner is not None}  # the owners as they are now
    changed: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        words = _change_text(event.changes, names)
        if words:
            changed.setdefault(event.item_id, []).append({"on": timezone.localdate(event.at), "what": words})

    done_in_year = {e.item_id for e in events if (e.changes.get("status") or [None, None])[1] == ActionItem.Status.DONE}

    def of(rec: Recommendation) -> list[ActionItem]:
        prefix = f"recommendation:{rec.pk}:"
        return [i for i in items if i.dedupe_key.startswith(prefix)]

    def tally(actions: list[ActionItem]) -> dict[str, int]:
        return {
            "actions": len(actions),
            "done": sum(1 for i in actions if i.status == ActionItem.Status.DONE),
            "open": sum(1 for i in actions if i.is_open),
            "dropped": sum(1 for i in actions if i.status == ActionItem.Status.DROPPED),
            "overdue": sum(1 for i in actions if i.is_overdue(through)),
            "done_in_year": sum(1 for i in actions if i.pk in done_in_year),
        }

    rows = []
    for rec in recs:
        actions = of(rec)
        rows.append(
            {
                "rec": rec,
                "figures": figures([rec], rate, currency),
                "counts": tally(actions),
                "actions": [
                    {"item": i, "overdue": i.is_overdue(through), "changes": changed.get(i.pk, [])} for i in actions
                ],
            }
        )
    return {
        "assessment": assessment,
        "year": year,
        "first": first,
        "last": last,
        "through": through,
        "complete": through >= last,
        "rows": rows,
        "counts": tally(items),
        "changes": sum(len(v) for v in changed.values()),
        "accepted": figures(recs, rate, currency) if recs else None,
        "currency": currency,
    }
