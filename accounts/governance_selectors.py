"""Change control, the customer's decisions and escalations: the reads (who decides, who is told, prime hours,
what is open on an account)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import Account, BuyerRole, ChangeRequest, Contact, Decision, Escalation, TeamAssignment, TeamRole
from sam.icalendar import zone_of
from sam.models import User

ESCALATE_AFTER_DAYS = 7  # an overdue decision goes to the Executive Partner this many days after its due date
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _holders(account: Account, role: str) -> list[User]:
    return [
        a.user
        for a in TeamAssignment.objects.filter(account=account, role=role)
        .select_related("user")
        .order_by("created_at", "pk")
    ]


def technical_leads(account: Account) -> list[User]:
    """Who approves the account's changes (an admin when the list is empty)."""
    return _holders(account, TeamRole.TECHNICAL_LEAD)


def executive_partners(account: Account) -> list[User]:
    return _holders(account, TeamRole.EXECUTIVE_PARTNER)


def prime_hours_touched(account: Account, start: datetime, end: datetime) -> bool:
    """Whether [start, end) overlaps the customer's prime hours on one of their prime days, on their clock."""
    zone = zone_of(account.time_zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = local_start.date()
    while day <= local_end.date():
        if day.weekday() in (account.prime_days or []):
            opens = datetime.combine(day, account.prime_start, tzinfo=zone)
            closes = datetime.combine(day, account.prime_end, tzinfo=zone)
            if local_start < closes and local_end > opens:
                return True
        day += timedelta(days=1)
    return False


def prime_hours_text(account: Account) -> str:
    days = ", ".join(WEEKDAYS[d] for d in sorted(account.prime_days or []) if 0 <= d <= 6) or "no day"
    return f"{days}, {account.prime_start:%H:%M} to {account.prime_end:%H:%M} ({account.time_zone})"


def customer_recipients(change: ChangeRequest) -> list[Contact]:
    """Who at the customer hears of a change's window: the contacts who approved it, and the technical buyers;
    only those with an email who have not opted out."""
    approvers = Decision.objects.filter(change_request=change, status=Decision.Status.APPROVED).values("contact_id")
    contacts = Contact.objects.filter(account_id=change.account_id, opted_out=False).exclude(email="")
    return list(contacts.filter(Q(pk__in=approvers) | Q(buyer_role=BuyerRole.TECHNICAL)).order_by("name"))


def deciding_contacts(account: Account) -> list[Contact]:
    return [c for c in Contact.objects.filter(account=account).order_by("name") if c.may_decide]


def governance_tab(account: Account, *, today: date | None = None) -> dict[str, Any]:
    """What the account's Changes & decisions tab shows, in a fixed number of queries."""
    today = today or timezone.localdate()
    changes = list(
        ChangeRequest.objects.filter(account=account)
        .select_related("requested_by", "decided_by", "recurring_issue__category")
        .prefetch_related(Prefetch("decisions", queryset=Decision.objects.select_related("contact")))[:200]
    )
    decisions = list(
        Decision.objects.filter(account=account).select_related(
            "contact", "recurring_issue__category", "change_request"
        )[:200]
    )
    escalations = list(Escalation.objects.filter(account=account).select_related("owner", "raised_by")[:200])
    return {
        "changes": changes,
        "decisions": decisions,
        "escalations": escalations,
        "open_escalations": [e for e in escalations if e.status == Escalation.Status.OPEN],
        "overdue_decisions": [d for d in decisions if d.is_overdue(today)],
        "today": today,
        "prime_hours": prime_hours_text(account),
    }


def open_escalations(account: Account) -> list[Escalation]:
    return list(Escalation.objects.filter(account=account, status=Escalation.Status.OPEN).select_related("owner"))


def operations_review_governance(account: Account, since: datetime, until: datetime) -> dict[str, Any]:
    """The period's changes (window or completion inside it, or an emergency recorded in it however long ago it
    was made: emergency ones first), the changes still planned after it, the decisions asked or answered in it or
    still open, and the escalations open now or resolved in it."""
    rows = ChangeRequest.objects.filter(account=account).select_related(
        "requested_by", "decided_by", "recurring_issue__category"
    )
    changes = list(
        rows.filter(
            Q(window_start__gte=since, window_start__lte=until)
            | Q(done_at__gte=since, done_at__lte=until)
            | Q(emergency=True, requested_at__gte=since, requested_at__lte=until)
        ).order_by("-emergency", "window_start")[:300]
    )
    planned = list(
        rows.filter(status__in=ChangeRequest.OPEN_STATUSES, window_start__gt=until).order_by("window_start")[:300]
    )
    start, end = timezone.localdate(since), timezone.localdate(until)
    decisions = list(
        Decision.objects.filter(account=account)
        .filter(
            Q(requested_at__gte=since, requested_at__lte=until)
            | Q(answered_on__gte=start, answered_on__lte=end)
            | Q(status=Decision.Status.REQUESTED)
        )
        .select_related("contact", "recurring_issue__category", "change_request")
        .order_by("due")[:300]
    )
    escalations = list(
        Escalation.objects.filter(account=account)
        .filter(Q(status=Escalation.Status.OPEN) | Q(resolved_at__gte=since, resolved_at__lte=until))
        .select_related("owner")
        .order_by("status", "due")[:300]
    )
    return {"changes": changes, "planned": planned, "decisions": decisions, "escalations": escalations}
