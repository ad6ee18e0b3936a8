"""Demo portfolio: about a dozen realistic accounts per demo tenant (development only, idempotent)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts import services
from accounts.models import (
    Account,
    BuyerRole,
    Deliverable,
    IncidentCategory,
    SelectionCriterion,
    TeamAssignment,
    TeamRole,
    Tier,
)
from sam.models import Membership, Tenant, User

ACCOUNTS = [
    # name, industry, tier, revenue (M), status, parent
    ("Globex Logistics", "Logistics", "Strategic", 18.5, "active", None),
    ("Initech Financial", "Financial services", "Strategic", 12.0, "active", None),
    ("Umbrella Health", "Healthcare", "Strategic", 9.4, "at_risk", None),
    ("Stark Manufacturing", "Manufacturing", "Strategic", 22.1, "active", None),
    ("Wayne Retail Group", "Retail", "Key", 7.8, "active", None),
    ("Acme Energy", "Energy", "Strategic", 15.2, "active", None),
    ("Soylent Foods", "Food and beverage", "Key", 4.1, "onboarding", None),
    ("Cyberdyne Systems", "Technology", "Strategic", 11.7, "active", None),
    ("Tyrell Biotech", "Life sciences", "Developing", 2.3, "active", None),
    ("Hooli Media", "Media", "Key", 5.6, "active", None),
    ("Massive Dynamic", "Conglomerate", "Strategic", 26.0, "active", None),
    ("Massive Dynamic Europe", "Conglomerate", "Strategic", 8.9, "active", "Massive Dynamic"),
]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kara", "Liam", "Mia", "Noah"]
LAST = ["Okafor", "Petrov", "Quinn", "Rossi", "Silva", "Tanaka", "Usman", "Varga", "Weber", "Xu", "Young", "Zimmer"]
TITLES = {
    BuyerRole.ECONOMIC: "CFO",
    BuyerRole.TECHNICAL: "Head of IT Operations",
    BuyerRole.USAGE: "Operations Manager",
    BuyerRole.EXECUTIVE_SPONSOR: "COO",
    BuyerRole.CHAMPION: "Service Owner",
}
GOALS = [
    ("Become the customer's preferred operations partner", "Cut unplanned downtime in prime hours", "Outage minutes"),
    ("Grow share of wallet in cloud services", "Win the data-platform migration", "Signed SOW"),
    ("Make doing business with us easier", "One monthly service report instead of four", "Report adopted"),
]


def seed_accounts(tenant: Tenant) -> None:
    """Inside tenant_context(tenant): create the demo portfolio unless it exists."""
    services.program_defaults_ensure()
    if Account.objects.exists():
        return
    rng = random.Random(tenant.slug)
    today = timezone.localdate()
    # The tenant's own demo people by role (the partner in both tenants is extra).
    members: dict[str, User] = {}
    for m in Membership.objects.select_related("user").order_by("user__email"):
        if m.user.email.endswith(f".{tenant.slug}.example") or m.user.email.split("@")[-1].startswith(tenant.slug):
            members.setdefault(m.role, m.user)
    people = [members[r] for r in ("account_manager", "member", "admin", "executive") if r in members]
    if not people:
        return
    am = members.get("account_manager", people[0])
    partner = Membership.objects.select_related("user").filter(user__email="pat@partner.example").first()
    second_am = partner.user if partner and partner.role == "account_manager" else am
    tiers = {t.name: t for t in Tier.objects.all()}
    categories = list(IncidentCategory.objects.all())
    by_name: dict[str, Account] = {}
    accounts = ACCOUNTS if tenant.slug == "northwind" else ACCOUNTS[:5]
    for index, (name, industry, tier, revenue, status, parent) in enumerate(accounts):
        owner = (am, am, second_am, members.get("admin", am))[index % 4]
        account, _ = services.account_create(
            data={
                "name": name,
                "industry": industry,
                "tier": tiers[tier],
                "status": status,
                "owner": owner,
                "annual_revenue": Decimal(str(revenue)) * 1_000_000,
                "currency": "USD" if index % 4 else "EUR",
                "parent": by_name.get(parent) if parent else None,
            },
            acting_user=owner,
        )
        by_name[name] = account
        _criteria(account, rng)
        _contract(account, index, today)
        _contacts(account, rng, index)
        _team(account, people, members, index, rng, today)
        _plan(account, rng, today, owner, index)
        _incidents(account, categories, rng, index)


def _criteria(account: Account, rng: random.Random) -> None:
    answers: dict[int, tuple[int | None, str]] = {
        c.pk: (rng.randint(1, 5), "Seen in the last business review.")
        for c in SelectionCriterion.objects.filter(active=True)
    }
    services.criteria_answers_save(account=account, answers=answers)


def _contract(account: Account, index: int, today: date) -> None:
    # Some at their mid-point (Cyberdyne and Hooli), some renewing within 180 days, some fresh.
    years = 5 if index % 2 else 3
    start = today - timedelta(days=[900, 400, 1000, 200, 950, 120, 60, 800, 30, 950, 880, 300][index % 12])
    end = start + timedelta(days=365 * years)
    if index in (2, 4):
        end = today + timedelta(days=90 + index * 10)
    services.contract_save(
        account=account,
        data={
            "title": f"Managed services agreement {start.year}",
            "start": start,
            "end": end,
            "value": (account.annual_revenue or Decimal(0)) * years,
            "currency": account.currency,
            "renewal_terms": "Renews for two years unless either side gives 90 days' notice.",
        },
    )


def _contacts(account: Account, rng: random.Random, index: int) -> None:
    roles = list(TITLES)
    if index % 4 == 1:
        roles.remove(BuyerRole.TECHNICAL)  # an uncovered buyer role to show on the map
    domain = account.name.lower().split()[0] + ".example"
    for n, role in enumerate(roles):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        services.contact_save(
            account=account,
            data={
                "name": f"{first} {last}",
                "title": TITLES[role],
                "email": f"{first}.{last}.{n}@{domain}".lower(),
                "buyer_role": role,
                "influence": rng.randint(2, 5),
                "relationship_strength": 2 if (index + n) % 5 == 0 else rng.randint(3, 5),
                "last_interaction": timezone.localdate() - timedelta(days=rng.randint(3, 120)),
            },
        )


def _team(
    account: Account, people: list[User], members: dict[str, User], index: int, rng: random.Random, today: date
) -> None:
    roles = list(TeamRole.values)
    if index % 3 == 2:
        roles = roles[:4]  # missing Customer Service Manager and Technical Lead
    elif index % 3 == 0:
        # Professional Services called in only when needed: nobody holds it, and that is no gap
        roles.remove(TeamRole.PROFESSIONAL_SERVICES)
        services.account_roles_needed_set(account=account, roles=roles, acting_user=None)
    by_role: dict[str, User] = {
        TeamRole.EXECUTIVE_PARTNER: members.get("executive") or people[0],
        TeamRole.CUSTOMER_SERVICE_MANAGER: members.get("member") or people[0],
        TeamRole.TECHNICAL_LEAD: members.get("member") or people[0],
    }
    for n, role in enumerate(roles):
        user = by_role.get(role) or (
            account.owner if role == TeamRole.ACCOUNT_MANAGER else people[(index + n) % len(people)]
        )
        assert user is not None  # every demo account has an owner
        services.team_assign(account=account, user_id=user.pk, role=role)
    for n, deliverable in enumerate(Deliverable.objects.filter(account=account)):
        if deliverable.role in roles:
            stale = (index + n) % 4 == 0
            deliverable.status = Deliverable.Status.CURRENT if not stale else Deliverable.Status.IN_PROGRESS
            deliverable.last_reviewed = today - timedelta(days=150 if stale else rng.randint(5, 60))
            deliverable.link = f"https://docs.example/{account.pk}/{deliverable.role}"
            deliverable.save()


def _plan(account: Account, rng: random.Random, today: date, owner: User, index: int) -> None:
    goal_title, objective_title, measure = GOALS[index % len(GOALS)]
    goal = services.goal_add(account=account, title=goal_title)
    objective = services.objective_add(goal=goal, title=objective_title, measure=measure)
    for n, (title, days) in enumerate([("Agree the target with the customer", -10), ("Run the pilot", 25)]):
        item, _ = services.action_item_add(
            account=account,
            title=title,
            owner=owner,
            due=today + timedelta(days=days + index),
            objective=objective,
            source_kind="plan",
            source_id=objective.pk,
            acting_user=owner,
        )
        if n == 0 and index % 2:
            services.action_item_update(item=item, data={"status": "done"}, acting_user=owner)
    if index % 3 != 1:
        review = services.plan_review_record(account=account, acting_user=owner, note="Quarterly plan review.")
        if index % 3 == 2:  # an old review: the plan is stale
            review.reviewed_at = timezone.now() - timedelta(days=120)
            review.save(update_fields=["reviewed_at"])
    helper = members_of_team(account)
    services.action_item_add(
        account=account,
        title="Send the updated escalation matrix",
        owner=helper or owner,
        due=today - timedelta(days=rng.randint(1, 20)) if index % 2 == 0 else today + timedelta(days=14),
        acting_user=owner,
    )


def members_of_team(account: Account) -> User | None:
    """The account's Customer Service Manager, if any (they get the service follow-ups)."""

    csm = TeamAssignment.objects.filter(account=account, role=TeamRole.CUSTOMER_SERVICE_MANAGER).first()
    return csm.user if csm else None


