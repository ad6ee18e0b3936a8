"""Timeline and playbooks: the Timeline tab of an account with 5,000 entries (its first page, and a page deep in
the story by cursor, the htmx fragment), against the bare template view listing 100 rows in the same run; goal:
a constant number of queries (the tests assert it) and a page in the same league as the bare template. Then the
playbook check of one tenant in steady state (every active playbook evaluated, nothing new to fire), in process,
against entering a tenant and reading one row; the beat's pass over N tenants costs N such checks.

The timeline's data lives in a tenant of its own ("bench-timeline") that the demo admin joins for the run; it is
deleted afterwards. It holds 100 accounts, each with a contract (ends spread over two years: renewals within 120
days, mid-points passed) and its buying roles, on which the playbook check runs (its first pass, the warm-up, fires
what is due; the measured passes find nothing new).
"""

from __future__ import annotations

import random
from datetime import timedelta

from bench.run import CLEANUP, DEMO_USER, HTTP_CUSTOM, IN_PROCESS, Result, Scenario, login, run_http, vacuum

SLUG = "bench-timeline"
ENTRIES = 5_000
BARE = "bare template, 100 rows"
PAGE = "timeline tab, account with 5,000 entries"
DEEP = "timeline, page 100 of 5,000 entries (cursor, htmx)"
CHECK = "playbook check, one tenant of 100 accounts, steady state"
ENTER = "enter a tenant, read one row"
_paths: dict[str, str] = {}


def prepare() -> None:
    from django.utils import timezone

    from accounts.models import Account, Contact, Contract, Tier, TimelineContact, TimelineEntry
    from accounts.timeline_selectors import TimelineFilters, timeline_page
    from sam.models import Membership, Tenant, User
    from sam.roles import Role
    from sam.tenancy.context import tenant_context

    _drop()
    rng = random.Random(5)
    tenant = Tenant.objects.create(slug=SLUG, name="Bench timeline")
    with tenant_context(tenant):
        Membership.objects.create(user=User.objects.get(email=DEMO_USER), role=Role.ADMIN)
        tier = Tier.objects.get(name="Key")
        accounts = Account.objects.bulk_create([Account(name=f"Account {n:03}", tier=tier) for n in range(100)])
        account = accounts[0]
        contacts = Contact.objects.bulk_create(
            [Contact(account=account, name=f"Contact {n}", buyer_role="economic") for n in range(20)]
            + [
                Contact(account=a, name=f"{role} of {a.name}", buyer_role=role)
                for a in accounts[1:]
                for role in ("economic", "technical", "usage")
            ]
        )[:20]
        today = timezone.localdate()
        Contract.objects.bulk_create(
            [
                Contract(
                    account=a,
                    title=f"Contract {a.name}",
                    start=today - timedelta(days=rng.randint(100, 900)),
                    end=today + timedelta(days=rng.randint(1, 700)),
                )
                for a in accounts
            ]
        )
        now = timezone.now()
        kinds = ["note", "call", "meeting", "email"]
        entries = TimelineEntry.objects.bulk_create(
            [
                TimelineEntry(
                    account=account,
                    kind=rng.choice(kinds),
                    summary=f"Entry {n}: " + " ".join(rng.choices(["renewal", "call", "pricing", "roadmap"], k=20)),
                    occurred_at=now - timedelta(hours=n * 3),
                    touch=True,
                )
                for n in range(ENTRIES)
            ]
        )
        TimelineContact.objects.bulk_create(
            [TimelineContact(entry=e, contact=c) for e in entries for c in rng.sample(contacts, 2)], batch_size=5_000
        )
        deep = timeline_page(account, filters=TimelineFilters())
        for _ in range(98):  # the cursor of page 100
            deep = timeline_page(account, filters=TimelineFilters(), cursor=deep.next_cursor)
        _paths[PAGE] = f"/t/{SLUG}/accounts/{account.pk}/?tab=timeline"
        _paths[DEEP] = f"/t/{SLUG}/accounts/{account.pk}/timeline/?cursor={deep.next_cursor}"
    vacuum("accounts_timelineentry", "accounts_timelinecontact", "accounts_contact", "accounts_contract")


def _drop() -> None:
    from accounts.models import Account
    from sam.models import Tenant
    from sam.tenancy.context import tenant_context

    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None:
        with tenant_context(tenant):
            Account.objects.all().delete()
            tenant.delete()


def run() -> list[Result]:
    cookie = login()
    results = [run_http(Scenario(name, _paths[name], baselines=(BARE,), needs_login=True), cookie) for name in _paths]
    for r in results:
        print(f"timeline bench: {r.name}: p50 {r.p50_ms} ms, p95 {r.p95_ms} ms")
    return results


def _checked_tenant() -> object:
    from sam.models import Tenant

    return Tenant.objects.get(slug=SLUG)


def playbook_check() -> None:
    from accounts.playbook_services import playbooks_check
    from sam.tenancy.context import tenant_context

    with tenant_context(_checked_tenant()):  # type: ignore[arg-type]
        playbooks_check()


def enter_tenant() -> None:
    from accounts.models import Account
    from sam.tenancy.context import tenant_context

    with tenant_context(_checked_tenant()):  # type: ignore[arg-type]
        Account.objects.first()


prepare()
CLEANUP.append(_drop)
HTTP_CUSTOM.append(run)
IN_PROCESS.append((ENTER, enter_tenant, None))
IN_PROCESS.append((CHECK, playbook_check, ENTER))
