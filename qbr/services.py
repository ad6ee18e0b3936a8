"""Keeping the QBR cadence: the scheduler that makes sure each account's QBRs exist, and the reminders.

Both are "make it so" operations, safe to run twice at the same time, late,
or after missed ticks: one QBR per account and period and one milestone per
QBR and kind are database constraints, and each reminder email has an
idempotency key in the outbox.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.events import timeline_event, timeline_event_contact_set
from accounts.models import ActionItem, Contact
from accounts.services import action_item_add
from qbr import calc
from qbr.calc import CadencePeriod, date_warnings, milestone_dues, period_of, target_date
from qbr.calendar import ics, participant_emails
from qbr.models import (
    ACTION_SOURCE,
    MINUTES,
    PACK,
    AgendaComment,
    AgendaItem,
    AgendaTemplate,
    AgendaTemplateItem,
    Cadence,
    Interval,
    Milestone,
    Participant,
    Preparation,
    PreparationRow,
    Qbr,
    QbrSettings,
    is_team_copy,
    sent_key,
)
from qbr.selectors import eligible_accounts, preparation_facts
from sam.documents.services import document_request
from sam.icalendar import is_zone, zone_of
from sam.models import Membership
from sam.numbers import whole
from sam.outbox import email_enqueue
from sam.permissions import require_member
from sam.services import audit_record, move_in_list, text_value
from sam.tenancy.context import current_tenant
from sam.tenancy.urls import tenant_reverse
from scorecards.reports import JOINT_KIND
from scorecards.services import period_for, scorecard_for

# Events on the account's timeline (registered in QbrConfig.ready).
EVENT_HELD, EVENT_MINUTES = "qbr.held", "qbr.minutes_sent"


def held_key(qbr: Qbr) -> str:
    return f"qbr-held:{qbr.pk}"


def milestones_ensure(qbr: Qbr, program: QbrSettings) -> int:
    """Every milestone of the timeline exists for this QBR (made once; a concurrent run makes nothing twice)."""
    existing = set(Milestone.objects.filter(qbr=qbr).values_list("kind", flat=True))
    missing = [
        Milestone(qbr=qbr, kind=kind, due=due)
        for kind, due in milestone_dues(qbr, program).items()
        if kind not in existing
    ]
    if missing:
        Milestone.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def milestones_reschedule(qbr: Qbr) -> None:
    """Move the milestones that are not done yet to follow the QBR's date (after it is set or moved)."""
    dues = milestone_dues(qbr, QbrSettings.current())
    for milestone in Milestone.objects.filter(qbr=qbr, done_at__isnull=True):
        if milestone.due != dues[milestone.kind]:
            milestone.due = dues[milestone.kind]
            milestone.reminded_at = None  # a new date deserves its own reminder
            milestone.save(update_fields=["due", "reminded_at"])


def qbr_ensure(
    account: Any, period: CadencePeriod, program: QbrSettings, *, today: date | None = None
) -> tuple[Qbr, bool]:
    """The account's QBR for a period, with its milestones (made once, however many run this at once)."""
    existing = Qbr.objects.filter(account=account, period_start=period.start).first()
    created = False
    if existing is None:
        made_at = timezone.now()
        if today is not None and today != timezone.localdate():  # a scheduler run for another day
            made_at = timezone.make_aware(datetime.combine(today, time(6, 0)))
        try:
            with transaction.atomic():
                existing = Qbr.objects.create(
                    account=account,
                    period_label=period.label,
                    period_start=period.start,
                    period_end=period.end,
                    created_at=made_at,
                )
                created = True
        except IntegrityError:  # another run made it first
            existing = Qbr.objects.get(account=account, period_start=period.start)
    if existing.open:
        milestones_ensure(existing, program)
    return existing, created


def qbrs_schedule(today: date | None = None) -> int:
    """Make sure each eligible account has its QBR for the current period and the next one (and the previous
    one, when the account has older QBRs: a whole period of missed ticks still leaves its record).

    Returns how many QBRs were made; what exists is left as it is.
    """
    today = today or timezone.localdate()
    program = QbrSettings.current()
    made = 0
    paused = dict(Cadence.objects.filter(paused_until__isnull=False).values_list("account_id", "paused_until"))
    for account, months in eligible_accounts(today):
        current = period_of(today, months)
        following = period_of(current.end + timedelta(days=1), months)
        previous = period_of(current.start - timedelta(days=1), months)
        periods = [current, following]
        paused_until = paused.get(account.pk)
        was_paused = paused_until is not None and paused_until >= previous.start
        if not was_paused and Qbr.objects.filter(account=account, period_start__lt=previous.start).exists():
            periods.insert(0, previous)  # ticks were missed for a whole period: it still gets its (overdue) QBR
        for period in periods:
            _, created = qbr_ensure(account, period, program, today=today)
            made += created
    return made


def _qbr_path(qbr: Qbr) -> str:
    tenant = current_tenant()
    return tenant_reverse("qbr_detail", qbr.pk, tenant=tenant) if tenant is not None else ""


