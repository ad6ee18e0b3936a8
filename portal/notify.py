"""The account owner hears what contacts did in the portal: one email per owner and hour, through the outbox.

Built from the audit (each portal action is recorded with the contact as actor), hour by hour: the outbox key
names the owner and the hour, so a digest goes once however often the job runs, and a missed run is caught up
on the next (it looks back ``LOOK_BACK_HOURS``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Account, Contact
from sam.models import AuditEvent
from sam.outbox import email_enqueue
from sam.tenancy.context import current_tenant
from sam.tenancy.urls import tenant_reverse

NOTIFY = {
    "portal.agenda_propose": "proposed an agenda item",
    "portal.agenda_agree": "agreed the agenda",
    "portal.action_update": "updated an action",
    "portal.recommendation_answer": "answered a recommendation",
    "portal.agenda_comment": "commented on the agenda",
}
LOOK_BACK_HOURS = 24


def _line(event: AuditEvent, contact: Contact | None) -> str:
    data = event.data
    who = contact.name if contact else "A former contact"
    what = NOTIFY[event.action]
    detail = ""
    if event.action == "portal.agenda_propose":
        detail = f": “{data.get('title', '')}” ({data.get('minutes', '')} min)"
    elif event.action == "portal.agenda_agree":
        detail = f" of the {data.get('period', '')} QBR"
    elif event.action == "portal.action_update":
        detail = f" “{data.get('title', '')}”: {str(data.get('status', '')).replace('_', ' ')}"
        detail += f", “{data['note']}”" if data.get("note") else ""
    elif event.action == "portal.recommendation_answer":
        detail = f" “{data.get('title', '')}”: {data.get('answer', '')}"
        detail += f", “{data['comment']}”" if data.get("comment") else ""
    elif event.action == "portal.agenda_comment":
        detail = f": “{data.get('text', '')}”"
    return f"{timezone.localtime(event.created_at):%H:%M} {who} {what}{detail}"


def owner_digests_send(now: datetime | None = None) -> int:
    """Enqueue the digests of the hours that ended in the look-back window; returns the emails made now."""
    now = now or timezone.now()
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    events = list(
        AuditEvent.objects.filter(
            action__in=list(NOTIFY),
            actor_contact_id__isnull=False,
            created_at__gte=this_hour - timedelta(hours=LOOK_BACK_HOURS),
            created_at__lt=this_hour,
        ).order_by("created_at", "pk")
    )
    if not events:
        return 0
    account_ids = {int(e.data.get("account") or 0) for e in events}
    accounts = {a.pk: a for a in Account.objects.filter(pk__in=account_ids).select_related("owner")}
    contacts = {c.pk: c for c in Contact.objects.filter(pk__in={e.actor_contact_id for e in events})}
    grouped: dict[tuple[Any, datetime], dict[Account, list[str]]] = defaultdict(lambda: defaultdict(list))
    for event in events:
        account = accounts.get(int(event.data.get("account") or 0))
        if account is None or account.owner is None or not account.owner.email or account.deleted_at is not None:
            continue
        hour = event.created_at.replace(minute=0, second=0, microsecond=0)
        grouped[(account.owner_id, hour)][account].append(_line(event, contacts.get(event.actor_contact_id or 0)))
    tenant = current_tenant()
    made = 0
    for (owner_id, hour), by_account in grouped.items():
        owner = next(iter(by_account)).owner
        assert owner is not None  # accounts without an owner were left out above
        sections: list[dict[str, Any]] = [
            {
                "account": account,
                "lines": lines,
                "url": settings.SITE_URL + tenant_reverse("account_detail", account.pk) + "?tab=portal",
            }
            for account, lines in sorted(by_account.items(), key=lambda pair: pair[0].name)
        ]
        count = sum(len(s["lines"]) for s in sections)
        _, created = email_enqueue(
            key=f"portal-digest:{owner_id}:{hour:%Y-%m-%dT%H}",
            to=[owner.email],
            subject=f"Customer portal: {count} update{'s' if count != 1 else ''} from your accounts",
            text=render_to_string(
                "emails/portal_digest.txt",
                {"owner": owner, "sections": sections, "hour": timezone.localtime(hour), "tenant": tenant},
            ),
        )
        made += created
    return made
