"""Demo story of each account: the team's calls, meetings, emails and notes over the last months, who owns each
relationship, and then the playbooks the demo's signals fire (development only, idempotent)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from accounts.events import timeline_backfill_once
from accounts.models import Account, BuyerRole, Contact, TimelineEntry
from accounts.playbook_services import playbook_defaults_ensure, playbooks_check
from accounts.timeline_services import timeline_entry_log
from sam.models import Membership, Tenant

# kind, summary, days ago, the buying roles taking part, a follow-up action (or "")
STORY = [
    ("meeting", "Quarterly steering meeting: agreed to pilot the new monitoring service in one region.", 150,
     ("economic", "technical"), "Send the pilot proposal with pricing"),
    ("call", "Weekly operations call: two tickets escalated, both closed within the SLA.", 120, ("usage",), ""),
    ("email", "Sent the revised service report format; they asked for availability by site.", 95, ("usage",),
     "Add availability by site to the monthly report"),
    ("note", "Their CFO is reviewing all supplier contracts over the summer: keep pricing stable until then.", 80,
     (), ""),
    ("call", "Call with their Head of IT: data-platform migration timeline slips to next quarter.", 55,
     ("technical",), "Re-plan the migration workstream with their IT team"),
    ("meeting", "Site visit: walked the new warehouse with operations; positive about response times.", 30,
     ("usage", "champion"), ""),
    ("email", "Shared the incident post-mortem for the March outage with the technical buyer.", 12,
     ("technical",), ""),
    ("meeting", "Renewal conversation scheduled with the economic buyer.", -10, ("economic",), ""),
]  # fmt: skip
# Accounts whose economic buyer the demo leaves quiet (the coverage warning and its playbook show on them).
QUIET = {"Umbrella Health", "Cyberdyne Systems", "Wayne Retail Group"}
PINNED = "Account strategy: protect the core managed-service renewal first; expansion only after health is green."


def seed_timeline(tenant: Tenant) -> None:
    """Inside tenant_context(tenant), after every other seeder: a story per account, the events of the other apps'
    demo data, then the playbooks fire."""
    playbook_defaults_ensure()
    timeline_backfill_once()
    if TimelineEntry.objects.exclude(kind=TimelineEntry.Kind.EVENT).exists():
        playbooks_check()
        return
    rng = random.Random(f"timeline-{tenant.slug}")
    members = {m.role: m.user for m in Membership.objects.select_related("user").order_by("user__email")}
    now = timezone.now()
    due = (now + timedelta(days=14)).date()
    for account in Account.objects.alive().select_related("owner").order_by("name"):
        contacts = list(Contact.objects.filter(account=account).order_by("-influence", "name"))
        by_role: dict[str, list[Contact]] = {}
        for contact in contacts:
            by_role.setdefault(contact.buyer_role, []).append(contact)
        author = account.owner or members.get("account_manager")
        if author is None:
            continue
        team = [u for u in (author, members.get("member"), members.get("executive")) if u is not None]
        for contact in contacts:  # who on our side owns each relationship
            owner = members.get("executive") if contact.buyer_role == BuyerRole.ECONOMIC else author
            Contact.objects.filter(pk=contact.pk).update(relationship_owner=owner)
        for kind, summary, days, roles, action in STORY:
            if account.name in QUIET and "economic" in roles:
                continue
            people = [c.pk for r in roles for c in by_role.get(r, [])[:1]]
            timeline_entry_log(
                account=account,
                kind=kind,
                summary=summary,
                occurred_at=now - timedelta(days=days, hours=rng.randint(0, 6)),
                contact_ids=people,
                by=rng.choice(team),
                actions=[{"title": action, "owner": author, "due": due}] if action else [],
                acting_user=None,
            )
        timeline_entry_log(
            account=account,
            kind=TimelineEntry.Kind.NOTE,
            summary=PINNED,
            occurred_at=now - timedelta(days=160),
            by=author,
            pinned=True,
            acting_user=None,
        )
    playbooks_check()