def reminders_send(today: date | None = None) -> int:
    """One email to the account owner for each milestone that has fallen due and is not done: for QBRs still
    planned within their period, and for the minutes of a held QBR (for two weeks). Accounts paused, not
    strategic or inactive get none. The outbox key makes a second send (a redelivered task) a no-op.

    Milestones already past when their QBR was made (a program just started) are shown as late, not mailed;
    QBRs whose period is over show as overdue in the list instead of mailing about a meeting that never was.

    A reminder about a QBR whose preparation is incomplete while its pre-read is near says so; and in the days
    just before the pre-read is due, such a QBR gets one reminder of its own (``preparation_reminders_send``).
    """

    today = today or timezone.localdate()
    sent = 0

    planning = Q(qbr__status__in=[Qbr.Status.PLANNED, Qbr.Status.AGENDA_AGREED], qbr__period_end__gte=today) & ~Q(
        kind=Milestone.Kind.MINUTES
    )  # minutes are due after a meeting that took place: held QBRs only
    minutes = Q(kind=Milestone.Kind.MINUTES, qbr__status=Qbr.Status.HELD, due__gte=today - timedelta(days=14))
    eligible = {account.pk for account, _ in eligible_accounts(today)}
    due = list(
        Milestone.objects.filter(due__lte=today, done_at__isnull=True, reminded_at__isnull=True)
        .filter(planning | minutes)
        .filter(qbr__account__in=eligible, due__gte=TruncDate("qbr__created_at"))
        .select_related("qbr", "qbr__account", "qbr__account__owner")
        .order_by("due", "pk")
    )
    unprepared = _preparation_warnings({m.qbr for m in due}, today)
    for milestone in due:
        owner = milestone.qbr.account.owner
        if owner is not None and owner.email:
            qbr = milestone.qbr
            warning = unprepared.get(qbr.pk)
            _, created = email_enqueue(
                key=f"qbr-milestone:{milestone.pk}:{milestone.due.isoformat()}",
                to=[owner.email],
                subject=f"QBR {qbr.period_label} with {qbr.account.name}: {milestone.get_kind_display().lower()}",
                text=(
                    f"{milestone.get_kind_display()} was due on {milestone.due:%d %b %Y} for the "
                    f"{qbr.period_label} QBR with {qbr.account.name}, and is not done yet.\n\n"
                    + (f"{warning}\n\n" if warning else "")
                    + f"{django_settings.SITE_URL}{_qbr_path(qbr)}\n"
                ),
            )
            sent += created
        Milestone.objects.filter(pk=milestone.pk).update(reminded_at=timezone.now())
    return sent + preparation_reminders_send(today, eligible=eligible)


def _preparation_warnings(qbrs: set[Qbr], today: date) -> dict[int, str]:
    """QBR id -> the warning about its incomplete preparation, for those of ``qbrs`` that deserve one (2 queries)."""

    ids = [q.pk for q in qbrs]
    complete = set(Preparation.objects.filter(qbr__in=ids, completed_at__isnull=False).values_list("qbr_id", flat=True))
    prereads = dict(Milestone.objects.filter(qbr__in=ids, kind=Milestone.Kind.PREREAD).values_list("qbr_id", "due"))
    warnings = {
        q.pk: calc.preparation_warning(
            complete=q.pk in complete, open=q.open, preread_due=prereads.get(q.pk), today=today
        )
        for q in qbrs
    }
    return {pk: text for pk, text in warnings.items() if text}


def preparation_reminders_send(today: date | None = None, *, eligible: set[int] | None = None) -> int:
    """In the days just before a planned QBR's pre-read is due, one email to the account owner when its
    preparation is not complete (once per pre-read date: the outbox key). Once the pre-read has fallen due, its
    own milestone reminder carries the warning instead."""

    today = today or timezone.localdate()
    if eligible is None:
        eligible = {account.pk for account, _ in eligible_accounts(today)}
    near = (
        Milestone.objects.filter(
            kind=Milestone.Kind.PREREAD,
            due__gt=today,
            due__lte=today + timedelta(days=calc.PREPARATION_WARNING_DAYS),
            qbr__status__in=[Qbr.Status.PLANNED, Qbr.Status.AGENDA_AGREED],
            qbr__account__in=eligible,
        )
        .exclude(qbr__preparations__completed_at__isnull=False)
        .select_related("qbr", "qbr__account", "qbr__account__owner")
        .order_by("due", "pk")
    )
    sent = 0
    for milestone in near:
        qbr, owner = milestone.qbr, milestone.qbr.account.owner
        if owner is None or not owner.email:
            continue
        warning = calc.preparation_warning(complete=False, open=True, preread_due=milestone.due, today=today)
        _, created = email_enqueue(
            key=f"qbr-preparation:{qbr.pk}:{milestone.due.isoformat()}",
            to=[owner.email],
            subject=f"QBR {qbr.period_label} with {qbr.account.name}: our preparation is not complete",
            text=(
                f"{warning}\n\nWrite down what we expect {qbr.account.name} to say about the scorecard, the "
                "incidents, the open actions and the survey results, and how we will answer, then mark the "
                f"preparation complete.\n\n{django_settings.SITE_URL}{_qbr_path(qbr)}\n"
            ),
        )
        sent += created
    return sent


# --- the meeting: date, participants, agenda, minutes -------------------------------------------------

DEFAULT_AGENDA = [
    ("Current challenges and company happenings (mergers, relocations, management changes, budgets)", 15),
    ("Accolades from both sides", 5),
    ("Product roadmap and new technology", 15),
    ("Ideas to make doing business easier", 10),
    ("Report card review: plans for the metrics below target", 20),
    ("Other improvement opportunities", 10),
    ("Feature topic or guest speaker", 15),
    ("Review of old and new action items", 15),
]


