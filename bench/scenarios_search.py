"""Search: the header's search over a tenant of 100 accounts, 2,000 contacts, 50,000 timeline entries, 1,000
actions and 400 QBRs, against the bare template view listing 100 rows in the same run. Goal: p95 well under
100 ms. Measured: the search page for a short prefix that matches thousands of timeline entries ("re"), for two
partial words ("renewal pric"), for a contact's partial name, and the as-you-type fragment (htmx) for a prefix.

The data lives in a tenant of its own ("bench-search") that the demo admin joins for the run; it is deleted
afterwards. The timeline's summaries are sentences drawn from a vocabulary of a few hundred words (names of
accounts and contacts among them), so common prefixes match a large share of the 50,000 entries.
"""

from __future__ import annotations

import http.client
import random
import time
from datetime import date, timedelta
from urllib.parse import urlencode

from bench.run import CLEANUP, DEMO_USER, HOST, HTTP_CUSTOM, PORT, REQUESTS, Result, login, summarise, vacuum

SLUG = "bench-search"
BARE = "bare template, 100 rows"
ACCOUNTS, CONTACTS, ENTRIES, ACTIONS, QUARTERS = 100, 2_000, 50_000, 1_000, 4
FIRST = "Ada Alan Grace Linus Ken Barbara Edsger Donald Margaret Dennis Frances John Radia Tim Vint Leslie"
LAST = "Lovelace Turing Hopper Torvalds Thompson Liskov Dijkstra Knuth Hamilton Ritchie Allen Backus Perlman"
COMPANIES = "Acme Globex Initech Umbrella Stark Wayne Cyberdyne Tyrell Soylent Hooli Oscorp Wonka Vandelay"
WORDS = (
    "the a of to and in for on with about from after before call meeting email note renewal pricing price "
    "proposal contract invoice invoicing dispute escalation risk roadmap budget review quarterly business "
    "executive sponsor procurement legal security audit outage incident ticket support onboarding training "
    "adoption usage license seats expansion upsell discount payment terms deadline delivery milestone plan "
    "objective goal success health score survey detractor promoter feedback request feature integration api "
    "migration cloud data report dashboard kickoff workshop demo pilot rollout go-live sign-off agreed asked "
    "promised confirmed delayed blocked resolved reopened scheduled cancelled moved discussed shared sent "
    "received reviewed approved rejected requested needs wants expects worried happy unhappy concerned team "
    "manager director cfo cto ceo vp head lead engineer analyst partner vendor customer supplier region europe "
    "americas apac north south east west office site warehouse plant store branch network system platform"
)
NAME = "search: 100 accounts, 2,000 contacts, 50,000 timeline entries"
QUERIES = [
    (f"{NAME}; page, prefix 're'", {"q": "re"}, {}),
    (f"{NAME}; page, 'renewal pric'", {"q": "renewal pric"}, {}),
    (f"{NAME}; page, a contact 'grace hopp'", {"q": "grace hopp"}, {}),
    (f"{NAME}; as-you-type fragment, 'escal'", {"q": "escal"}, {"HX-Request": "true"}),
]


def _sentence(rng: random.Random, names: list[str]) -> str:
    words = rng.choices(WORDS.split(), k=rng.randint(8, 40))
    words.insert(rng.randrange(len(words)), rng.choice(names))
    return " ".join(words).capitalize() + "."


def prepare() -> None:
    from django.utils import timezone

    from accounts.models import Account, ActionItem, Contact, Tier, TimelineEntry
    from qbr.models import Qbr
    from sam.models import Membership, Tenant, User
    from sam.roles import Role
    from sam.tenancy.context import tenant_context

    _drop()
    rng = random.Random(17)
    tenant = Tenant.objects.create(slug=SLUG, name="Bench search")
    with tenant_context(tenant):
        Membership.objects.create(user=User.objects.get(email=DEMO_USER), role=Role.ADMIN)
        tier = Tier.objects.get(name="Key")
        companies, first, last = COMPANIES.split(), FIRST.split(), LAST.split()
        accounts = Account.objects.bulk_create(
            [Account(name=f"{companies[n % len(companies)]} {n:03}", tier=tier) for n in range(ACCOUNTS)]
        )
        people = [f"{rng.choice(first)} {rng.choice(last)}" for _ in range(CONTACTS)]
        Contact.objects.bulk_create(
            [Contact(account=accounts[n % ACCOUNTS], name=people[n]) for n in range(CONTACTS)], batch_size=2_000
        )
        names = [a.name for a in accounts] + people
        now = timezone.now()
        kinds = [TimelineEntry.Kind.NOTE, TimelineEntry.Kind.CALL, TimelineEntry.Kind.MEETING, TimelineEntry.Kind.EMAIL]
        for start in range(0, ENTRIES, 5_000):
            TimelineEntry.objects.bulk_create(
                [
                    TimelineEntry(
                        account=rng.choice(accounts),
                        kind=rng.choice(kinds),
                        summary=_sentence(rng, names),
                        occurred_at=now - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60)),
                    )
                    for _ in range(min(5_000, ENTRIES - start))
                ]
            )
        ActionItem.objects.bulk_create(
            [
                ActionItem(
                    account=rng.choice(accounts),
                    title=" ".join(rng.choices(WORDS.split(), k=rng.randint(3, 8))).capitalize(),
                    detail=_sentence(rng, names),
                    due=now.date() + timedelta(days=rng.randint(-60, 120)),
                )
                for _ in range(ACTIONS)
            ]
        )
        quarters = [date(2025, month, 1) for month in (1, 4, 7, 10)][:QUARTERS]
        Qbr.objects.bulk_create(
            [
                Qbr(
                    account=a,
                    period_label=f"2025-Q{q + 1}",
                    period_start=start,
                    period_end=start + timedelta(days=89),
                )
                for a in accounts
                for q, start in enumerate(quarters)
            ]
        )
    vacuum("accounts_account", "accounts_contact", "accounts_timelineentry", "accounts_actionitem", "qbr_qbr")


def _drop() -> None:
    from accounts.models import Account
    from sam.models import Tenant
    from sam.tenancy.context import tenant_context

    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None:
        with tenant_context(tenant):
            Account.objects.all().delete()  # with their contacts, actions, timeline and QBRs
            tenant.delete()


def _measure(name: str, path: str, headers: dict[str, str]) -> Result:
    """``REQUESTS`` GETs one after another on one connection, after 20 to warm up (as bench.run does)."""
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    latencies: list[float] = []
    errors = 0
    for n in range(20 + REQUESTS):
        start = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200 or b"Internal" in body:
                errors += 1
        except OSError:
            errors += 1
            conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        if n >= 20:
            latencies.append(time.perf_counter() - start)
    return summarise(name, latencies, errors, sum(latencies), (BARE,))


def run() -> list[Result]:
    cookie = login()
    results = []
    for name, params, extra in QUERIES:
        results.append(_measure(name, f"/t/{SLUG}/search/?{urlencode(params)}", {"Cookie": cookie, **extra}))
    for r in results:
        print(f"search bench: {r.name}: p50 {r.p50_ms} ms, p95 {r.p95_ms} ms (goal: p95 well under 100 ms)")
    return results


prepare()
CLEANUP.append(_drop)
HTTP_CUSTOM.append(run)