def _incidents(account: Account, categories: list[IncidentCategory], rng: random.Random, index: int) -> None:
    now = timezone.now()
    outage = next(c for c in categories if c.name == "Outage")
    count = 3 if index == 2 else rng.randint(0, 2)  # Umbrella Health: three outages in a month
    for n in range(count):
        opened = now - timedelta(days=4 + n * 8, hours=rng.randint(0, 12))
        services.incident_record(
            account=account,
            data={
                "category": outage if index == 2 else rng.choice(categories),
                "severity": "high" if index == 2 else rng.choice(["low", "medium", "high"]),
                "opened_at": opened,
                "resolved_at": opened + timedelta(hours=rng.randint(1, 8)),
                "summary": "Portal unavailable during business hours" if index == 2 else "Service request escalated",
                "external_ref": f"INC-{account.pk}{n:03d}",
            },
        )
    # An older resolved one, for history.
    old = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=200), time(10)))
    services.incident_record(
        account=account,
        data={
            "category": rng.choice(categories),
            "severity": "low",
            "opened_at": old,
            "resolved_at": old + timedelta(hours=3),
            "summary": "Password reset request backlog",
        },
    )


def seed_governance(tenant: Tenant) -> None:
    """Inside tenant_context(tenant): change control, decisions and escalations on two demo accounts (once)."""
    from accounts import governance_services as governance
    from accounts.models import ChangeRequest, Contact, RecurringIssue

    if ChangeRequest.objects.exists():
        return
    globex = Account.objects.filter(name="Globex Logistics").select_related("owner").first()
    umbrella = Account.objects.filter(name="Umbrella Health").select_related("owner").first()
    if globex is None or umbrella is None or umbrella.owner is None or globex.owner is None:
        return
    today = timezone.localdate()

    def contact(account: Account, role: str) -> Contact | None:
        return Contact.objects.filter(account=account, buyer_role=role).first()

    # Globex Logistics: a change waiting for its Technical Lead, with the customer's approval asked.
    night = today + timedelta(days=9)
    while night.weekday() != 5:
        night += timedelta(days=1)
    window = timezone.make_aware(datetime.combine(night, time(22, 0)))
    change = governance.change_request_create(
        account=globex,
        data={
            "title": "Move the warehouse integration to the new message broker",
            "reason": "The old broker is out of support at the end of the quarter.",
            "detail": "Switch the three warehouse queues to the new cluster; the old one stays up for a week.",
            "risk": "medium",
            "risk_note": "Orders could queue for up to 20 minutes; the warehouse shift lead would notice first.",
            "rollback": "Point the queues back at the old broker (5 minutes).",
            "window_start": window,
            "window_end": window + timedelta(hours=2),
            "needs_customer_approval": True,
        },
        acting_user=globex.owner,
    )
    head_of_it = contact(globex, BuyerRole.TECHNICAL)
    if head_of_it is not None:
        governance.decision_request(
            account=globex,
            contact=head_of_it,
            question="Approve the broker move on Saturday night",
            due=today + timedelta(days=5),
            change_request=change,
            acting_user=globex.owner,
        )
    # ... and an escalation its Executive Partner resolved: the customer's budget freeze, lifted.
    partner = TeamAssignment.objects.filter(account=globex, role=TeamRole.EXECUTIVE_PARTNER).first()
    if partner is not None:
        lifted = governance.escalation_raise(
            account=globex,
            title="Budget freeze holds up the broker move",
            due=today + timedelta(days=3),
            acting_user=globex.owner,
        )
        governance.escalation_resolve(
            escalation=lifted,
            resolution="The CIO moved the broker budget to this quarter after a call with our Executive Partner.",
            acting_user=partner.user,
        )

    # Umbrella Health: three outages made a recurring issue; the customer's CFO declined the upgrade that would
    # fix it, a hurried restart in business hours followed, and the Executive Partner now owns the escalation.
    issue = RecurringIssue.objects.filter(account=umbrella, status="open").first()
    cfo = contact(umbrella, BuyerRole.ECONOMIC)
    decision = None
    if cfo is not None:
        decision = governance.decision_request(
            account=umbrella,
            contact=cfo,
            question="Approve the portal cluster upgrade (two-hour window, Saturday night)",
            detail="The three outages this month come from the cluster's old version.",
            due=today,
            recurring_issue=issue,
            acting_user=umbrella.owner,
        )
        # asked a week ago, for an answer in five days; declined yesterday
        from accounts.models import Decision

        Decision.objects.filter(pk=decision.pk).update(
            requested_at=timezone.now() - timedelta(days=7), due=today - timedelta(days=2)
        )
        decision.refresh_from_db()
        governance.decision_answer(
            decision=decision,
            status="declined",
            answered_on=today - timedelta(days=1),
            note="No change before the quarter closes.",
            acting_user=umbrella.owner,
        )
    start = (timezone.now() - timedelta(hours=3)).replace(minute=5, second=0, microsecond=0)  # since the issue
    governance.change_request_emergency(
        account=umbrella,
        data={
            "title": "Restarted the portal cluster during business hours",
            "reason": "The portal hung for every user; the on-call engineer restarted it before anyone approved.",
            "risk": "high",
            "rollback": "None needed: a restart",
            "window_start": start,
            "window_end": start + timedelta(minutes=25),
            "recurring_issue": issue,
            "outcome": "Back after 25 minutes; the root cause is still there.",
        },
        acting_user=umbrella.owner,
    )
    partner = TeamAssignment.objects.filter(account=umbrella, role=TeamRole.EXECUTIVE_PARTNER).first()
    if partner is not None:
        governance.escalation_raise(
            account=umbrella,
            title="The CFO declined the upgrade that would end the outages",
            detail="An executive conversation about the risk of running the old cluster through the quarter close.",
            due=today + timedelta(days=7),
            recurring_issue=issue,
            decision=decision,
            acting_user=umbrella.owner,
        )
