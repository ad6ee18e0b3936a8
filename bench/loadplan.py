"""The plan the mixed load runs on: who signs in, which rows they open and edit, which survey links customers
answer. Run in the load's database after ``seed_bench`` (``python bench/loadplan.py OUT.json``).

The bench people get a password (they have none from ``seed_bench``); every run opens a new survey campaign in
the first tenants, with one invitation per contact, and writes the links' tokens to the plan file only (the
database keeps their hashes, as always). Nothing here runs in the product.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sam.settings")

PASSWORD = "load-pass-2026"
SURVEY_TENANTS = int(os.environ.get("LOAD_SURVEY_TENANTS", "20"))
ANSWERS_BY_KIND = {"nps": "8", "rating": "4", "text": "Steady service this quarter."}


def answer(question: Any) -> str:
    """What a satisfied customer answers: the first option of a choice question."""
    if question.kind in ("single", "multiple"):
        return str(question.choices[0]) if question.choices else ""
    return ANSWERS_BY_KIND.get(question.kind, "")


def plan(prefix: str, tenants: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Account, ActionItem, Contact
    from dashboard.benchdata import drop_tenants, seed_tenants, slug_of, vacuum_analyze
    from sam.models import Tenant, User
    from sam.tenancy.context import tenant_context
    from scorecards.models import MetricValue
    from voc import services as voc
    from voc.models import Campaign, Invitation, Question

    # The tenant whose pages are timed (among all, and alone in a database of its own) is made afresh each run
    # and left out of the load, so both timings read the very same rows.
    timed = slug_of(prefix, 0)
    drop_tenants(list(Tenant.objects.filter(slug=timed)))
    seed_tenants(1, prefix=prefix)
    vacuum_analyze()  # statistics that know the new rows (in a database of one tenant, the old ones are all dead)
    people = {
        "manager": f"{prefix}-manager1@bench.example",
        "executive": f"{prefix}-executive@bench.example",
    }
    for email in people.values():
        user = User.objects.get(email=email)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    manager = User.objects.get(email=people["manager"])
    out: dict[str, Any] = {"password": PASSWORD, "people": people, "tenants": {}, "surveys": [], "timed": timed}
    now = timezone.now()
    for index in range(tenants):
        tenant = Tenant.objects.get(slug=slug_of(prefix, index))
        with transaction.atomic(), tenant_context(tenant):
            accounts = list(Account.objects.filter(owner=manager).order_by("pk").values_list("pk", flat=True)[:10])
            actions = list(
                ActionItem.objects.filter(account_id__in=accounts, status="open")
                .order_by("pk")
                .values_list("pk", flat=True)[:20]
            )
            values = [
                {**row, "value": None if row["value"] is None else str(row["value"])}
                for row in MetricValue.objects.filter(
                    scorecard__account_id__in=accounts, scorecard__period__closed=False, metric__source="manual"
                )
                .order_by("pk")
                .values("scorecard_id", "metric_id", "value")[:20]
            ]
            out["tenants"][tenant.slug] = {"accounts": accounts, "actions": actions, "metric_values": values}
            if index == 0 or index > SURVEY_TENANTS:
                continue
            version = voc.survey_defaults_ensure().versions.order_by("-number").first()
            assert version is not None
            campaign = Campaign.objects.create(
                name=f"Load pulse {now:%Y-%m-%d %H:%M:%S}",
                version=version,
                status=Campaign.Status.SENDING,
                send_at=now,
                sent_at=now,
                closes_at=now + timedelta(days=14),
            )
            answers = {str(q.pk): answer(q) for q in Question.objects.filter(version=version)}
            invitations = []
            for contact_id in Contact.objects.filter(account__deleted_at=None).values_list("pk", flat=True):
                salt, digest = voc.token_salt_new(tenant.pk)
                invitations.append(
                    Invitation(
                        campaign=campaign,
                        contact_id=contact_id,
                        token_salt=salt,
                        token_hash=digest,
                        status=Invitation.Status.SENT,
                        sent_at=now,
                    )
                )
            Invitation.objects.bulk_create(invitations)
            out["surveys"] += [{"token": voc.invitation_token(i), "answers": answers} for i in invitations]
    return out


if __name__ == "__main__":
    target, prefix, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    data = plan(prefix, count)
    target.write_text(json.dumps(data))
    print(
        f"plan: {len(data['tenants'])} tenants, {len(data['surveys'])} survey links "
        f"({sum(len(t['actions']) for t in data['tenants'].values())} actions to edit)"
    )
