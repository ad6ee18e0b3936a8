"""Demo QBRs: a year of history per strategic account, most held with minutes, a few slipped."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import ActionItem, Contact
from qbr import calc, selectors, services
from qbr.models import AgendaItem, Participant, Qbr, QbrSettings
from sam.models import Tenant

# accounts whose QBRs slip: the last two quarters were not held
SLIPPING = {"Umbrella Health", "Cyberdyne Systems"}


def seed_qbrs(tenant: Tenant) -> None:
    if Qbr.objects.exists():
        return
    rng = random.Random(f"qbr-{tenant.slug}")
    program = QbrSettings.current()
    template = services.agenda_template_default_ensure()
    today = timezone.localdate()
    current = calc.period_of(today, 3)
    periods: list[Any] = []
    day = current.start - timedelta(days=1)
    for _ in range(4):
        period = calc.period_of(day, 3)
        periods.insert(0, period)
        day = period.start - timedelta(days=1)
    for account, months in selectors.eligible_accounts(today):
        if months != 3:
            continue
        contacts = list(Contact.objects.filter(account=account).order_by("-influence")[:3])
        for index, period in enumerate(periods):
            qbr, _ = services.qbr_ensure(account, period, program, today=period.start)
            slipped = account.name in SLIPPING and index >= 2
            if slipped:
                if index == 2:
                    qbr.status = Qbr.Status.CANCELLED
                    qbr.save(update_fields=["status"])
                continue  # the last one just never happened: it shows as overdue
            held_on = period.start + timedelta(days=rng.randint(30, 70))
            qbr.scheduled_at = timezone.make_aware(datetime.combine(held_on, time(14, 0)))
            qbr.location = "Customer HQ" if index % 2 else "Video call"
            qbr.save(update_fields=["scheduled_at", "location"])
            services.milestones_reschedule(qbr)
            services.agenda_create_from_template(qbr=qbr, template=template)
            for contact in contacts:
                Participant.objects.get_or_create(qbr=qbr, contact=contact)
            if account.owner_id:
                Participant.objects.get_or_create(qbr=qbr, user_id=account.owner_id)
            qbr.agenda_status, qbr.agenda_agreed_on = Qbr.AgendaStatus.AGREED, held_on - timedelta(days=15)
            first = AgendaItem.objects.filter(qbr=qbr).first()
            if first is not None:
                first.notes = f"{account.name}: budgets for {period.label} confirmed; one reorganisation announced."
                first.decisions = "Keep the monthly service review."
                first.save(update_fields=["notes", "decisions"])
            action = services.qbr_action_add(
                qbr=qbr,
                title=f"Follow up on the {period.label} review",
                owner=account.owner,
                due=held_on + timedelta(days=30),
                acting_user=None,
            )
            if index < 3 or rng.random() < 0.5:  # older ones were closed; the latest may still be open
                ActionItem.objects.filter(pk=action.pk).update(
                    status=ActionItem.Status.DONE,
                    closed_at=timezone.make_aware(datetime.combine(held_on + timedelta(days=20), time(12, 0))),
                )
            qbr.status, qbr.held_at = Qbr.Status.HELD, qbr.scheduled_at
            qbr.save(update_fields=["agenda_status", "agenda_agreed_on", "status", "held_at"])
            # Who came: most invited contacts (the timeline counts them as met); the seeder's draws stay as they were.
            Participant.objects.filter(qbr=qbr, contact__isnull=False).update(attended=True)
            Participant.objects.filter(qbr=qbr, contact__isnull=False, contact__influence__lte=2).update(attended=False)
            qbr.milestones.update(done_at=qbr.scheduled_at)
    for account, months in selectors.eligible_accounts(today):  # this quarter's, made when it began
        services.qbr_ensure(account, calc.period_of(today, months), program, today=current.start)
    services.qbrs_schedule(today)  # and the next one's
    for qbr in Qbr.objects.filter(period_start=current.start).select_related("account"):
        if qbr.account.name in SLIPPING or rng.random() < 0.3:
            continue  # not planned yet: the reminders and the overdue list say so
        day = min(current.end, today + timedelta(days=rng.randint(5, 25)))
        qbr.scheduled_at = timezone.make_aware(datetime.combine(day, time(10, 0)))
        qbr.location = "Video call"
        qbr.save(update_fields=["scheduled_at", "location"])
        services.milestones_reschedule(qbr)
        services.milestone_done(qbr=qbr, kind="invite")
        if rng.random() < 0.5:
            services.agenda_create_from_template(qbr=qbr, template=template)
    _seed_preparations(current.start)


# What an account manager writes down before a QBR, per topic: what the customer will say, and our answer.
PREPARED = {
    "scorecard": (
        "They will ask why delivery slipped below target this quarter.",
        "Show the recovery plan and the weeks already back on target.",
    ),
    "incidents": (
        "Their operations lead will bring up the outage and ask for a root cause.",
        "Walk through the root cause analysis and the monitoring we added.",
    ),
    "actions": (
        "They will want the overdue items closed before anything new is agreed.",
        "Agree new dates for any item still overdue, in the meeting.",
    ),
    "surveys": (
        "The survey comments about slow answers from support will come up.",
        "Present the new support rota and ask them to judge it next quarter.",
    ),
}


def _seed_preparations(period_start: Any) -> None:
    """This quarter's QBR whose meeting is furthest off is prepared and complete; the one nearest (else the next
    open QBR) is prepared half-way, and its warning shows on the page when its pre-read is near."""

    candidates = list(
        Qbr.objects.filter(period_start__gte=period_start, status=Qbr.Status.PLANNED).select_related("account__owner")
    )
    dated = sorted(
        (q for q in candidates if q.period_start == period_start and q.scheduled_at is not None),
        key=lambda q: (q.scheduled_at, q.account.name),
    )
    others = sorted(candidates, key=lambda q: (q.period_start, q.account.name))
    if not others:
        return
    done = dated[-1] if dated else others[0]
    services.preparation_save(
        qbr=done,
        rows={topic: {"expected": expected, "answer": answer} for topic, (expected, answer) in PREPARED.items()},
        acting_user=done.account.owner,
    )
    services.preparation_complete(qbr=done, acting_user=done.account.owner)
    partly = next((q for q in [*dated, *others] if q.pk != done.pk), None)
    if partly is not None:
        services.preparation_save(
            qbr=partly,
            rows={topic: {"expected": PREPARED[topic][0]} for topic in ("scorecard", "incidents")},
            acting_user=partly.account.owner,
        )
