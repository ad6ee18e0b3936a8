"""What makes a playbook fire: each trigger says, for the current tenant, which live accounts it is true for now
(about which subject: a contract, a survey answer, an area...) and why. The apps register their own triggers
(voc the detractor answer, scorecards red health), as they register action sources; the playbook check
(accounts.playbook_services) fires on what became true and clears what no longer is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

# (account id, subject) -> the reason, in words, for each account (and subject) the trigger is true for now; None
# for one that does not fire now but keeps a run it fired earlier from clearing (a margin against flapping).
Firing = dict[tuple[int, str], str | None]
Evaluate = Callable[[int | None, datetime], Firing]
# Told of each firing after its steps are in the register (e.g. a survey answer remembers its follow-up).
OnFire = Callable[[Any, list[Any]], None]


@dataclass(frozen=True)
class Trigger:
    key: str
    label: str
    evaluate: Evaluate
    # The trigger takes a number of days (renewal within N days, no touch for N days): what it means, its default.
    days_label: str = ""
    default_days: int | None = None
    on_fire: OnFire | None = None

    @property
    def takes_days(self) -> bool:
        return bool(self.days_label)


_triggers: dict[str, Trigger] = {}


def register_trigger(trigger: Trigger) -> None:
    if len(trigger.key) > 30:
        raise ValueError(f"A trigger key has at most 30 characters: {trigger.key!r}")
    _triggers[trigger.key] = trigger


def trigger(key: str) -> Trigger | None:
    return _triggers.get(key)


def triggers() -> list[Trigger]:
    return list(_triggers.values())


def trigger_choices() -> list[tuple[str, str]]:
    return [(t.key, t.label) for t in _triggers.values()]


# --- the accounts app's own triggers ----------------------------------------------------------------------------

RENEWAL, MID_CONTRACT, RECURRING, ECONOMIC_QUIET = "renewal_within", "mid_contract", "recurring_issue", "economic_quiet"


def _renewal_within(days: int | None, now: datetime) -> Firing:
    from accounts.models import Contract, Outcome

    today = timezone.localdate(now)
    window = today + timedelta(days=days if days is not None else 120)
    rows = (
        Contract.objects.filter(outcome=Outcome.OPEN, end__gte=today, end__lte=window, account__deleted_at__isnull=True)
        .exclude(account__status="inactive")
        .values_list("pk", "account_id", "title", "end")
    )
    return {
        (account_id, str(pk)): f"{title} ends on {end:%d %b %Y}, in {(end - today).days} days."
        for pk, account_id, title, end in rows
    }


def _mid_contract(days: int | None, now: datetime) -> Firing:
    from accounts.models import Contract, Outcome

    today = timezone.localdate(now)
    rows = (
        Contract.objects.filter(outcome=Outcome.OPEN, start__lte=today, end__gt=today, account__deleted_at__isnull=True)
        .exclude(account__status="inactive")
        .values_list("pk", "account_id", "title", "start", "end")
    )
    return {
        (account_id, str(pk)): f"{title} passed its mid-point on {start + (end - start) / 2:%d %b %Y}."
        for pk, account_id, title, start, end in rows
        if start + (end - start) / 2 <= today
    }


def _recurring_issue(days: int | None, now: datetime) -> Firing:
    from accounts.models import RecurringIssue

    rows = RecurringIssue.objects.filter(status=RecurringIssue.Status.OPEN, account__deleted_at__isnull=True)
    return {
        (account_id, str(pk)): f"Recurring {name.lower()} incidents, open since {opened:%d %b %Y}."
        for pk, account_id, name, opened in rows.values_list("pk", "account_id", "category__name", "opened_at")
    }


def _economic_quiet(days: int | None, now: datetime) -> Firing:
    from accounts.timeline_selectors import quiet_roles

    limit = days if days is not None else 60
    return {
        (account_id, ""): quiet.sentence()
        for account_id, roles in quiet_roles(now=now, days=limit, roles=("economic",)).items()
        for quiet in roles
    }


def register_own() -> None:
    register_trigger(Trigger(RENEWAL, "Renewal within N days", _renewal_within, "Days before the contract's end", 120))
    register_trigger(Trigger(MID_CONTRACT, "Mid-contract point reached", _mid_contract))
    register_trigger(Trigger(RECURRING, "Recurring issue opened", _recurring_issue))
    register_trigger(
        Trigger(
            ECONOMIC_QUIET, "No touch with the economic buyer for N days", _economic_quiet, "Days without a touch", 60
        )
    )
