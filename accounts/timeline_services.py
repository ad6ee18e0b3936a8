"""Writes to an account's timeline: what the team logs (notes, calls, meetings, emails, with their follow-up
actions) and what the product records itself (each event once, by its key)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import events, sources
from accounts.models import Account, Contact, TimelineContact, TimelineEntry
from accounts.services import action_item_add, member_or_error
from sam.models import User
from sam.numbers import whole
from sam.permissions import require_member
from sam.services import audit_record, text_value
from sam.tenancy.urls import tenant_reverse

TIMELINE_SOURCE = "timeline"
SUMMARY_LIMIT = 10000
# The kinds that are a touch with the contacts taking part (a note is the team's own).
MEETING_AHEAD_DAYS = 731
TOUCH_KINDS = (TimelineEntry.Kind.CALL, TimelineEntry.Kind.MEETING, TimelineEntry.Kind.EMAIL)


def register_own() -> None:
    """The accounts app's action source and events (called from AccountsConfig.ready)."""
    sources.register_source(
        TIMELINE_SOURCE,
        "Timeline",
        lambda item, slug: tenant_reverse("account_detail", item.account_id, slug=slug) + "?tab=timeline",
    )

    def tab(name: str) -> events.EventLink:
        return lambda entry, slug: tenant_reverse("account_detail", entry.account_id, slug=slug) + f"?tab={name}"

    events.register_event(events.RECURRING_OPENED, "Recurring issue opened", tab("incidents"))
    events.register_event(events.RECURRING_CLOSED, "Recurring issue closed", tab("incidents"))
    events.register_event(events.CONTRACT_RENEWED, "Contract renewed", tab("contracts"))
    events.register_event(events.CONTRACT_LOST, "Contract lost", tab("contracts"))
    events.register_event(events.PLAYBOOK_FIRED, "Playbook started", tab("actions"))


def _contacts_of(account: Account, contact_ids: Iterable[Any]) -> list[Contact]:
    """The contacts named, every one of them the account's; another account's (or tenant's) is 'not found'."""
    raw = list(contact_ids)
    wanted = {whole(c, digits=18) for c in raw}
    if not raw:
        return []
    if None in wanted:
        raise ValidationError({"contacts": "No such contact at this account."})
    found = list(Contact.objects.filter(account=account, pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({"contacts": "No such contact at this account."})
    return found


def _when(kind: str, occurred_at: Any) -> datetime:
    if isinstance(occurred_at, date) and not isinstance(occurred_at, datetime):
        occurred_at = timezone.make_aware(datetime.combine(occurred_at, datetime.min.time()).replace(hour=12))
    if not isinstance(occurred_at, datetime):
        raise ValidationError({"occurred_at": "Give a date and time."})
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    if occurred_at > timezone.now() + timedelta(minutes=5) and kind != TimelineEntry.Kind.MEETING:
        raise ValidationError({"occurred_at": "Only a meeting can be in the future: log the others once they happen."})
    if occurred_at.year < 1990:
        raise ValidationError({"occurred_at": "That date is too long ago."})
    if occurred_at > timezone.now() + timedelta(days=MEETING_AHEAD_DAYS):
        raise ValidationError({"occurred_at": "A meeting can be planned at most two years ahead."})
    return occurred_at


@transaction.atomic
def timeline_entry_log(
    *,
    account: Account,
    kind: str,
    summary: Any,
    occurred_at: Any = None,
    contact_ids: Iterable[Any] = (),
    by: User | None = None,
    pinned: bool = False,
    actions: Sequence[dict[str, Any]] = (),
    acting_user: User | None,
) -> TimelineEntry:
    """Log a note, call, meeting or email on the account, with the contacts taking part and the follow-up actions
    it leads to (each goes into the running action register, its source the entry)."""
    require_member(acting_user, "timeline.log", account)
    if kind not in TimelineEntry.LOGGED:
        raise ValidationError({"kind": "Choose a note, call, meeting or email."})
    text = text_value(summary, "summary", limit=SUMMARY_LIMIT, required=True)
    when = _when(kind, occurred_at if occurred_at is not None else timezone.now())
    contacts = _contacts_of(account, contact_ids)
    if by is not None:
        member_or_error(by.pk, "by")
    entry = TimelineEntry.objects.create(
        account=account,
        kind=kind,
        occurred_at=when,
        by=by or acting_user,
        summary=text,
        touch=kind in TOUCH_KINDS and bool(contacts),
        pinned=bool(pinned),
        created_by=acting_user,
    )
    TimelineContact.objects.bulk_create(TimelineContact(entry=entry, contact=c) for c in contacts)
    for action in actions:
        action_item_add(
            account=account,
            title=text_value(action.get("title", ""), "title", limit=300, required=True),
            owner=action.get("owner"),
            due=action.get("due"),
            source_kind=TIMELINE_SOURCE,
            source_id=entry.pk,
            acting_user=acting_user,
        )
    audit_record(actor=acting_user, action="timeline.log", obj=entry, kind=kind, contacts=len(contacts))
    return entry


def timeline_entry_pin(*, entry: TimelineEntry, pinned: bool, acting_user: User | None) -> TimelineEntry:
    """Pin a note (or any entry) to the top of the account's timeline, or unpin it: the team's, events included."""
    require_member(acting_user, "timeline.log", entry.account)
    TimelineEntry.objects.filter(pk=entry.pk).update(pinned=pinned)
    entry.pinned = pinned
    return entry


@transaction.atomic
def timeline_entry_delete(*, entry: TimelineEntry, acting_user: User | None) -> None:
    """Remove an entry the team logged (its follow-up actions stay in the register): who logged it, or the
    account's owner ("timeline.remove"). The product's own events stay, for everyone."""
    if entry.kind == TimelineEntry.Kind.EVENT:
        raise PermissionDenied("The product's own events stay on the timeline.")
    require_member(acting_user, "timeline.remove", entry)
    audit_record(actor=acting_user, action="timeline.delete", obj=entry, summary=entry.summary[:200])
    entry.delete()