def agenda_template_default_ensure() -> Any:
    """The tenant's default agenda template with the typical QBR items (made on first use)."""

    template = AgendaTemplate.objects.filter(is_default=True).first()
    if template is not None:
        return template
    with transaction.atomic():
        template = AgendaTemplate.objects.create(name="Quarterly business review", is_default=True)
        AgendaTemplateItem.objects.bulk_create(
            [
                AgendaTemplateItem(template=template, order=n, title=title, minutes=minutes)
                for n, (title, minutes) in enumerate(DEFAULT_AGENDA)
            ]
        )
    return template


def qbr_check_editable(qbr: Qbr) -> None:
    if not qbr.open:
        raise ValidationError(f"This QBR is {qbr.get_status_display().lower()}: it cannot change any more.")


def qbr_schedule_set(
    *, qbr: Qbr, when: Any, tz: str, location: str, confirmed: bool = False, acting_user: Any = None
) -> list[str]:
    """Fix the date, time zone and place. A date outside the period or in the past needs ``confirmed``:
    without it nothing changes and the warnings come back."""

    qbr_check_editable(qbr)
    if not is_zone(tz):
        raise ValidationError({"timezone": "Not a time zone (e.g. Europe/Berlin)."})
    if len(location) > 300:
        raise ValidationError({"location": "At most 300 characters."})
    qbr.timezone = tz
    warnings = date_warnings(qbr, when) if when is not None else []
    if warnings and not confirmed:
        return warnings
    qbr.scheduled_at, qbr.timezone, qbr.location = when, tz, location.strip()
    qbr.save(update_fields=["scheduled_at", "timezone", "location"])
    milestones_reschedule(qbr)
    return []


def milestone_done(*, qbr: Qbr, kind: str, done: bool = True) -> None:
    Milestone.objects.filter(qbr=qbr, kind=kind).update(done_at=timezone.now() if done else None)


def milestone_set(*, qbr: Qbr, milestone: Milestone, done: bool) -> None:
    """Tick a milestone of an open QBR off by hand (or back on)."""
    qbr_check_editable(qbr)
    if milestone.qbr_id != qbr.pk:
        raise ValidationError("Not a milestone of this QBR.")
    milestone_done(qbr=qbr, kind=milestone.kind, done=done)


def participant_add(*, qbr: Qbr, contact_id: int | None = None, user_id: int | None = None) -> Any:
    """Invite a contact of the account or a member of the tenant (nobody else)."""

    qbr_check_editable(qbr)
    if (contact_id is None) == (user_id is None):
        raise ValidationError("Choose one contact or one colleague.")
    if contact_id is not None:
        if not Contact.objects.filter(pk=contact_id, account=qbr.account).exists():
            raise ValidationError({"contact": "Not a contact of this account."})
        found, _ = Participant.objects.get_or_create(qbr=qbr, contact_id=contact_id)
    else:
        if not Membership.objects.filter(user_id=user_id).exists():
            raise ValidationError({"user": "Not a member of this workspace."})
        found, _ = Participant.objects.get_or_create(qbr=qbr, user_id=user_id)
    return found


def agenda_create_from_template(*, qbr: Qbr, template: Any) -> int:
    """Start the agenda from a template (only while it is empty)."""

    qbr_check_editable(qbr)
    if AgendaItem.objects.filter(qbr=qbr).exists():
        raise ValidationError("The agenda has items already.")
    if not template.items.exists():
        raise ValidationError("This template has no items yet.")
    items = [
        AgendaItem(qbr=qbr, order=i.order, title=i.title, minutes=i.minutes, owner=qbr.account.owner)
        for i in template.items.all()
    ]
    AgendaItem.objects.bulk_create(items)
    return len(items)


def _item_fields(data: dict[str, Any]) -> tuple[str, int]:
    """An agenda item's title (1 to 200 characters) and time box (1 to 480 minutes, 10 when left out)."""

    title = str(data.get("title") or "").strip()
    if not title or len(title) > 200:
        raise ValidationError({"title": "A title of 1 to 200 characters."})
    minutes = data.get("minutes")
    minutes = 10 if minutes in (None, "") else minutes
    number = whole(minutes)
    if number is None or not 1 <= number <= 480:
        raise ValidationError({"minutes": "A time box of 1 to 480 minutes."})
    return title, number


def agenda_item_save(*, qbr: Qbr, data: dict[str, Any], item: Any = None) -> Any:
    qbr_check_editable(qbr)
    title, minutes = _item_fields(data)
    owner_id = data.get("owner") or None
    if owner_id is not None and not Membership.objects.filter(user_id=owner_id).exists():
        raise ValidationError({"owner": "Not a member of this workspace."})
    if item is None:
        last = AgendaItem.objects.filter(qbr=qbr).order_by("-order").values_list("order", flat=True).first()
        item = AgendaItem(qbr=qbr, order=(last + 1) if last is not None else 0)
    item.title, item.minutes, item.owner_id = title, minutes, owner_id
    item.save()
    _agenda_changed(qbr)
    return item


def agenda_item_move(*, qbr: Qbr, item: Any, up: bool) -> None:
    """Swap an item with its neighbour (orders renumbered 0..n so the list stays tidy)."""

    qbr_check_editable(qbr)
    move_in_list(AgendaItem.objects.filter(qbr=qbr), item, up=up)
    _agenda_changed(qbr)


