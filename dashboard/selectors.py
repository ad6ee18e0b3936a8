"""The executive's portfolio review: every figure of the dashboard, its PDF and its API, from one code path.

``portfolio_review`` reads the whole filtered portfolio in a constant number of queries (one per kind of
row, however many accounts) and works the figures out in Python. Counts are never capped.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import (
    RENEWAL_WINDOW_DAYS,
    RENEWED_OUTCOMES,
    Account,
    AccountsSettings,
    ActionItem,
    Contract,
    Decision,
    Escalation,
    Incident,
    Outcome,
    PlanReview,
    RecurringIssue,
    RevenueEntry,
    TeamAssignment,
    TeamRole,
    revenue_period_end,
    revenue_period_label,
)
from accounts.money_selectors import Converter
from accounts.selectors import portfolio
from accounts.timeline_selectors import quiet_roles
from assessments.calc import window
from assessments.models import Assessment, AssessmentSettings
from dashboard import cache
from qbr.selectors import qbr_compliance
from sam.replica import read_replica
from scorecards.models import Period, Scorecard
from scorecards.scoring import band
from voc import scoring as voc_scoring
from voc.models import Response, VocSettings

TREND_PERIODS = 8
RISK_LIST = 10
FALLING_POINTS = 10  # health down this much since the period before counts as falling
SEVERE = ("high", "critical")
# A reason of weight 3 alone puts an account at risk; lighter ones do when they add up to 5 (a missed QBR, no
# reviewed plan and an incomplete team, say). Lighter signs alone keep the account on the watch list.
SERIOUS = 3
AT_RISK_SCORE = 5


@dataclass(frozen=True)
class Filters:
    """What the executive is looking at: a time window and a slice of the portfolio. All of it lives in the URL."""

    start: date
    end: date
    tier_id: int | None = None
    owner_id: int | None = None
    industry: str = ""
    mine_user_id: int | None = None  # "my accounts": owned by or on the team of this user
    window: int | None = None  # "the last N months": links keep it relative, not pinned to today's dates
    end_given: bool = True

    def query(self, **extra: Any) -> dict[str, str]:
        """The URL parameters that bring this view back, for whoever opens the link (the scope is explicit)."""
        if self.window:
            params = {"window": str(self.window), **({"end": self.end.isoformat()} if self.end_given else {})}
        else:
            params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        params["scope"] = "mine" if self.mine_user_id else "all"
        if self.tier_id:
            params["tier"] = str(self.tier_id)
        if self.owner_id:
            params["owner"] = str(self.owner_id)
        if self.industry:
            params["industry"] = self.industry
        params.update({k: str(v) for k, v in extra.items() if v not in (None, "")})
        return params

    def as_params(self) -> dict[str, Any]:
        """For a stored document request (JSON)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "tier": self.tier_id,
            "owner": self.owner_id,
            "industry": self.industry,
            "mine": self.mine_user_id,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Filters:
        return cls(
            start=date.fromisoformat(params["start"]),
            end=date.fromisoformat(params["end"]),
            tier_id=params.get("tier"),
            owner_id=params.get("owner"),
            industry=params.get("industry") or "",
            mine_user_id=params.get("mine"),
        )

    @classmethod
    def default(cls, today: date | None = None, *, mine_user_id: int | None = None) -> Filters:
        today = today or timezone.localdate()
        return cls(start=months_back(today, 12) + timedelta(days=1), end=today, mine_user_id=mine_user_id)


