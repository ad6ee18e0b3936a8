"""Reads of the qbr app: what its pages, reports and other apps look up."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone

from accounts.models import Account, ActionItem, BuyerRole, TeamAssignment, TeamRole
from qbr.calc import held_in_period, period_of
from qbr.models import (
    Cadence,
    Interval,
    Milestone,
    Participant,
    Qbr,
    QbrSettings,
)
from sam.models import Membership
from sam.roles import Role
from sam.tenancy.urls import tenant_reverse


def eligible_accounts(today: date | None = None) -> list[tuple[Any, int]]:
    """Live strategic accounts that are not inactive and not paused on ``today``, with their cadence in months."""

    program = QbrSettings.current()
    today = today or timezone.localdate()
    cadences = {c.account_id: c for c in Cadence.objects.all()}
    found = []
    for account in (
        Account.objects.alive()
        .filter(tier__strategic=True)
        .exclude(status=Account.Status.INACTIVE)
        .select_related("owner")
        .order_by("pk")
    ):
        cadence = cadences.get(account.pk)
        if cadence is not None and cadence.paused_until is not None and cadence.paused_until >= today:
            continue
        months = (cadence.interval_months if cadence and cadence.interval_months else None) or program.interval_months
        found.append((account, months if months in Interval.values else Interval.QUARTERLY))
    return found


def qbr_right_people(qbr: Qbr) -> list[str]:
    """The gaps in who is invited: the three buyers, and an executive from each side (DOMAIN section 4)."""

    people = list(Participant.objects.filter(qbr=qbr).select_related("contact"))
    roles = {p.contact.buyer_role for p in people if p.contact is not None}
    user_ids = {p.user_id for p in people if p.user_id is not None}
    gaps = [
        f"No {label.lower()} is invited."
        for role, label in (
            (BuyerRole.ECONOMIC, "Economic buyer"),
            (BuyerRole.TECHNICAL, "Technical buyer"),
            (BuyerRole.USAGE, "Usage buyer"),
        )
        if role not in roles
    ]
    if BuyerRole.EXECUTIVE_SPONSOR not in roles and BuyerRole.ECONOMIC not in roles:
        gaps.append("No executive from the customer's side (an executive sponsor or the economic buyer).")
    our_executives = set(
        Membership.objects.filter(user_id__in=user_ids, role=Role.EXECUTIVE).values_list("user_id", flat=True)
    ) | set(
        TeamAssignment.objects.filter(
            account=qbr.account, user_id__in=user_ids, role=TeamRole.EXECUTIVE_PARTNER
        ).values_list("user_id", flat=True)
    )
    if not our_executives:
        gaps.append("No executive from our side (an executive, or the account's executive partner).")
    return gaps


def open_register(qbr: Qbr) -> Any:
    """Every open item of the account's register, whatever it came from, oldest due first."""

    return (
        ActionItem.objects.filter(
            account=qbr.account, status__in=[ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS]
        )
        .select_related("owner")
        .order_by(F("due").asc(nulls_last=True), "pk")
    )


def qbr_compliance(today: date | None = None, *, owner_id: int | None = None) -> dict[str, Any]:
    """Per account and across the portfolio: QBRs held within their period over the last 4 periods, the
    current QBR's status and its late milestones. Three queries, however many accounts."""
    today = today or timezone.localdate()
    accounts = eligible_accounts(today)
    if owner_id is not None:
        accounts = [(a, m) for a, m in accounts if a.owner_id == owner_id]
    earliest = min((period_of(today, m).start - timedelta(days=31 * m * 4) for _, m in accounts), default=today)
    qbrs: dict[tuple[int, date], Qbr] = {
        (q.account_id, q.period_start): q
        for q in Qbr.objects.filter(account__in=[a for a, _ in accounts], period_start__gte=earliest)
    }
    paused = dict(Cadence.objects.filter(paused_until__isnull=False).values_list("account_id", "paused_until"))
    late: dict[int, int] = {}
    for qbr_id in Milestone.objects.filter(
        qbr__in=[q.pk for q in qbrs.values()],
        done_at__isnull=True,
        due__lt=today,
        qbr__status__in=[Qbr.Status.PLANNED, Qbr.Status.AGENDA_AGREED],
    ).values_list("qbr_id", flat=True):
        late[qbr_id] = late.get(qbr_id, 0) + 1
    rows, held_total, due_total = [], 0, 0
    for account, months in accounts:
        current = period_of(today, months)
        past: list[Any] = []
        day = current.start - timedelta(days=1)
        for _ in range(4):
            period = period_of(day, months)
            past.insert(0, period)
            day = period.start - timedelta(days=1)
        record = []
        pause_end = paused.get(account.pk)
        for period in past:
            qbr = qbrs.get((account.pk, period.start))
            if qbr is None and pause_end is not None and period.start <= pause_end:
                continue  # paused then: not a missed QBR
            on_time = qbr is not None and held_in_period(qbr)
            record.append({"label": period.label, "held": on_time, "qbr": qbr})
        held = sum(r["held"] for r in record)
        held_total += held
        due_total += len(record)
        now = qbrs.get((account.pk, current.start))
        rows.append(
            {
                "account": account,
                "record": record,
                "held": held,
                "periods": len(record),
                "current": now,
                "late": late.get(now.pk, 0) if now else 0,
            }
        )
    rows.sort(key=lambda r: (r["held"], -r["late"], r["account"].name))
    return {
        "rows": rows,
        "held": held_total,
        "due": due_total,
        "rate": round(100 * held_total / due_total) if due_total else None,
    }


def account_fact(account: Any, slug: str) -> dict[str, Any] | None:
    """For the account page: QBRs held in their period over the last four, and this period's QBR."""

    today = timezone.localdate()
    qbrs = list(Qbr.objects.filter(account=account, period_start__lte=today).order_by("-period_start")[:5])
    if not qbrs:
        return None
    current, past = (qbrs[0], qbrs[1:]) if qbrs[0].period_end >= today else (None, qbrs[:4])
    held = sum(1 for q in past if held_in_period(q))
    value = f"{held} of {len(past)} held on time" if past else "no earlier QBR"
    late = 0
    if current is not None:
        value += f"; {current.period_label} {current.get_status_display().lower()}"
        if current.open:
            late = Milestone.objects.filter(qbr=current, done_at__isnull=True, due__lt=today).count()
            value += f", {late} milestone{'s' if late != 1 else ''} late" if late else ""
    overdue = [q for q in past if q.open]
    if overdue:
        value += f"; {overdue[0].period_label} overdue"
        late += 1
    target = current or qbrs[0]
    return {
        "label": "QBRs",
        "value": value,
        "url": tenant_reverse("qbr_detail", target.pk, slug=slug),
        "tone": "danger" if late or (past and held < len(past) / 2) else "",
    }


def qbrs_on_time_source(account: Any, period: Any) -> tuple[Any, str]:
    """Scorecard source: the share of the account's QBRs due in the period that were held within it."""

    due = [
        q
        for q in Qbr.objects.filter(account=account, period_start__gte=period.start, period_end__lte=period.end)
        if q.period_end < timezone.localdate() or q.status == Qbr.Status.HELD
    ]
    if not due:
        return None, "no QBR was due in the period"
    held = sum(1 for q in due if held_in_period(q))
    return Decimal(held * 100) / len(due), f"{held} of {len(due)} QBRs held within their period"