def agenda_item_delete(*, qbr: Qbr, item: Any) -> None:
    qbr_check_editable(qbr)
    item.delete()
    _agenda_changed(qbr)


def _agenda_changed(qbr: Qbr) -> None:
    """An agreed agenda that changes goes back to draft: the customer has not seen this one."""
    if qbr.agenda_status == Qbr.AgendaStatus.AGREED:
        qbr.agenda_status, qbr.agenda_agreed_on = Qbr.AgendaStatus.DRAFT, None
        qbr.agenda_agreed_by, qbr.agenda_agreed_at = None, None
        qbr.status = Qbr.Status.PLANNED
        qbr.save(update_fields=["agenda_status", "agenda_agreed_on", "agenda_agreed_by", "agenda_agreed_at", "status"])
        milestone_done(qbr=qbr, kind=Milestone.Kind.AGENDA, done=False)


def agenda_status_set(*, qbr: Qbr, status: str, agreed_on: Any = None) -> None:
    """draft -> proposed to the customer -> agreed (with the day). An empty agenda cannot be agreed."""

    qbr_check_editable(qbr)
    if status not in Qbr.AgendaStatus.values:
        raise ValidationError({"agenda_status": "Unknown agenda status."})
    if status == Qbr.AgendaStatus.AGREED:
        if not AgendaItem.objects.filter(qbr=qbr).exists():
            raise ValidationError("An empty agenda cannot be agreed: add its items first.")
        agreed_on = agreed_on or timezone.localdate()
        if agreed_on > timezone.localdate():
            raise ValidationError({"agreed_on": "The day it was agreed cannot be in the future."})
        qbr.agenda_agreed_on, qbr.status = agreed_on, Qbr.Status.AGENDA_AGREED
        milestone_done(qbr=qbr, kind=Milestone.Kind.AGENDA)
    else:
        qbr.agenda_agreed_on, qbr.status = None, Qbr.Status.PLANNED
        milestone_done(qbr=qbr, kind=Milestone.Kind.AGENDA, done=False)
    qbr.agenda_status = status
    qbr.agenda_agreed_by, qbr.agenda_agreed_at = None, None  # agreed by the team (a contact's agreement sets them)
    qbr.save(update_fields=["agenda_status", "agenda_agreed_on", "agenda_agreed_by", "agenda_agreed_at", "status"])


# --- the customer's part in the agenda (the customer portal) ---------------------------------------------------


def _contact_check(qbr: Qbr, contact: Contact) -> None:
    """A contact speaks only for their own account's open QBRs."""
    if contact.account_id != qbr.account_id:
        raise Qbr.DoesNotExist
    qbr_check_editable(qbr)


@transaction.atomic
def agenda_item_propose(*, qbr: Qbr, contact: Contact, data: dict[str, Any]) -> AgendaItem:
    """A contact adds an item to the agenda (title and time box, as the team's). The agenda then needs agreeing
    again if it was agreed."""
    qbr = Qbr.objects.select_for_update().get(pk=qbr.pk)
    _contact_check(qbr, contact)
    title, minutes = _item_fields({**data, "title": text_value(data.get("title", ""), "title", limit=200)})
    last = AgendaItem.objects.filter(qbr=qbr).order_by("-order").values_list("order", flat=True).first()
    item = AgendaItem.objects.create(
        qbr=qbr,
        order=(last + 1) if last is not None else 0,
        title=title,
        minutes=minutes,
        proposed_by=contact,
        proposed_at=timezone.now(),
    )
    _agenda_changed(qbr)
    return item


def agenda_comment_add(
    *, qbr: Qbr, text: str, contact: Contact | None = None, user: Any = None, item_id: Any = None
) -> AgendaComment:
    """A remark on the agenda or one of its items, by a contact or by the team."""
    if (contact is None) == (user is None):
        raise ValueError("a comment is by a contact or by a member")
    if contact is not None:
        _contact_check(qbr, contact)
    else:
        require_member(user, "account.edit_team_work", qbr.account)
        qbr_check_editable(qbr)
    text = text_value(text, "text", limit=2000, required=True)
    item = None
    if item_id not in (None, ""):
        item = AgendaItem.objects.filter(qbr=qbr, pk=whole(item_id) or 0).first()
        if item is None:
            raise ValidationError({"item": "Not an item of this agenda."})
    return AgendaComment.objects.create(qbr=qbr, item=item, contact=contact, user=user, text=text)


@transaction.atomic
def agenda_agree_by_contact(*, qbr: Qbr, contact: Contact) -> Qbr:
    """The customer agrees the agenda as it stands: who and when are recorded, and the "agenda agreed" milestone
    is done."""
    qbr = Qbr.objects.select_for_update().get(pk=qbr.pk)
    _contact_check(qbr, contact)
    if qbr.agenda_status == Qbr.AgendaStatus.AGREED:
        raise ValidationError("This agenda is agreed already.")
    if qbr.agenda_status != Qbr.AgendaStatus.PROPOSED:
        raise ValidationError(
            "Your account team has not proposed this agenda to you yet: propose the items you want, and agree the "
            "agenda once it is proposed."
        )
    agenda_status_set(qbr=qbr, status=Qbr.AgendaStatus.AGREED)
    qbr.agenda_agreed_by, qbr.agenda_agreed_at = contact, timezone.now()
    qbr.save(update_fields=["agenda_agreed_by", "agenda_agreed_at"])
    return qbr


