"""Reads of the qbr app: what its pages, reports and other apps look up."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone

from accounts.models import Account, ActionItem, BuyerRole, Incident, TeamAssignment, TeamRole
from qbr import calc
from qbr.calc import CadencePeriod, held_in_period, period_of
from qbr.models import (
    Cadence,
    Interval,
    Milestone,
    Participant,
    Preparation,
    PreparationRow,
    Qbr,
    QbrSettings,
)
from sam.models import Membership
from sam.roles import Role
from sam.tenancy.urls import tenant_reverse
from scorecards import scoring
from scorecards import selectors as scorecard_selectors
from scorecards import sources as metric_sources
from scorecards.models import Area, MetricValue, Scorecard


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


# --- the preparation checklist: our facts per topic, and what we expect the customer to say ------------------

# The survey measures voc registers as scorecard metric sources (a sibling app: named by key, not imported).
SURVEY_SOURCES = ("voc_nps", "voc_satisfaction", "voc_response_rate", "voc_loyalty")
LISTED = 5  # facts listed under a topic's summary, at most
SEVERITY_ORDER = {s: n for n, s in enumerate(reversed(Incident.Severity.values))}  # critical first


def preparation_window(qbr: Qbr, today: date) -> CadencePeriod:
    """The stretch a QBR looks back on, up to ``today``: since the account's previous QBR was held (else since the
    start of the period before this one's). Its label reads "since ..."."""

    last = (
        Qbr.objects.filter(
            account_id=qbr.account_id,
            status=Qbr.Status.HELD,
            held_at__isnull=False,
            period_start__lt=qbr.period_start,
        )
        .order_by("-held_at")
        .values_list("held_at", flat=True)
        .first()
    )
    held_on = timezone.localtime(last).date() if last is not None else None
    start = min(calc.review_start(qbr, held_on), today)
    label = f"since the last QBR ({calc.day_text(held_on)})" if held_on else f"since {calc.day_text(start)}"
    return CadencePeriod(label, start, today)


def _number(value: Decimal, unit: str = "") -> str:
    text = f"{Decimal(value).quantize(Decimal('0.1')).normalize():f}"
    return text + ("%" if unit == "percent" else "")


def _scorecard_facts(account: Any, today: date) -> dict[str, Any]:
    """The latest scorecard with a health: the health and, per area, the metrics below their target."""

    card = (
        Scorecard.objects.filter(account=account, health__isnull=False, period__start__lte=today)
        .select_related("period", "version")
        .order_by("-period__start")
        .first()
    )
    if card is None or card.health is None:
        return {"summary": "No scorecard has a health yet.", "lines": []}
    values = {mv.metric_id: mv.value for mv in MetricValue.objects.filter(scorecard=card)}
    below: dict[str, list[str]] = {}
    for metric in card.version.metrics.filter(retired=False).order_by("order", "pk"):
        value = values.get(metric.pk)
        if value is None:
            continue
        status = scoring.metric_status(scorecard_selectors.spec_of(metric), float(value))
        if status != "green":
            target = ("≤ " if metric.direction == "lower" else "≥ ") + _number(metric.target, metric.unit)
            below.setdefault(metric.area, []).append(
                f"{metric.name} {_number(value, metric.unit)} ({status}, target {target})"
            )
    health = float(card.health)
    summary = f"Health {health:g} of 100 ({scorecard_selectors.band(health)}) on the {card.period.label} scorecard"
    count = sum(len(names) for names in below.values())
    if count:
        summary += f"; {count} metric{'s' if count != 1 else ''} below target in {len(below)} area"
        summary += "s." if len(below) != 1 else "."
    else:
        summary += "; every metric with a value is on target."
    lines = [f"{label}: {'; '.join(below[area])}" for area, label in Area.choices if area in below]
    return {"summary": summary, "lines": lines}


def _incident_facts(account: Any, window: CadencePeriod) -> dict[str, Any]:
    incidents = list(
        Incident.objects.filter(
            account=account, opened_at__date__gte=window.start, opened_at__date__lte=window.end
        ).select_related("category")
    )
    if not incidents:
        return {"summary": f"No incident {window.label}.", "lines": []}
    by_severity = {s: sum(1 for i in incidents if i.severity == s) for s in reversed(Incident.Severity.values)}
    still_open = sum(1 for i in incidents if i.resolved_at is None)
    summary = f"{len(incidents)} incident{'s' if len(incidents) != 1 else ''} {window.label}: "
    summary += ", ".join(f"{n} {s}" for s, n in by_severity.items() if n)
    summary += f"; {still_open} still open." if still_open else "; all resolved."
    worst = sorted(incidents, key=lambda i: (SEVERITY_ORDER.get(i.severity, 9), -i.opened_at.timestamp()))[:LISTED]

    def line(i: Incident) -> str:
        opened = calc.day_text(timezone.localtime(i.opened_at).date())
        text = f"{opened} · {i.get_severity_display()} · {i.category.name}: {i.summary}"
        return text + (" (open)" if i.resolved_at is None else "")

    lines = [line(i) for i in worst]
    return {"summary": summary, "lines": lines}


