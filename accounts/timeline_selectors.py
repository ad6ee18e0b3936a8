"""Reads of the account's story: the timeline page by cursor, and relationship coverage (who we touched, when,
how often we met, and which buying roles have gone quiet)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from accounts import events
from accounts.models import AccountsSettings, ActionItem, BuyerRole, Contact, TimelineContact, TimelineEntry
from sam.numbers import whole

PAGE_SIZE = 25
# "How often we met over the last two quarters": meetings and QBRs the contact took part in, in this many days.
MET_DAYS = 182
QBR_HELD = "qbr.held"
# The buying roles the QBR's "right people" check asks for.
BUYING_ROLES = (BuyerRole.ECONOMIC, BuyerRole.TECHNICAL, BuyerRole.USAGE)


@dataclass
class TimelineFilters:
    kind: str = ""
    person: int | None = None
    contact: int | None = None

    @classmethod
    def parse(cls, data: Any) -> TimelineFilters:
        """From a query string: unknown kinds and ids that are not whole numbers are ignored (never an error)."""
        kind = str(data.get("kind", ""))
        return cls(
            kind=kind if kind in TimelineEntry.Kind.values else "",
            person=whole(data.get("person", "")),
            contact=whole(data.get("contact", "")),
        )

    @property
    def active(self) -> bool:
        return bool(self.kind or self.person or self.contact)

    def query(self) -> str:
        parts = [f"kind={self.kind}"] if self.kind else []
        parts += [f"person={self.person}"] if self.person else []
        parts += [f"contact={self.contact}"] if self.contact else []
        return "&".join(parts)


@dataclass
class TimelinePage:
    pinned: list[TimelineEntry]
    upcoming: list[TimelineEntry]
    entries: list[TimelineEntry]
    next_cursor: str
    filters: TimelineFilters
    actions: dict[int, list[ActionItem]] = field(default_factory=dict)


def _cursor(entry: TimelineEntry) -> str:
    return f"{entry.occurred_at.timestamp():.6f}_{entry.pk}"


def _after(cursor: str) -> Q | None:
    """Entries older than the cursor (the last entry of the previous page); a cursor that does not parse starts over."""
    stamp, _, pk = cursor.partition("_")
    try:
        when = datetime.fromtimestamp(float(stamp), tz=timezone.get_current_timezone())
    except (ValueError, OverflowError, OSError):
        return None
    number = whole(pk)
    if number is None:
        return None
    return Q(occurred_at__lt=when) | Q(occurred_at=when, pk__lt=number)


def _entries(account_id: int, filters: TimelineFilters) -> QuerySet[TimelineEntry]:
    qs = TimelineEntry.objects.filter(account_id=account_id).select_related("by")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.person:
        qs = qs.filter(by_id=filters.person)
    if filters.contact:
        qs = qs.filter(pk__in=TimelineContact.objects.filter(contact_id=filters.contact).values("entry_id"))
    links = TimelineContact.objects.select_related("contact").order_by("contact__name")
    return qs.prefetch_related(Prefetch("links", queryset=links, to_attr="contact_links"))


def timeline_page(account: Any, *, filters: TimelineFilters, cursor: str = "", size: int = PAGE_SIZE) -> TimelinePage:
    """One page of the account's story, newest first; on the first page pinned entries on top, then what is
    still to come (meetings planned), soonest first. A constant number of queries whatever the length of the story
    (entries, their contacts, their follow-up actions)."""
    qs = _entries(account.pk, filters)
    after = _after(cursor) if cursor else None
    now = timezone.now()
    pinned = [] if after is not None else list(qs.filter(pinned=True).order_by("-occurred_at", "-pk")[:size])
    upcoming = (
        []
        if after is not None
        else list(qs.filter(pinned=False, occurred_at__gt=now).order_by("occurred_at", "pk")[:size])
    )
    stream = qs.filter(pinned=False, occurred_at__lte=now)
    if after is not None:
        stream = stream.filter(after)
    rows = list(stream.order_by("-occurred_at", "-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    shown = pinned + upcoming + rows
    actions: dict[int, list[ActionItem]] = {}
    if shown:
        for item in ActionItem.objects.filter(
            source_kind="timeline", source_id__in=[str(e.pk) for e in shown if e.kind != TimelineEntry.Kind.EVENT]
        ).select_related("owner"):
            actions.setdefault(int(item.source_id), []).append(item)
    return TimelinePage(pinned, upcoming, rows, _cursor(rows[-1]) if more else "", filters, actions)


def entry_link(entry: TimelineEntry, tenant_slug: str) -> str | None:
    return events.event_url(entry, tenant_slug) if entry.kind == TimelineEntry.Kind.EVENT else None


# --- relationship coverage --------------------------------------------------------------------------------------


def _touches(now: datetime) -> QuerySet[TimelineContact]:
    return TimelineContact.objects.filter(
        contact_id=OuterRef("pk"), entry__touch=True, entry__occurred_at__lte=now
    ).order_by("-entry__occurred_at")


def with_last_touch(contacts: QuerySet[Contact], now: datetime) -> QuerySet[Contact]:
    """Each contact with the time of its last touch on the timeline (calls, meetings, emails, QBRs attended)."""
    return contacts.annotate(timeline_touch=Subquery(_touches(now).values("entry__occurred_at")[:1]))


def _last_touch(contact: Any) -> datetime | None:
    """The later of the timeline's last touch and the date typed on the contact (kept from before the timeline)."""
    typed = contact.last_interaction
    typed_at = timezone.make_aware(datetime.combine(typed, datetime.min.time())) if typed else None
    seen = [t for t in (contact.timeline_touch, typed_at) if t is not None]
    return max(seen) if seen else None


