"""Demo surveys: a relationship survey each quarter of the scorecard history, answered the way each account is
doing; the scorecards then take their survey metrics from them. One account's VoC report is made as a PDF, as the
worker makes it, so the demo has one to open. The demo's campaigns closed long ago: their digests count as sent."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Account
from sam.documents.tasks import render_document
from sam.models import Tenant
from scorecards import services as scorecard_services
from scorecards.models import Scorecard
from voc import services
from voc.models import Campaign, Invitation, Response
from voc.scoring import nps_category
from voc.selectors import METRIC_SOURCES

# The accounts the scorecard demo turns red answer worse, and worse each time.
UNHAPPY = {"Umbrella Health", "Wayne Retail Group", "Cyberdyne Systems"}
QUARTERS = 8  # as many as the scorecard demo fills


def seed_surveys(tenant: Tenant) -> None:
    if Campaign.objects.exists():
        return
    rng = random.Random(f"voc-{tenant.slug}")
    template = services.survey_defaults_ensure()
    version = template.versions.order_by("-number").first()
    if version is None:
        return
    version.in_use = True
    version.save(update_fields=["in_use"])
    questions = list(version.questions.all())
    now = timezone.now()
    today = timezone.localdate()
    accounts = list(Account.objects.alive().order_by("name"))
    moods = {account.pk: rng.uniform(0.55, 0.9) for account in accounts}
    sends = []
    for n in range(QUARTERS - 1, -1, -1):  # two weeks into each period, or two days ago in one just begun
        period = scorecard_services.period_for(today - timedelta(days=91 * n))
        day = min(period.start + timedelta(days=14), today - timedelta(days=2))
        if day >= period.start:
            sends.append((period, timezone.make_aware(datetime.combine(day, time(9, 0)))))
    for index, (period, sent) in enumerate(sends):
        latest = index == len(sends) - 1
        closes = min(sent + timedelta(days=21), now)
        campaign = Campaign.objects.create(
            name=f"Relationship survey {period.label}",
            version=version,
            status=Campaign.Status.CLOSED,
            send_at=sent,
            sent_at=sent,
            closes_at=closes,
            closed_at=closes,
            digest_sent_at=closes,
            reminder_after_days=7,
            reminder_max=1,
            audience={"tiers": [], "buyer_roles": [], "accounts": []},
            created_at=sent,
        )
        for account in accounts:
            mood = 0.75 - 0.07 * index if account.name in UNHAPPY else moods[account.pk]
            for contact in account.contacts.exclude(email="").filter(opted_out=False).order_by("name"):
                salt, digest = services.token_salt_new(tenant.pk)
                invitation = Invitation.objects.create(
                    campaign=campaign,
                    contact=contact,
                    token_salt=salt,
                    token_hash=digest,
                    status=Invitation.Status.SENT,
                    sent_at=sent,
                )
                if rng.random() > 0.75:  # about a quarter never answer
                    continue
                _answer(invitation, questions, mood + rng.uniform(-0.2, 0.2), sent, closes, rng, latest=latest)
    _scorecards_take_the_answers()
    _report_example(tenant, accounts)


def _report_example(tenant: Tenant, accounts: list[Account]) -> None:
    """The VoC report of an account whose customers grow less happy (with its detractors' follow-ups), asked for
    through the same service as the button and rendered by the render task itself."""
    account = next((a for a in accounts if a.name in UNHAPPY), accounts[0] if accounts else None)
    if account is None:
        return
    document, created = services.account_report_request(account=account, acting_user=None)
    if created:
        render_document.apply(args=[tenant.pk, document.pk])


def _scorecards_take_the_answers() -> None:
    """The scorecard demo runs first: its open scorecards now fill their survey metrics, and alerts follow."""
    latest: dict[int, Scorecard] = {}
    cards = Scorecard.objects.filter(period__closed=False, account__deleted_at__isnull=True)
    for card in cards.select_related("account", "period", "version").order_by("period__start"):
        scorecard_services.scorecard_fill_computed(card, sources_only=[key for key, _, _ in METRIC_SOURCES])
        scorecard_services.scorecard_compute(card)
        latest[card.account_id] = card


def _answer(
    invitation: Invitation,
    questions: list[Any],
    mood: float,
    sent: datetime,
    closes: datetime,
    rng: random.Random,
    *,
    latest: bool,
) -> None:
    mood = max(0.0, min(1.0, mood))
    nps = round(min(1.0, mood + 0.1) * 10)  # customers doing well promote us
    attitude = Decimal(max(1, min(5, round(1 + mood * 4 + rng.uniform(-0.5, 0.5)))))
    intent = Decimal(max(1, min(5, round(1 + (mood + 0.15) * 4 + rng.uniform(-0.7, 0.5)))))
    comment = rng.choice(COMMENTS[nps_category(nps)])
    answers = {}
    for q in questions:
        answers[str(q.pk)] = {"nps": nps, "attitude": int(attitude), "intent": int(intent)}.get(q.role, comment)
    submitted = min(sent + timedelta(days=rng.randint(0, 12), hours=rng.randint(1, 8)), closes)
    Response.objects.create(
        invitation=invitation,
        answers=answers,
        nps=nps,
        attitude=attitude,
        intent=intent,
        comment=comment,
        submitted_at=submitted,
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.COMPLETED, opened_at=submitted, completed_at=submitted
    )


# A table: one row per line reads better than one field per line.
# fmt: off
COMMENTS = {
    "promoter": ["Proactive team; the QBRs are worth our time.", "Delivery has been reliable all year.",
                 "Our account manager knows our business."],
    "passive": ["Good service, but invoices are often wrong.", "Fine overall; escalations take too long.",
                "Solid product, the onboarding of new sites is slow."],
    "detractor": ["Outages keep repeating and nobody owns the fix.", "We hear from you only at renewal time.",
                  "Support tickets bounce between teams for weeks."],
}
# fmt: on