def _action_facts(qbr: Qbr, today: date) -> dict[str, Any]:
    items = list(open_register(qbr))
    if not items:
        return {"summary": "No open action in the account's register.", "lines": []}
    overdue = [a for a in items if a.due is not None and a.due < today]
    summary = f"{len(items)} open action{'s' if len(items) != 1 else ''} in the register, {len(overdue)} overdue."
    shown = overdue or [a for a in items if a.due is not None] or items

    def line(a: ActionItem) -> str:
        owner = a.owner.display_name if a.owner is not None else "no owner"
        due = f"due {calc.day_text(a.due)}" if a.due is not None else "no due date"
        return f"{a.title} · {owner} · {due}" + (" (overdue)" if a in overdue else "")

    return {"summary": summary, "lines": [line(a) for a in shown[:LISTED]]}


def _survey_facts(account: Any, window: CadencePeriod) -> dict[str, Any]:
    found = [(key, source) for key in SURVEY_SOURCES if (source := metric_sources.get(key)) is not None]
    if not found:
        return {"summary": "No survey results are available.", "lines": []}
    results = [(key, source.label, *source.fn(account, window)) for key, source in found]
    lines, summary = [], ""
    for key, label, value, why in results:
        if key == "voc_nps":
            summary = (
                f"NPS {value:+.0f} {window.label} ({why})." if value is not None else f"No NPS {window.label}: {why}."
            )
            continue
        lines.append(f"{label}: {_number(value) if value is not None else 'no data'} ({why})")
    return {"summary": summary or f"Survey results {window.label}.", "lines": lines}


def preparation_facts(qbr: Qbr, *, today: date | None = None) -> dict[str, dict[str, Any]]:
    """Our facts per topic of the preparation, as they stand ``today``: each a summary and a few lines of text
    (plain text, so that a completed preparation keeps them as they were). A fixed number of queries."""

    today = today or timezone.localdate()
    window = preparation_window(qbr, today)
    return {
        PreparationRow.Topic.SCORECARD: _scorecard_facts(qbr.account, today),
        PreparationRow.Topic.INCIDENTS: _incident_facts(qbr.account, window),
        PreparationRow.Topic.ACTIONS: _action_facts(qbr, today),
        PreparationRow.Topic.SURVEYS: _survey_facts(qbr.account, window),
    }


def preparation_view(qbr: Qbr, *, today: date | None = None) -> dict[str, Any]:
    """A QBR's preparation as the page, the API and the pack show it: per topic our facts (as of now, or as kept
    when it was completed), what we expect the customer to say and our answer; its state and any warning."""

    today = today or timezone.localdate()
    preparation = Preparation.objects.filter(qbr=qbr).select_related("completed_by").first()
    saved = {row.topic: row for row in preparation.rows.all()} if preparation is not None else {}
    complete = preparation is not None and preparation.complete
    facts = {topic: row.facts for topic, row in saved.items()} if complete else preparation_facts(qbr, today=today)
    preread_due = Milestone.objects.filter(qbr=qbr, kind=Milestone.Kind.PREREAD).values_list("due", flat=True).first()
    rows = [
        {
            "topic": topic,
            "label": label,
            "facts": facts.get(topic) or {"summary": "", "lines": []},
            "expected": saved[topic].expected if topic in saved else "",
            "answer": saved[topic].answer if topic in saved else "",
        }
        for topic, label in PreparationRow.Topic.choices
    ]
    return {
        "preparation": preparation,
        "complete": complete,
        "late": bool(preparation and preparation.completed_late),
        "completed_at": preparation.completed_at if preparation is not None else None,
        "completed_by": preparation.completed_by if preparation is not None else None,
        "as_of": preparation.completed_at if complete and preparation is not None else timezone.now(),
        "preread_due": preread_due,
        "warning": calc.preparation_warning(complete=complete, open=qbr.open, preread_due=preread_due, today=today),
        "rows": rows,
        "expected": sum(1 for row in rows if row["expected"]),
    }