@dataclass
class ContactCoverage:
    contact: Contact
    last_touch: datetime | None
    met: int
    days_since: int | None


def relationship_coverage(account: Any, *, now: datetime | None = None) -> list[ContactCoverage]:
    """For each contact: the last touch, how often we met over the last two quarters, who owns the relationship.
    Two queries: the contacts, and one aggregate over the account's touches."""
    now = now or timezone.now()
    met = Q(entry__occurred_at__gte=now - timedelta(days=MET_DAYS)) & (
        Q(entry__kind=TimelineEntry.Kind.MEETING) | Q(entry__event=QBR_HELD)
    )
    stats = {
        row["contact_id"]: row
        for row in TimelineContact.objects.filter(
            contact__account=account, entry__touch=True, entry__occurred_at__lte=now
        )
        .values("contact_id")
        .annotate(last=Max("entry__occurred_at"), met=Count("pk", filter=met))
    }
    rows = []
    for contact in (
        Contact.objects.filter(account=account).select_related("relationship_owner").order_by("-influence", "name")
    ):
        mine = stats.get(contact.pk, {})
        contact.timeline_touch = mine.get("last")
        last = _last_touch(contact)
        rows.append(ContactCoverage(contact, last, mine.get("met", 0), (now - last).days if last else None))
    return rows


@dataclass
class QuietRole:
    account_id: int
    role: str
    last_touch: datetime | None
    days: int
    names: list[str]

    @property
    def role_label(self) -> str:
        return str(BuyerRole(self.role).label).lower()

    def sentence(self, now: datetime | None = None) -> str:
        who = f"the {self.role_label}"
        if self.last_touch is None:
            return f"No touch with {who} on record ({', '.join(self.names)})"
        since = ((now or timezone.now()) - self.last_touch).days
        return f"No touch with {who} for {since} days ({', '.join(self.names)})"


def quiet_roles(
    *,
    now: datetime | None = None,
    days: int | None = None,
    roles: tuple[str, ...] = BUYING_ROLES,
    account_ids: Any = None,
) -> dict[int, list[QuietRole]]:
    """Live accounts whose contacts in a buying role have all had no touch for longer than ``days`` (the tenant's
    setting by default), per account: one query over the whole portfolio. A role nobody holds is not 'quiet'
    (the stakeholder map calls it uncovered)."""
    now = now or timezone.now()
    limit = days if days is not None else AccountsSettings.current().quiet_role_days
    contacts = Contact.objects.filter(buyer_role__in=roles, account__deleted_at__isnull=True).exclude(
        account__status="inactive"
    )
    if account_ids is not None:
        contacts = contacts.filter(account_id__in=account_ids)
    latest: dict[tuple[int, str], tuple[datetime | None, list[str]]] = {}
    for contact in with_last_touch(contacts, now).only("pk", "account_id", "buyer_role", "name", "last_interaction"):
        key = (contact.account_id, contact.buyer_role)
        last, names = latest.get(key, (None, []))
        touch = _last_touch(contact)
        names.append(contact.name)
        latest[key] = (max((t for t in (last, touch) if t is not None), default=None), names)
    cutoff = now - timedelta(days=limit)
    quiet: dict[int, list[QuietRole]] = {}
    for (account_id, role), (last, names) in sorted(latest.items(), key=lambda kv: (kv[0][0], roles.index(kv[0][1]))):
        if last is None or last < cutoff:
            quiet.setdefault(account_id, []).append(QuietRole(account_id, role, last, limit, sorted(names)))
    return quiet


def role_coverage(coverage: list[ContactCoverage], *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The stakeholder map's buying roles with their last touch and a warning when one has gone quiet."""
    now = now or timezone.now()
    limit = AccountsSettings.current().quiet_role_days
    rows = []
    for role in BUYING_ROLES:
        members = [c for c in coverage if c.contact.buyer_role == role]
        last = max((c.last_touch for c in members if c.last_touch), default=None)
        quiet = bool(members) and (last is None or last < now - timedelta(days=limit))  # as quiet_roles says
        rows.append(
            {
                "role": role,
                "label": BuyerRole(role).label,
                "last_touch": last,
                "days_since": (now - last).days if last else None,
                "quiet": quiet,
                "uncovered": not members,
                "limit": limit,
            }
        )
    return rows