def months_back(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def _account_q(filters: Filters, prefix: str = "") -> Q:
    """The slice of the portfolio, as a filter on accounts (or on rows that point at one, with ``prefix``)."""
    q = Q()
    if filters.tier_id:
        q &= Q(**{f"{prefix}tier_id": filters.tier_id})
    if filters.owner_id:
        q &= Q(**{f"{prefix}owner_id": filters.owner_id})
    if filters.industry:
        q &= Q(**{f"{prefix}industry__iexact": filters.industry})
    if filters.mine_user_id:
        q &= Q(**{f"{prefix}owner_id": filters.mine_user_id}) | Q(**{f"{prefix}team__user_id": filters.mine_user_id})
    return q


@dataclass
class AccountRow:
    """One account of the portfolio with everything the tiles say of it."""

    account: Account
    health: float | None = None
    health_before: float | None = None
    health_series: list[float | None] = field(default_factory=list)
    nps: voc_scoring.Nps | None = None
    satisfaction: float | None = None
    segment: str | None = None
    hidden: bool = False  # fewer answers than the anonymity threshold
    incidents: int = 0
    severe_incidents: int = 0
    reasons: list[tuple[int, str]] = field(default_factory=list)

    @property
    def band(self) -> str | None:
        return band(self.health)

    @property
    def risk_score(self) -> int:
        return sum(weight for weight, _ in self.reasons)

    @property
    def at_risk(self) -> bool:
        """A serious sign, or several mild ones (a stale plan alone is a nudge, not a risk)."""
        return any(weight >= SERIOUS for weight, _ in self.reasons) or self.risk_score >= AT_RISK_SCORE

    @property
    def reason_texts(self) -> list[str]:
        return [text for _, text in sorted(self.reasons, key=lambda r: -r[0])]


def portfolio_review(filters: Filters, *, tenant: Any, today: date | None = None) -> dict[str, Any]:
    """Every tile's figures for the filtered portfolio."""
    today = today or timezone.localdate()
    converter = Converter.load(AccountsSettings.current().base_currency)
    accounts = _accounts(filters, tenant, today)
    ids = [a.pk for a in accounts]
    rows = {a.pk: AccountRow(a) for a in accounts}
    contracts = list(
        Contract.objects.filter(account_id__in=Account.objects.filter(_account_q(filters)).values("pk"))
        .select_related("account", "account__tier", "lost_reason")
        .order_by("account_id", "end", "pk")
    )
    periods = list(Period.objects.filter(start__lte=today).order_by("-start")[:TREND_PERIODS])[::-1]
    health = _health(rows, periods)
    surveys = _surveys(rows, filters, periods)
    _incidents(rows, filters)
    qbrs = _qbr_compliance(rows, today)
    retention = _retention(contracts, filters, tenant, today, converter)
    _risks(rows, contracts, tenant, today, qbrs["overdue_ids"])
    ranked = sorted((r for r in rows.values() if r.reasons), key=lambda r: (-r.risk_score, r.account.name))
    at_risk = [r for r in ranked if r.at_risk]
    return {
        "filters": filters,
        "today": today,
        "base": converter.base,
        "account_count": len(rows),
        "strategic_count": sum(1 for a in accounts if a.tier.strategic),
        "rows": sorted(rows.values(), key=lambda r: r.account.name.lower()),
        "retention": retention,
        "health": health,
        "at_risk": at_risk,
        "watch": [r for r in ranked if not r.at_risk],
        "surveys": surveys,
        "qbr": qbrs,
        "actions": _overdue_actions(ids, today),
        "revenue": _revenue(rows, converter, today),
        "rates_used": converter.rates_used(),
        "missing": converter.missing_rows(),
    }


# --- accounts ------------------------------------------------------------------------------------------


def _accounts(filters: Filters, tenant: Any, today: date) -> list[Account]:
    qs = portfolio(stale_days=AccountsSettings.current().review_stale_days, today=today, sort="name").annotate(
        plan_reviewed_at=Subquery(
            PlanReview.objects.filter(account=OuterRef("pk")).order_by("-reviewed_at").values("reviewed_at")[:1]
        )
    )
    qs = qs.exclude(status=Account.Status.INACTIVE)  # lost or dormant: counted in retention, not watched
    if filters.mine_user_id or filters.tier_id or filters.owner_id or filters.industry:
        qs = qs.filter(pk__in=Account.objects.alive().filter(_account_q(filters)).values("pk"))
    return list(qs)


# --- health -------------------------------------------------------------------------------------------------


def _health(rows: dict[int, AccountRow], periods: list[Period]) -> dict[str, Any]:
    by_account: dict[int, dict[int, float]] = defaultdict(dict)
    for account_id, period_id, value in Scorecard.objects.filter(
        period__in=periods, account_id__in=list(rows), health__isnull=False
    ).values_list("account_id", "period_id", "health"):
        by_account[account_id][period_id] = float(value)
    trend = []
    for period in periods:
        counts = Counter(band(values.get(period.pk)) for values in by_account.values() if period.pk in values)
        trend.append(
            {
                "label": period.label,
                "green": counts["green"],
                "amber": counts["amber"],
                "red": counts["red"],
                "scored": sum(counts.values()),
            }
        )
    for account_id, row in rows.items():
        series = [by_account[account_id].get(p.pk) for p in periods]
        row.health_series = series
        known = [v for v in series if v is not None]
        row.health = known[-1] if known else None
        row.health_before = known[-2] if len(known) > 1 else None
    now = Counter(row.band or "none" for row in rows.values())
    return {
        "now": {"green": now["green"], "amber": now["amber"], "red": now["red"], "none": now["none"]},
        "trend": trend,
        "periods": [p.label for p in periods],
    }


# --- voice of the customer -------------------------------------------------------------------------------------


def _pairs(answers: list[tuple[Any, ...]]) -> list[tuple[float | None, float | None]]:
    return [(a[2], a[3]) for a in answers]


def _surveys(rows: dict[int, AccountRow], filters: Filters, periods: list[Period]) -> dict[str, Any]:
    """NPS, shares and loyalty segments in the window, per account and over the periods (one query).

    With the anonymity setting on, a group with fewer answers than the threshold shows no figures: an account's
    row, the portfolio (say, filtered down to one account) and a period alike.
    """

    config = VocSettings.current()
    cut = {"attitude_cutoff": float(config.attitude_cutoff), "intent_cutoff": float(config.intent_cutoff)}
    hide_under = config.anonymity_threshold if config.anonymous else 0
    since = min([filters.start, *(p.start for p in periods[:1])])
    answers = [
        (
            account_id,
            score,
            float(attitude) if attitude is not None else None,
            float(intent) if intent is not None else None,
            day,
        )
        for account_id, score, attitude, intent, day in Response.objects.filter(
            invitation__contact__account_id__in=list(rows),
            submitted_at__date__gte=since,
            submitted_at__date__lte=filters.end,
        )
        .annotate(day=TruncDate("submitted_at"))
        .values_list("invitation__contact__account_id", "nps", "attitude", "intent", "day")
    ]
    in_window: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    starts = [p.start for p in periods]
    by_period: list[list[tuple[Any, ...]]] = [[] for _ in periods]
    for answer in answers:
        day = answer[4]
        if filters.start <= day <= filters.end:
            in_window[answer[0]].append(answer)
        index = bisect_right(starts, day) - 1
        if index >= 0 and day <= periods[index].end:
            by_period[index].append(answer)
    all_scores: list[int] = []
    for account_id, mine in in_window.items():
        row = rows[account_id]
        row.hidden = len(mine) < hide_under
        scores = [a[1] for a in mine if a[1] is not None]
        all_scores += scores
        row.nps = voc_scoring.nps(scores)
        attitudes = [a[2] for a in mine if a[2] is not None]
        row.satisfaction = round(sum(attitudes) / len(attitudes), 2) if attitudes else None
        row.segment = voc_scoring.account_segment(_pairs(mine), **cut)
    segments = Counter(row.segment for row in rows.values() if row.segment and not row.hidden)
    trend = []
    for period, inside in zip(periods, by_period, strict=True):
        per_account: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for a in inside:
            per_account[a[0]].append(a)
        mix = Counter(
            voc_scoring.account_segment(_pairs(ans), **cut) for ans in per_account.values() if len(ans) >= hide_under
        )
        period_nps = voc_scoring.nps(a[1] for a in inside if a[1] is not None)
        shown = period_nps.responses >= hide_under
        trend.append(
            {
                "label": period.label,
                "nps": period_nps.score if shown else None,
                "answers": period_nps.responses,
                **{key: mix.get(key, 0) for key in voc_scoring.SEGMENT_LABELS},
            }
        )
    overall = voc_scoring.nps(all_scores)
    if overall.responses < hide_under:
        overall = voc_scoring.nps([])
    return {
        "nps": overall,
        "segments": [
            {"key": k, "label": label, "accounts": segments.get(k, 0)}
            for k, label in voc_scoring.SEGMENT_LABELS.items()
        ],
        "trend": trend,
        "answered_accounts": sum(1 for r in rows.values() if r.nps is not None),
        "anonymous": config.anonymous,
        "threshold": config.anonymity_threshold,
    }


def _incidents(rows: dict[int, AccountRow], filters: Filters) -> None:
    for account_id, severity, count in (
        Incident.objects.filter(
            account_id__in=list(rows), opened_at__date__gte=filters.start, opened_at__date__lte=filters.end
        )
        .values_list("account_id", "severity")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        rows[account_id].incidents += count
        if severity in SEVERE:
            rows[account_id].severe_incidents += count


# --- QBRs and actions -------------------------------------------------------------------------------------------


def _qbr_compliance(rows: dict[int, AccountRow], today: date) -> dict[str, Any]:
    result = qbr_compliance(today)
    mine = [r for r in result["rows"] if r["account"].pk in rows]
    by_owner: dict[Any, dict[str, Any]] = {}
    overdue: set[int] = set()
    for r in mine:
        owner = rows[r["account"].pk].account.owner
        key = owner.pk if owner else None
        entry = by_owner.setdefault(key, {"owner": owner, "held": 0, "due": 0, "accounts": 0, "late": 0})
        entry["held"] += r["held"]
        entry["due"] += r["periods"]
        entry["accounts"] += 1
        last_missed = bool(r["record"]) and not r["record"][-1]["held"]
        if r["late"] or last_missed:
            entry["late"] += 1
            overdue.add(r["account"].pk)
    owners = sorted(by_owner.values(), key=lambda e: (e["owner"] is None, _name(e["owner"])))
    for entry in owners:
        entry["rate"] = round(100 * entry["held"] / entry["due"]) if entry["due"] else None
    held, due = sum(e["held"] for e in owners), sum(e["due"] for e in owners)
    return {
        "owners": owners,
        "held": held,
        "due": due,
        "rate": round(100 * held / due) if due else None,
        "overdue_ids": overdue,
        "overdue": len(overdue),
        "accounts": len(mine),
    }


def _name(user: Any) -> str:
    return (getattr(user, "full_name", "") or getattr(user, "email", "") or "").lower()


def _overdue_actions(ids: list[int], today: date) -> dict[str, Any]:
    counts = (
        ActionItem.objects.filter(account_id__in=ids, status__in=ActionItem.OPEN_STATUSES, due__lt=today)
        .values("owner_id", "owner__full_name", "owner__email")
        .annotate(n=Count("pk"))
        .order_by("-n", "owner__full_name")
    )
    owners = [
        {"owner_id": c["owner_id"], "name": c["owner__full_name"] or c["owner__email"] or "Nobody", "overdue": c["n"]}
        for c in counts
    ]
    return {"owners": owners, "total": sum(o["overdue"] for o in owners)}


# --- retention --------------------------------------------------------------------------------------------------


def decided_on(contract: Contract, today: date) -> date | None:
    """The day a contract came up for renewal: its end, or, for an early renewal, the day it was recorded (for
    good: a window's figures do not move when the contract's end passes later)."""
    recorded = timezone.localdate(contract.outcome_recorded_at) if contract.outcome_recorded_at else None
    if contract.outcome in RENEWED_OUTCOMES and recorded is not None and recorded < contract.end:
        return recorded
    return contract.end if contract.end <= today else None


def _retention(
    contracts: list[Contract], filters: Filters, tenant: Any, today: date, converter: Converter
) -> dict[str, Any]:
    """Targeted accounts kept / targeted accounts whose contracts came up in the window, and revenue retention.

    Targeted: accounts in a strategic tier (or the chosen tier), including ones deleted since. An account's
    result is the outcome of its last contract to come up in the window; one still open is undecided and left
    out of the rate (and shown).
    """
    came_up = [
        c
        for c in contracts
        if (filters.tier_id or c.account.tier.strategic)
        and (day := decided_on(c, today)) is not None
        and filters.start <= day <= filters.end
    ]
    last: dict[int, Contract] = {}
    for contract in came_up:
        last[contract.account_id] = contract  # ordered by end: the last one wins
    retained = [c for c in last.values() if c.outcome in RENEWED_OUTCOMES]
    lost = [c for c in last.values() if c.outcome == Outcome.LOST]
    undecided = [c for c in last.values() if c.outcome == Outcome.OPEN]
    decided = len(retained) + len(lost)
    rate = round(100 * len(retained) / decided, 1) if decided else None
    base = lost_value = contraction = expansion = Decimal(0)
    unvalued = 0
    for contract in came_up:
        if contract.outcome == Outcome.OPEN:
            continue
        what = f"{contract.account.name}: {contract.title}"
        value = converter.convert(contract.value, contract.currency, contract.end, what=what)
        if value is None:
            unvalued += 1
            continue
        base += value
        if contract.outcome == Outcome.LOST:
            lost_value += value
            continue
        change = converter.convert(contract.value_change, contract.currency, contract.end, what=what + " (change)")
        if change is not None and change > 0:
            expansion += change
        elif change is not None and change < 0:
            contraction += -change
    grr = round(100 * (base - lost_value - contraction) / base, 1) if base else None
    nrr = round(100 * (base - lost_value - contraction + expansion) / base, 1) if base else None
    target = float(AccountsSettings.current().retention_target)
    reasons = Counter(c.lost_reason.name for c in lost if c.lost_reason)
    return {
        "rate": float(rate) if rate is not None else None,
        "target": target,
        "met": rate is not None and rate >= target,
        "came_up": decided,
        "retained": len(retained),
        "lost": sorted(lost, key=lambda c: c.end, reverse=True),
        "lost_count": len(lost),
        "undecided": sorted(undecided, key=lambda c: c.end),
        "early": sum(1 for c in last.values() if c.end > today),
        "reasons": reasons.most_common(),
        "grr": float(grr) if grr is not None else None,
        "nrr": float(nrr) if nrr is not None else None,
        "base": base,
        "lost_value": lost_value,
        "contraction": contraction,
        "expansion": expansion,
        "unvalued": unvalued,
        "contracts": sorted(came_up, key=lambda c: (c.end, c.account.name)),
    }


# --- at risk, with the reasons in words -------------------------------------------------------------------------


def _risks(
    rows: dict[int, AccountRow], contracts: list[Contract], tenant: Any, today: date, qbr_overdue: set[int]
) -> None:
    config = AssessmentSettings.current()
    by_account: dict[int, list[Contract]] = defaultdict(list)
    for contract in contracts:
        by_account[contract.account_id].append(contract)
    assessed: dict[int, list[tuple[Any, date]]] = defaultdict(list)
    for account_id, contract_id, started in Assessment.objects.filter(account_id__in=list(rows)).values_list(
        "account_id", "contract_id", "started_on"
    ):
        assessed[account_id].append((contract_id, started))
    open_recurring: dict[int, list[str]] = defaultdict(list)
    for account_id, name in RecurringIssue.objects.filter(
        account_id__in=list(rows), status=RecurringIssue.Status.OPEN
    ).values_list("account_id", "category__name"):
        open_recurring[account_id].append(name)
    escalated: dict[int, list[str]] = defaultdict(list)
    for account_id, title in Escalation.objects.filter(
        account_id__in=list(rows), status=Escalation.Status.OPEN
    ).values_list("account_id", "title"):
        escalated[account_id].append(title)
    waiting: dict[int, list[str]] = defaultdict(list)
    for account_id, question in Decision.objects.filter(
        account_id__in=list(rows), status=Decision.Status.REQUESTED, due__lt=today
    ).values_list("account_id", "question"):
        waiting[account_id].append(question)
    held: dict[int, set[str]] = defaultdict(set)
    for account_id, role in TeamAssignment.objects.filter(account_id__in=list(rows)).values_list("account_id", "role"):
        held[account_id].add(role)
    stale_days = AccountsSettings.current().review_stale_days
    quiet = quiet_roles(account_ids=list(rows))  # the buying roles nobody touched lately (one query)
    for account_id, row in rows.items():
        account, reasons = row.account, row.reasons
        if row.band == "red":
            reasons.append((3, f"Health is red ({row.health:.0f})"))
        for role in quiet.get(account_id, []):
            reasons.append((2 if role.role == "economic" else 1, role.sentence()))
        if (
            row.health is not None
            and row.health_before is not None
            and (
                row.health_before - row.health >= FALLING_POINTS
                or _band_rank(row.band) < _band_rank(band(row.health_before))
            )
        ):
            reasons.append((2, f"Health is falling: {row.health_before:.0f} to {row.health:.0f}"))
        if row.nps is not None and row.nps.detractors and not row.hidden:
            share = row.nps.detractors / row.nps.responses
            weight = 3 if share >= 0.5 else 2 if share >= 0.2 else 1
            plural = "s" if row.nps.detractors != 1 else ""
            answers = f"{row.nps.responses} survey answer{'s' if row.nps.responses != 1 else ''}"
            reasons.append((weight, f"{row.nps.detractors} detractor{plural} in {answers}"))
        if row.segment == voc_scoring.HIGH_RISK and not row.hidden:
            reasons.append((3, "Loyalty segment: high risk (low satisfaction and low intent to continue)"))
        if account_id in qbr_overdue:
            reasons.append((2, "QBR overdue: last period's was not held, or its milestones are late"))
        for name in open_recurring.get(account_id, []):
            reasons.append((2, f"Recurring issue open: {name}"))
        for title in escalated.get(account_id, []):
            reasons.append((3, f"Escalation open: {title}"))
        for question in waiting.get(account_id, []):
            reasons.append((2, f"Customer decision overdue: {question}"))
        running = [c for c in by_account.get(account_id, []) if c.start <= today <= c.end]
        upcoming = [
            c
            for c in by_account.get(account_id, [])
            if c.outcome == Outcome.OPEN and today <= c.end <= today + timedelta(days=RENEWAL_WINDOW_DAYS)
        ]
        if upcoming and row.band != "green":
            renewal = upcoming[0]
            state = f"health {row.band} ({row.health:.0f})" if row.health is not None else "no health score"
            reasons.append(
                (3, f"Renewal on {renewal.end:%d %b %Y} (in {(renewal.end - today).days} days) with {state}")
            )
        reviewed = getattr(account, "plan_reviewed_at", None)
        if reviewed is None:
            reasons.append((1, "Account plan never reviewed"))
        elif (today - timezone.localdate(reviewed)).days > stale_days:
            reasons.append((1, f"Account plan not reviewed for {(today - timezone.localdate(reviewed)).days} days"))
        needed = set(account.roles_needed)  # a role the account needs only as needed is no gap
        missing = [
            label for value, label in TeamRole.choices if value in needed and value not in held.get(account_id, set())
        ]
        if missing:
            reasons.append((1, f"Team incomplete: no {', '.join(missing)}"))
        if running and account.tier.strategic:  # assessments are prompted for strategic tiers only
            contract = running[0]
            opens, closes = window(contract, config)
            done = any(cid == contract.pk or started >= contract.start for cid, started in assessed.get(account_id, []))
            if opens <= today <= closes and not done:
                reasons.append((1, f"Mid-contract assessment due ({contract.title})"))


def portfolio_review_cached(filters: Filters, *, tenant: Any, fresh: bool = False) -> tuple[dict[str, Any], Any]:
    """``portfolio_review`` through the dashboard cache (see dashboard/cache.py), with when it was computed; computed
    from the replica when there is one that has caught up (sam/replica.py)."""

    what = json.dumps(filters.as_params(), sort_keys=True)
    compute = lambda: read_replica(lambda: portfolio_review(filters, tenant=tenant))  # noqa: E731
    return cache.cached(tenant.pk, what, compute, fresh=fresh)


def _band_rank(value: str | None) -> int:
    return {"green": 2, "amber": 1, "red": 0}.get(value or "", -1)


def account_risk_reasons(account: Account, *, tenant: Any) -> list[str]:
    """The reasons the dashboard's default view of the whole portfolio gives for this account being at risk."""
    review, _ = portfolio_review_cached(Filters.default(), tenant=tenant)
    row = next((r for r in review["at_risk"] if r.account.pk == account.pk), None)
    return row.reason_texts if row is not None else []


# --- revenue by year and source --------------------------------------------------------------------------------

REVENUE_YEARS = 5
DRILLS = {"source": "Source", "tier": "Tier", "account": "Account"}


def _revenue(rows: dict[int, AccountRow], converter: Converter, today: date) -> dict[str, Any]:
    entries = RevenueEntry.objects.filter(
        account_id__in=list(rows), year__gt=today.year - REVENUE_YEARS, year__lte=today.year
    ).values_list("account_id", "year", "quarter", "source__name", "amount", "currency")
    years: dict[int, Decimal] = defaultdict(Decimal)
    cells: dict[str, dict[tuple[str, int], Decimal]] = {drill: defaultdict(Decimal) for drill in DRILLS}
    for account_id, year, quarter, source, amount, currency in entries:
        account = rows[account_id].account
        on, label = revenue_period_end(year, quarter), revenue_period_label(year, quarter)
        value = converter.convert(amount, currency, on, what=f"{account.name} {label} {source}")
        if value is None:
            continue
        years[year] += value
        cells["source"][(source, year)] += value
        cells["tier"][(account.tier.name, year)] += value
        cells["account"][(account.name, year)] += value
    ordered_years = sorted(years)
    tables = {}
    for drill, values in cells.items():
        names = sorted({name for name, _ in values}, key=lambda n: -sum(values[(n, y)] for y in ordered_years))
        tables[drill] = [
            {
                "name": name,
                "cells": [values.get((name, y), Decimal(0)) for y in ordered_years],
                "total": sum((values.get((name, y), Decimal(0)) for y in ordered_years), Decimal(0)),
            }
            for name in names
        ]
    growth = None
    if len(ordered_years) >= 2 and years[ordered_years[-2]]:
        growth = round(float(100 * (years[ordered_years[-1]] - years[ordered_years[-2]]) / years[ordered_years[-2]]), 1)
    return {
        "years": ordered_years,
        "totals": [years[y] for y in ordered_years],
        "tables": tables,
        "by_year": [{"year": y, "total": years[y]} for y in ordered_years],
        "growth": growth,
        "total": sum(years.values(), Decimal(0)),
    }