def minutes_save(*, qbr: Qbr, item: Any, notes: str, decisions: str) -> None:
    if qbr.status == Qbr.Status.CANCELLED:
        raise ValidationError("This QBR was cancelled.")
    if len(notes) > 20000 or len(decisions) > 20000:
        raise ValidationError("At most 20,000 characters each.")
    item.notes, item.decisions = notes.strip(), decisions.strip()
    item.save(update_fields=["notes", "decisions"])


def qbr_action_add(*, qbr: Qbr, title: str, owner: Any, due: Any, acting_user: Any) -> Any:
    """A new item in the account's running register, from this QBR: it carries forward until closed."""

    if qbr.status == Qbr.Status.CANCELLED:
        raise ValidationError("This QBR was cancelled.")
    if len(title) > 300:
        raise ValidationError({"title": "At most 300 characters."})
    item, _ = action_item_add(
        account=qbr.account,
        title=title,
        owner=owner,
        due=due,
        source_kind=ACTION_SOURCE,
        source_id=qbr.pk,
        acting_user=acting_user,
        joint=True,  # agreed in the meeting: the customer sees it
    )
    return item


def qbr_held(*, qbr: Qbr, no_minutes_reason: str = "", acting_user: Any = None) -> None:
    """Mark the QBR held: it needs minutes (notes on an item) or a reason why there are none."""

    qbr_check_editable(qbr)
    if not isinstance(no_minutes_reason, str):
        raise ValidationError({"no_minutes_reason": "Give the reason as text."})
    now = timezone.now()
    if timezone.localdate() < qbr.period_start:
        raise ValidationError(f"The {qbr.period_label} period has not started: this QBR cannot have been held yet.")
    if qbr.scheduled_at is not None and qbr.scheduled_at > now:
        raise ValidationError("The meeting is still to come: mark it held after it took place.")
    has_minutes = AgendaItem.objects.filter(qbr=qbr).exclude(notes="").exists()
    reason = no_minutes_reason.strip()
    if not has_minutes and not reason:
        raise ValidationError("Write the minutes, or say why there are none, before marking the QBR held.")
    if len(reason) > 300:
        raise ValidationError({"no_minutes_reason": "At most 300 characters."})
    held_at = qbr.scheduled_at if qbr.scheduled_at is not None else now
    qbr.status, qbr.held_at, qbr.no_minutes_reason = Qbr.Status.HELD, held_at, reason
    qbr.save(update_fields=["status", "held_at", "no_minutes_reason"])
    minutes_due = timezone.localtime(held_at).date() + timedelta(days=QbrSettings.current().minutes_days_after)
    Milestone.objects.filter(qbr=qbr, kind=Milestone.Kind.MINUTES, done_at__isnull=True).update(
        due=minutes_due, reminded_at=None
    )
    audit_record(actor=acting_user, action="qbr.held", obj=qbr, no_minutes_reason=reason)
    came = Participant.objects.filter(qbr=qbr, contact__isnull=False, attended=True)
    _held_event(qbr, came.values_list("contact_id", flat=True), by=acting_user)


def qbr_cancel(*, qbr: Qbr, reason: str, acting_user: Any = None) -> None:
    qbr_check_editable(qbr)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 300:
        raise ValidationError({"reason": "Say why, in at most 300 characters."})
    qbr.status = Qbr.Status.CANCELLED
    qbr.save(update_fields=["status"])
    audit_record(actor=acting_user, action="qbr.cancelled", obj=qbr, reason=reason.strip())

    cancellation_send(qbr=qbr)


# --- cadence compliance -----------------------------------------------------------------------------


def _untouched(qbr: Qbr) -> bool:
    """Made by the scheduler and never worked on: no date, agenda, participants, documents or actions."""

    return (
        qbr.status == Qbr.Status.PLANNED
        and qbr.scheduled_at is None
        and not qbr.preread_notes
        and qbr.scorecard_snapshot_id is None
        and not AgendaItem.objects.filter(qbr=qbr).exists()
        and not Participant.objects.filter(qbr=qbr).exists()
        and not ActionItem.objects.filter(source_kind=ACTION_SOURCE, source_id=str(qbr.pk)).exists()
        and not Milestone.objects.filter(qbr=qbr, done_at__isnull=False).exists()
    )


def _clear_open(account: Any, keep: Any) -> None:
    """Open QBRs that no longer fit (another cadence, a pause): untouched ones go, worked-on ones are cancelled."""
    for qbr in Qbr.objects.filter(
        account=account, status=Qbr.Status.PLANNED, scheduled_at__isnull=True, period_end__gte=timezone.localdate()
    ):
        if keep(qbr):
            continue
        if _untouched(qbr):
            qbr.delete()
        else:
            qbr.status = Qbr.Status.CANCELLED
            qbr.save(update_fields=["status"])


