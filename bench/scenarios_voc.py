"""Surveys: 1,000 customers answering through the public page at once (a few at a time on loopback), against a
bare Django form POST in the same run (the two alternate in rounds of 100). Goal: at least 50% of its
throughput, with zero errors. Detractors' follow-ups are the minute tick's work, not the answer's. Then the
account rollup (NPS, shares, response rate, segments, comments) of an account with 100 answers, in process.

The data lives in a tenant of its own ("bench-voc"), deleted afterwards.
"""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from bench.run import (
    CLEANUP,
    GOAL_RATIO,
    GOAL_THROUGHPUT,
    HOST,
    HTTP_CUSTOM,
    IN_PROCESS,
    PORT,
    Result,
    summarise,
    vacuum,
)

SLUG = "bench-voc"
ANSWERS = 1000
THREADS = 4
ROUNDS = 10
BARE, NAME = "bare form POST", "survey answer POST: checked, taken once"
tokens: list[str] = []


def prepare() -> None:
    from django.utils import timezone

    from accounts.models import Account, Contact, Tier
    from sam.models import Tenant
    from sam.tenancy.context import tenant_context
    from voc import services
    from voc.models import Campaign, Invitation

    _drop()
    tenant = Tenant.objects.create(slug=SLUG, name="Bench surveys")
    with tenant_context(tenant):
        tier = Tier.objects.get(name="Key")
        accounts = Account.objects.bulk_create([Account(name=f"Survey account {n:02}", tier=tier) for n in range(10)])
        contacts = Contact.objects.bulk_create(
            [
                Contact(account=accounts[n % 10], name=f"Customer {n:04}", email=f"customer{n}@example.test")
                for n in range(ANSWERS)
            ]
        )
        version = services.survey_defaults_ensure().versions.get()
        version.in_use = True  # as campaign_create freezes it
        version.save(update_fields=["in_use"])
        now = timezone.now()
        campaign = Campaign.objects.create(
            name="Bench pulse",
            version=version,
            status=Campaign.Status.SENDING,
            send_at=now,
            sent_at=now,
            closes_at=now + timedelta(days=1),
        )
        rows = []
        for contact in contacts:
            salt, digest = services.token_salt_new(tenant.pk)
            rows.append(
                Invitation(
                    campaign=campaign,
                    contact=contact,
                    token_salt=salt,
                    token_hash=digest,
                    status=Invitation.Status.SENT,
                    sent_at=now,
                )
            )
        tokens.extend(services.invitation_token(i) for i in Invitation.objects.bulk_create(rows))
    vacuum(
        "sam_tenant",
        "accounts_account",
        "accounts_contact",
        "voc_campaign",
        "voc_invitation",
        "voc_response",
        "accounts_actionitem",
    )


def _drop() -> None:
    from accounts.models import Account, ActionItem
    from sam.models import Tenant
    from sam.tenancy.context import tenant_context
    from voc.models import Campaign

    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None:
        with tenant_context(tenant):
            ActionItem.objects.all().delete()
            Campaign.objects.all().delete()  # with its invitations and responses
            Account.objects.all().delete()
            tenant.delete()


def _cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, value = header.split(";", 1)[0].split("=", 1)
        jar[name] = value


def _open(token: str) -> dict[str, Any]:
    """The customer clicks the emailed link: a session holds the token, the form carries a CSRF token."""
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    jar: dict[str, str] = {}
    conn.request("GET", f"/s/{token}/")
    response = conn.getresponse()
    response.read()
    _cookies(response, jar)
    conn.request("GET", "/s/", headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    response = conn.getresponse()
    body = response.read().decode()
    _cookies(response, jar)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    names = list(dict.fromkeys(re.findall(r'name="(\d+)"', body)))
    return {"cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "csrf": csrf, "names": names}


def _answers(names: list[str], rng: random.Random) -> dict[str, str]:
    nps, satisfaction, intent, comment = names  # the default survey's four questions, in order
    return {
        nps: str(rng.randint(0, 10)),
        satisfaction: str(rng.randint(1, 5)),
        intent: str(rng.randint(1, 5)),
        comment: "Reliable deliveries; invoices are sometimes late.",
    }


def _post_all(jobs: list[dict[str, Any]], path: str, ok: bytes) -> tuple[list[float], int, float]:
    """POST each job's form from THREADS client threads; the latencies, the failures and the seconds it took."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker(mine_jobs: list[dict[str, Any]]) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        mine: list[float] = []
        bad = 0
        for job in mine_jobs:
            body = urlencode({"csrfmiddlewaretoken": job["csrf"], **job["data"]})
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": job["cookie"]}
            start = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                content = response.read()
                if response.status != 200 or ok not in content:
                    bad += 1
            except OSError:
                bad += 1
                conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker, args=(jobs[n::THREADS],)) for n in range(THREADS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - started


def run() -> list[Result]:
    rng = random.Random(11)
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    conn.request("GET", "/bench/form/")
    response = conn.getresponse()
    page = response.read().decode()
    jar: dict[str, str] = {}
    _cookies(response, jar)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    bare_jobs = [
        {
            "csrf": csrf,
            "cookie": cookie,
            "data": {
                "nps": str(rng.randint(0, 10)),
                "satisfaction": "4",
                "intent": "4",
                "comment": "Reliable deliveries; invoices are sometimes late.",
            },
        }
        for _ in range(ANSWERS)
    ]
    opened: list[dict[str, Any]] = []
    lock = threading.Lock()

    def open_some(part: list[str]) -> None:
        mine = [_open(token) for token in part]
        with lock:
            opened.extend(mine)

    threads = [threading.Thread(target=open_some, args=(tokens[n::THREADS],)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    jobs = [{**job, "data": _answers(job["names"], rng)} for job in opened]
    # The two alternate in rounds, so a slow spell of the machine weighs on both alike.
    totals: dict[str, tuple[list[float], int, float]] = {BARE: ([], 0, 0.0), NAME: ([], 0, 0.0)}
    size = ANSWERS // ROUNDS
    for n in range(ROUNDS):
        for name, path, part in ((BARE, "/bench/form/", bare_jobs), (NAME, "/s/", jobs)):
            latencies, errors, seconds = _post_all(part[n * size : (n + 1) * size], path, b"Thank you")
            before = totals[name]
            totals[name] = (before[0] + latencies, before[1] + errors, before[2] + seconds)
    return [summarise(BARE, *totals[BARE], ()), summarise(NAME, *totals[NAME], (BARE,))]


def _rollup() -> None:
    from accounts.models import Account
    from sam.models import Tenant
    from sam.tenancy.context import tenant_context
    from voc import selectors

    with tenant_context(Tenant.objects.get(slug=SLUG)):
        selectors.account_results(Account.objects.order_by("name").first())


prepare()
CLEANUP.append(_drop)
HTTP_CUSTOM.append(run)
GOAL_THROUGHPUT[NAME] = (BARE, 0.5)
ROLLUP = "survey account rollup, 100 answers (in process)"
IN_PROCESS.append((ROLLUP, _rollup, "bare template, 100 rows (in process)"))
GOAL_RATIO[ROLLUP] = 4.0  # at least 25% of the bare template's speed
