"""The product's own events on an account's timeline: each registered by the app that records it, with its label
and how to find its page (the accounts app cannot import the apps above it, as with action sources)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, Contact, TimelineContact, TimelineEntry
from sam.models import User

EventLink = Callable[[Any, str], str | None]


@dataclass(frozen=True)
class Event:
    key: str
    label: str
    link: EventLink | None


_events: dict[str, Event] = {}


def register_event(key: str, label: str, link: EventLink | None = None) -> None:
    """``link(entry, tenant_slug)`` returns the URL of the event's object, or None."""
    if len(key) > 40:
        raise ValueError(f"An event key has at most 40 characters: {key!r}")
    _events[key] = Event(key, label, link)


def event_label(key: str) -> str:
    known = _events.get(key)
    return known.label if known else key


def events() -> list[Event]:
    return list(_events.values())


def event_url(entry: Any, tenant_slug: str) -> str | None:
    known = _events.get(entry.event)
    if known is None or known.link is None or not entry.source_id:
        return None
    try:
        return known.link(entry, tenant_slug)
    except Exception:  # an object that cannot be resolved any more has no link
        return None


# The accounts app's own events (registered at import: this module is the registry's home).
RECURRING_OPENED, RECURRING_CLOSED = "recurring_issue.opened", "recurring_issue.closed"
CONTRACT_RENEWED, CONTRACT_LOST = "contract.renewed", "contract.lost"
PLAYBOOK_FIRED = "playbook.fired"

SUMMARY_LIMIT = 10000


def timeline_event(
    *,
    account: Account | int,
    event: str,
    summary: str,
    key: str,
    at: datetime | None = None,
    source_id: Any = "",
    contacts: Iterable[Contact | int] = (),
    by: User | None = None,
    touch: bool = False,
) -> TimelineEntry | None:
    """Record one of the product's events on the account's timeline, once: the same key adds nothing again (also
    for two workers at once). Returns the entry made now, or None when it was there already."""
    account_id = account if isinstance(account, int) else account.pk
    if TimelineEntry.objects.filter(dedupe_key=key).exists():
        return None
    contact_ids = sorted({c if isinstance(c, int) else c.pk for c in contacts})
    try:
        with transaction.atomic():
            entry = TimelineEntry.objects.create(
                account_id=account_id,
                kind=TimelineEntry.Kind.EVENT,
                event=event,
                summary=summary[:SUMMARY_LIMIT],
                occurred_at=at or timezone.now(),
                source_id=str(source_id or ""),
                dedupe_key=key[:200],
                by=by,
                touch=touch and bool(contact_ids),
            )
            TimelineContact.objects.bulk_create(
                TimelineContact(entry=entry, contact_id=c)
                for c in Contact.objects.filter(account_id=account_id, pk__in=contact_ids).values_list("pk", flat=True)
            )
    except IntegrityError:
        return None
    return entry


def timeline_event_contact_set(*, key: str, contact_id: int, present: bool) -> None:
    """Who took part in an event recorded earlier changed (attendance entered after the QBR): its contacts follow,
    and it counts as a touch while anyone took part."""
    entry = TimelineEntry.objects.filter(dedupe_key=key).first()
    if entry is None:
        return
    if present and Contact.objects.filter(pk=contact_id, account_id=entry.account_id).exists():
        TimelineContact.objects.bulk_create(
            [TimelineContact(entry=entry, contact_id=contact_id)], ignore_conflicts=True
        )
    elif not present:
        TimelineContact.objects.filter(entry=entry, contact_id=contact_id).delete()
    touch = TimelineContact.objects.filter(entry=entry).exists()
    if touch != entry.touch:
        TimelineEntry.objects.filter(pk=entry.pk).update(touch=touch)


# The history from before the timeline: each app puts its past events on the timelines (by the same keys, so they
# appear once however often it runs). ``manage.py timeline_backfill`` and the demo run them.
_backfills: list[Callable[[], int]] = []


def register_backfill(backfill: Callable[[], int]) -> None:
    _backfills.append(backfill)


def timeline_backfill() -> int:
    """Every registered app's past events on the current tenant's timelines; returns how many were added."""
    return sum(backfill() for backfill in _backfills)


def timeline_backfill_once() -> int:
    """The backfill, the first time the workspace's periodic check runs after an upgrade (then never again)."""
    from accounts.models import AccountsSettings

    if AccountsSettings.current().timeline_backfilled_at is not None:
        return 0
    made = timeline_backfill()
    AccountsSettings.objects.update(timeline_backfilled_at=timezone.now())
    return made


def _own_backfill() -> int:
    from accounts.models import Contract, Outcome, RecurringIssue

    made = 0
    for issue in RecurringIssue.objects.select_related("category"):
        name = issue.category.name.lower()
        made += bool(
            timeline_event(
                account=issue.account_id,
                event=RECURRING_OPENED,
                summary=f"Recurring {name} incidents",
                key=f"recurring-opened:{issue.pk}",
                at=issue.opened_at,
                source_id=issue.pk,
            )
        )
        if issue.closed_at is not None:
            made += bool(
                timeline_event(
                    account=issue.account_id,
                    event=RECURRING_CLOSED,
                    summary=f"Recurring {name} incidents closed: {issue.root_cause.strip()[:500]}",
                    key=f"recurring-closed:{issue.pk}:{issue.closed_at:%Y%m%d%H%M%S}",
                    at=issue.closed_at,
                    source_id=issue.pk,
                )
            )
    for contract in Contract.objects.exclude(outcome=Outcome.OPEN).filter(outcome_recorded_at__isnull=False):
        renewed = contract.renewed
        made += bool(
            timeline_event(
                account=contract.account_id,
                event=CONTRACT_RENEWED if renewed else CONTRACT_LOST,
                summary=f"{contract.title}: {contract.get_outcome_display().lower()}",
                key=f"contract-{'renewed' if renewed else 'lost'}:{contract.pk}",
                at=contract.outcome_recorded_at,
                source_id=contract.pk,
            )
        )
    return made


register_backfill(_own_backfill)