def cadence_set(*, account: Any, interval_months: Any, paused_until: Any, pause_reason: str, acting_user: Any) -> Any:
    """An account's own cadence: another interval (None: the tenant's), or a pause that needs a reason."""

    if interval_months not in (None, "") and (whole(interval_months) not in Interval.values):
        raise ValidationError({"interval_months": "Choose monthly, quarterly, half-yearly or yearly."})
    reason = (pause_reason or "").strip()
    if paused_until is not None and not reason:
        raise ValidationError({"pause_reason": "A pause needs a reason."})
    if paused_until is not None and paused_until <= timezone.localdate():
        raise ValidationError({"paused_until": "A pause ends in the future."})
    if len(reason) > 300:
        raise ValidationError({"pause_reason": "At most 300 characters."})
    before = Cadence.objects.filter(account=account).values_list("interval_months", flat=True).first()
    cadence, _ = Cadence.objects.update_or_create(
        account=account,
        defaults={
            "interval_months": int(interval_months) if interval_months not in (None, "") else None,
            "paused_until": paused_until,
            "pause_reason": reason if paused_until else "",
        },
    )
    program = QbrSettings.current()
    months = cadence.interval_months or program.interval_months

    def fits(qbr: Qbr) -> bool:
        period = period_of(qbr.period_start, months)
        paused = cadence.paused_until is not None and qbr.period_start <= cadence.paused_until
        return period.start == qbr.period_start and period.end == qbr.period_end and not paused

    if before != cadence.interval_months or cadence.paused_until is not None:
        _clear_open(account, keep=fits)
    audit_record(
        actor=acting_user,
        action="qbr.cadence",
        obj=account,
        interval=cadence.interval_months,
        paused_until=paused_until.isoformat() if paused_until else None,
        reason=reason,
    )
    return cadence


def qbr_settings_update(*, data: dict[str, Any], acting_user: Any) -> QbrSettings:
    """The tenant's default cadence and milestone timeline (days before and after the meeting)."""

    program = QbrSettings.current()
    errors = {}
    interval = str(data.get("interval_months", program.interval_months))
    if whole(interval) not in Interval.values:
        errors["interval_months"] = "Choose monthly, quarterly, half-yearly or yearly."
    values = {}
    for field in ("invite_days_before", "agenda_days_before", "preread_days_before", "minutes_days_after"):
        raw = str(data.get(field, getattr(program, field)))
        days = whole(raw)
        if days is None or not 0 <= days <= 180:
            errors[field] = "A whole number of days from 0 to 180."
        else:
            values[field] = days
    if not errors and not values["invite_days_before"] >= values["agenda_days_before"] >= values["preread_days_before"]:
        errors["agenda_days_before"] = "Invitations come first, then the agenda, then the pre-read."
    if errors:
        raise ValidationError(errors)
    program.interval_months = int(interval)
    for field, value in values.items():
        setattr(program, field, value)
    program.save()
    for qbr in Qbr.objects.filter(status__in=[Qbr.Status.PLANNED, Qbr.Status.AGENDA_AGREED]):
        milestones_reschedule(qbr)
    audit_record(actor=acting_user, action="qbr.settings_update", obj=program, interval_months=program.interval_months)
    return program


# --- agenda templates (tenant admins) -----------------------------------------------------------------


def agenda_template_create(*, name: str) -> Any:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationError({"name": "A name of 1 to 120 characters."})
    if AgendaTemplate.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "A template with this name exists already."})
    return AgendaTemplate.objects.create(name=name)


def agenda_template_item_save(*, template: Any, data: dict[str, Any], item: Any = None) -> Any:
    title, minutes = _item_fields(data)
    if item is None:
        last = template.items.order_by("-order").values_list("order", flat=True).first()
        item = AgendaTemplateItem(template=template, order=(last + 1) if last is not None else 0)
    item.title, item.minutes = title, minutes
    item.save()
    return item


def agenda_template_item_move(*, template: Any, item: Any, up: bool) -> None:
    move_in_list(template.items.all(), item, up=up)


def agenda_template_make_default(*, template: Any) -> None:
    with transaction.atomic():
        AgendaTemplate.objects.filter(is_default=True).exclude(pk=template.pk).update(is_default=False)
        AgendaTemplate.objects.filter(pk=template.pk).update(is_default=True)


def participant_attended_set(*, participant: Participant, attended: bool | None) -> None:
    """Who came (after the meeting): yes, no or not recorded."""
    participant.attended = attended
    participant.save(update_fields=["attended"])
    if participant.contact_id is not None:
        timeline_event_contact_set(
            key=held_key(participant.qbr), contact_id=participant.contact_id, present=attended is True
        )


def participant_remove(*, qbr: Qbr, participant_id: int) -> None:
    """Take someone off the invitation (nothing happens for an id that is not this QBR's)."""
    qbr_check_editable(qbr)
    Participant.objects.filter(qbr=qbr, pk=participant_id).delete()


def preread_notes_set(*, qbr: Qbr, notes: str) -> None:
    if not isinstance(notes, str) or len(notes) > 20000:
        raise ValidationError({"preread_notes": "At most 20,000 characters."})
    qbr_check_editable(qbr)
    qbr.preread_notes = notes.strip()
    qbr.save(update_fields=["preread_notes"])


def agenda_template_item_delete(*, template: Any, item: Any) -> None:
    if item is None or item.template_id != template.pk:
        raise ValidationError("No such item in this template.")
    item.delete()


# --- invitations and documents to the participants -----------------------------------------------------


