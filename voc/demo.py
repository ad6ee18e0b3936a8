"""Demo surveys: two past relationship campaigns, answered the way each account is doing."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Account
from sam.models import Tenant
from voc import services
from voc.models import Campaign, Invitation, Response
from voc.scoring import DETRACTOR, nps_category

# The accounts the scorecard demo turns red answer worse, and worse the second time.
UNHAPPY = {"Umbrella Health", "Wayne Retail Group", "Cyberdyne Systems"}


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
    for index, (name, days_ago) in enumerate((("Spring relationship survey", 200), ("Autumn relationship survey", 60))):
        sent = timezone.make_aware(datetime.combine(now.date() - timedelta(days=days_ago), time(9, 0)))
        campaign = Campaign.objects.create(
            name=name, version=version, status=Campaign.Status.CLOSED, send_at=sent, sent_at=sent,
            closes_at=sent + timedelta(days=21), closed_at=sent + timedelta(days=21), reminder_after_days=7,
            reminder_max=1, audience={"tiers": [], "buyer_roles": [], "accounts": []}, created_at=sent,
        )  # fmt: skip
        for account in Account.objects.alive().order_by("name"):
            mood = (0.35 - 0.15 * index) if account.name in UNHAPPY else rng.uniform(0.55, 0.9)
            for contact in account.contacts.exclude(email="").filter(opted_out=False).order_by("name"):
                salt, digest = services.token_salt_new(tenant.pk)
                invitation = Invitation.objects.create(
                    campaign=campaign, contact=contact, token_salt=salt, token_hash=digest,
                    status=Invitation.Status.SENT, sent_at=sent,
                )  # fmt: skip
                if rng.random() > 0.75:  # about a quarter never answer
                    continue
                _answer(invitation, questions, mood + rng.uniform(-0.2, 0.2), sent, rng, latest=index == 1)


def _answer(invitation: Invitation, questions: list, mood: float, sent: datetime, rng: random.Random, *,
            latest: bool) -> None:  # fmt: skip
    mood = max(0.0, min(1.0, mood))
    nps = round(mood * 10)
    attitude = Decimal(max(1, min(5, round(1 + mood * 4 + rng.uniform(-0.5, 0.5)))))
    intent = Decimal(max(1, min(5, round(1 + (mood + 0.15) * 4 + rng.uniform(-0.7, 0.5)))))
    comment = rng.choice(COMMENTS[nps_category(nps)])
    answers = {}
    for q in questions:
        answers[str(q.pk)] = {"nps": nps, "attitude": int(attitude), "intent": int(intent)}.get(q.role, comment)
    submitted = sent + timedelta(days=rng.randint(0, 12), hours=rng.randint(1, 8))
    response = Response.objects.create(invitation=invitation, answers=answers, nps=nps, attitude=attitude,
                                       intent=intent, comment=comment, submitted_at=submitted)  # fmt: skip
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.COMPLETED, opened_at=submitted,
                                                       completed_at=submitted)  # fmt: skip
    if latest and nps_category(nps) == DETRACTOR:
        services.detractor_follow_up(response, notify=False)


COMMENTS = {
    "promoter": ["Proactive team; the QBRs are worth our time.", "Delivery has been reliable all year.",
                 "Our account manager knows our business."],
    "passive": ["Good service, but invoices are often wrong.", "Fine overall; escalations take too long.",
                "Solid product, the onboarding of new sites is slow."],
    "detractor": ["Outages keep repeating and nobody owns the fix.", "We hear from you only at renewal time.",
                  "Support tickets bounce between teams for weeks."],
}  # fmt: skip