def document_send(*, qbr: Qbr, document: Any) -> bool:
    """Email a ready version to the participants, once per version (the outbox key)."""

    if document.status != "ready" or document.subject_id != qbr.pk or document.kind not in (PACK, MINUTES):
        raise ValidationError("Only a ready version of this QBR's pack or minutes can be sent.")
    if document.kind == PACK and is_team_copy(document.params):
        raise ValidationError("This copy holds our preparation and stays with the team: send the participants' pack.")
    to = participant_emails(qbr)
    if not to:
        raise ValidationError("Nobody invited has an email address.")
    what = "pack" if document.kind == PACK else "minutes"
    _, created = email_enqueue(
        key=sent_key(document),
        to=to,
        subject=f"{qbr.account.name}: QBR {qbr.period_label} {what}",
        text=f"Please find the {what} of our {qbr.period_label} business review attached.\n",
        attachments=[{"document": document.pk}],
    )
    if created and document.kind == PACK:
        milestone_done(qbr=qbr, kind=Milestone.Kind.PREREAD)
        qbr.preread_sent, qbr.snapshot_sent = document, qbr.scorecard_snapshot  # the snapshot goes with it
        qbr.save(update_fields=["preread_sent", "snapshot_sent"])
    if created and document.kind == MINUTES:
        milestone_done(qbr=qbr, kind=Milestone.Kind.MINUTES)
        qbr.minutes_sent = document
        qbr.save(update_fields=["minutes_sent"])
        timeline_event(
            account=qbr.account_id,
            event=EVENT_MINUTES,
            summary=f"Minutes of the QBR {qbr.period_label} sent to {len(to)} participant{'s' if len(to) != 1 else ''}",
            key=f"qbr-minutes:{qbr.pk}",
            source_id=qbr.pk,
        )
    return created


def invitation_send(*, qbr: Qbr) -> bool:
    """The invitation with its .ics to every participant, once per date (a new date sends a new one)."""

    to = participant_emails(qbr)
    if not to:
        raise ValidationError("Invite people first: nobody has an email address yet.")
    calendar = ics(qbr)
    local = timezone.localtime(qbr.scheduled_at, zone_of(qbr.timezone))

    qbr_check_editable(qbr)
    # Once per date, place and list of people: someone invited later gets the next one.
    stamp = hashlib.sha256(f"{qbr.scheduled_at.isoformat()}|{qbr.location}|{','.join(to)}".encode()).hexdigest()  # type: ignore[union-attr]
    _, created = email_enqueue(
        key=f"qbr-invite:{qbr.pk}:{stamp[:32]}",
        to=to,
        subject=f"Business review {qbr.period_label}: {qbr.account.name}, {local:%d %b %Y %H:%M} ({qbr.timezone})",
        text=f"You are invited to our {qbr.period_label} business review on {local:%A %d %B %Y, %H:%M} "
        f"({qbr.timezone}){', ' + qbr.location if qbr.location else ''}.\n",
        attachments=[{"filename": "invite.ics", "content_type": "text/calendar; method=REQUEST", "content": calendar}],
    )
    milestone_done(qbr=qbr, kind=Milestone.Kind.INVITE)
    return created


def snapshot_attach(*, qbr: Qbr, acting_user: Any) -> Any:
    """A PDF version of the period's joint scorecard, kept on the QBR as it stood (the snapshot)."""

    period = period_for(target_date(qbr))
    card = scorecard_for(account=qbr.account, period=period)
    document, _ = document_request(kind=JOINT_KIND, subject=card, params={}, acting_user=acting_user)
    qbr.scorecard_snapshot = document
    qbr.save(update_fields=["scorecard_snapshot"])
    return document


def cancellation_send(*, qbr: Qbr) -> bool:
    """When a QBR with a date is cancelled, the participants' calendars hear of it (METHOD:CANCEL)."""
    to = participant_emails(qbr)
    if qbr.scheduled_at is None or not to:
        return False
    _, created = email_enqueue(
        key=f"qbr-cancel:{qbr.pk}",
        to=to,
        subject=f"Cancelled: business review {qbr.period_label}, {qbr.account.name}",
        text=f"Our {qbr.period_label} business review is cancelled. We will propose a new date.\n",
        attachments=[{"filename": "cancel.ics", "content_type": "text/calendar; method=CANCEL", "content": ics(qbr)}],
    )
    return created


# --- the preparation checklist ----------------------------------------------------------------------------


def _preparation_text(value: Any, field: str) -> str:
    """One text of the checklist: a string without NUL characters, of at most PREPARATION_TEXT_MAX characters."""

    return text_value(value, field, limit=calc.PREPARATION_TEXT_MAX)


def _preparation_locked(qbr: Qbr) -> Preparation:
    """The QBR's preparation with a row per topic (made once, however many ask at once), locked for a change."""

    Preparation.objects.bulk_create([Preparation(qbr=qbr)], ignore_conflicts=True)
    preparation = Preparation.objects.select_for_update().get(qbr=qbr)
    have = set(PreparationRow.objects.filter(preparation=preparation).values_list("topic", flat=True))
    PreparationRow.objects.bulk_create(
        [PreparationRow(preparation=preparation, topic=t) for t in PreparationRow.Topic.values if t not in have],
        ignore_conflicts=True,
    )
    return preparation


def preparation_save(*, qbr: Qbr, rows: dict[str, dict[str, Any]], acting_user: Any) -> Preparation:
    """Write down, per topic, what we expect the customer to say and how we will answer (``rows``: topic ->
    {"expected", "answer"}; a key left out stays as it is, topics left out too). Refused once complete."""

    qbr_check_editable(qbr)
    if not isinstance(rows, dict) or not rows:
        raise ValidationError({"rows": "Give at least one topic."})
    changes: dict[str, dict[str, str]] = {}
    for topic, values in rows.items():
        if topic not in PreparationRow.Topic.values:
            raise ValidationError({"rows": f"Unknown topic: {str(topic)[:40]!r}."})
        if not isinstance(values, dict):
            raise ValidationError({"rows": f"Give the {topic} topic's expectation and answer by name."})
        changes[topic] = {
            field: _preparation_text(values[field], f"{topic}_{field}")
            for field in ("expected", "answer")
            if field in values
        }
    with transaction.atomic():
        preparation = _preparation_locked(qbr)
        if preparation.complete:
            raise ValidationError("Our preparation is complete: reopen it to change it.")
        for row in PreparationRow.objects.filter(preparation=preparation, topic__in=list(changes)):
            fields = changes[row.topic]
            if any(getattr(row, f) != v for f, v in fields.items()):
                for f, v in fields.items():
                    setattr(row, f, v)
                row.save(update_fields=list(fields))
        preparation.updated_by = acting_user
        preparation.save(update_fields=["updated_by", "updated_at"])
    return preparation


def preparation_complete(*, qbr: Qbr, acting_user: Any) -> Preparation:
    """Mark the preparation complete: every topic needs what we expect the customer to say. Our facts are kept as
    they stand now; completing after the pre-read was due is allowed and remembered as late."""

    qbr_check_editable(qbr)
    with transaction.atomic():
        preparation = _preparation_locked(qbr)
        if preparation.complete:
            raise ValidationError("Our preparation is complete already.")
        rows = list(PreparationRow.objects.filter(preparation=preparation))
        missing = {row.topic for row in rows if not row.expected}
        if missing:
            raise ValidationError(
                {
                    f"{topic}_expected": f"{label}: write what we expect the customer to say before completing."
                    for topic, label in PreparationRow.Topic.choices
                    if topic in missing
                }
            )
        facts = preparation_facts(qbr)
        for row in rows:
            row.facts = facts[row.topic]
            row.save(update_fields=["facts"])
        preread_due = (
            Milestone.objects.filter(qbr=qbr, kind=Milestone.Kind.PREREAD).values_list("due", flat=True).first()
        )
        preparation.completed_at = timezone.now()
        preparation.completed_by = acting_user
        preparation.completed_late = calc.completed_late(preread_due=preread_due, completed_on=timezone.localdate())
        preparation.updated_by = acting_user
        preparation.save(update_fields=["completed_at", "completed_by", "completed_late", "updated_by", "updated_at"])
        audit_record(actor=acting_user, action="qbr.preparation_complete", obj=qbr, late=preparation.completed_late)
    return preparation


def preparation_reopen(*, qbr: Qbr, acting_user: Any) -> Preparation:
    """Open a completed preparation again: its facts follow the data again until it is completed anew."""

    qbr_check_editable(qbr)
    with transaction.atomic():
        preparation = Preparation.objects.select_for_update().filter(qbr=qbr).first()
        if preparation is None or not preparation.complete:
            raise ValidationError("Our preparation is not complete.")
        preparation.completed_at, preparation.completed_by, preparation.completed_late = None, None, False
        preparation.updated_by = acting_user
        preparation.save(update_fields=["completed_at", "completed_by", "completed_late", "updated_by", "updated_at"])
        PreparationRow.objects.filter(preparation=preparation).update(facts={})
        audit_record(actor=acting_user, action="qbr.preparation_reopen", obj=qbr)
    return preparation


def _held_event(qbr: Qbr, contact_ids: Any, *, by: Any = None) -> bool:
    """The QBR held, on its account's timeline with who attended (once); whether it was recorded now."""
    reason = qbr.no_minutes_reason
    return bool(
        timeline_event(
            account=qbr.account_id,
            event=EVENT_HELD,
            summary=f"QBR {qbr.period_label} held" + (f" (no minutes: {reason})" if reason else ""),
            key=held_key(qbr),
            at=qbr.held_at,
            source_id=qbr.pk,
            contacts=contact_ids,
            by=by,
            touch=True,
        )
    )


def timeline_backfill() -> int:
    """The QBRs held and the minutes sent before the timeline existed, on their accounts' timelines (once each)."""
    made = 0
    came: dict[int, list[int]] = {}
    for qbr_id, contact_id in Participant.objects.filter(
        qbr__status=Qbr.Status.HELD, contact__isnull=False, attended=True
    ).values_list("qbr_id", "contact_id"):
        came.setdefault(qbr_id, []).append(contact_id)
    for qbr in Qbr.objects.filter(status=Qbr.Status.HELD, held_at__isnull=False).select_related("minutes_sent"):
        made += _held_event(qbr, came.get(qbr.pk, []))
        if qbr.minutes_sent is not None:
            made += bool(
                timeline_event(
                    account=qbr.account_id,
                    event=EVENT_MINUTES,
                    summary=f"Minutes of the QBR {qbr.period_label} sent to the participants",
                    key=f"qbr-minutes:{qbr.pk}",
                    at=qbr.minutes_sent.finished_at or qbr.minutes_sent.requested_at,
                    source_id=qbr.pk,
                )
            )
    return made
