"""Change control, the customer's decisions and escalations: the writes.

The failure to design against: a change made casually, approved by nobody who could, and down in the
customer's prime hours. So a change is requested with its risk, window and way back; the account's Technical
Lead (an admin when it has none) approves it; a change that needs the customer's approval gets a decision from
a contact with the authority to give it; the customer hears of the window before it opens; a change made without
approval is on the record as an emergency. Who may do what is decided here, for pages and API alike.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.governance_selectors import (
    ESCALATE_AFTER_DAYS,
    customer_recipients,
    executive_partners,
    prime_hours_touched,
    technical_leads,
)
from accounts.models import (
    Account,
    ChangeRequest,
    Contact,
    Decision,
    Escalation,
    Incident,
    RecurringIssue,
)
from accounts.services import _tenant, member_or_error
from sam.icalendar import Event, zone_of
from sam.models import Membership, User
from sam.outbox import email_enqueue
from sam.permissions import require_member
from sam.roles import Role
from sam.services import audit_record, text_value
from sam.tenancy.urls import tenant_reverse

MAX_WINDOW_DAYS = 14  # a longer window is a project, not a change


require = require_member  # the allow table asked for the acting member (sam.permissions)


def _clean(value: Any, field: str, *, required: bool = False, limit: int = 10_000) -> str:
    return text_value("" if value is None else value, field, limit=limit, required=required)


LINKED = {
    "recurring_issue": "a recurring issue",
    "incident": "an incident",
    "change_request": "a change",
    "decision": "a decision",
}


def _of_account(account: Account, **rows: Any) -> None:
    """Rows linked to a change, decision or escalation belong to its account."""
    for field, row in rows.items():
        if row is not None and row.account_id != account.pk:
            raise ValidationError({field: f"Choose {LINKED[field]} of this account."})


def _due_ahead(due: date | None, *, missing: str) -> date:
    if due is None:
        raise ValidationError({"due": missing})
    if due < timezone.localdate():
        raise ValidationError({"due": "The due date cannot be in the past."})
    return due


def _link(name: str, *args: Any) -> str:
    return settings.SITE_URL + tenant_reverse(name, *args, tenant=_tenant())


# --- change requests --------------------------------------------------------------------------------------------


def _change_fields(account: Account, data: dict[str, Any], *, emergency: bool, now: datetime) -> dict[str, Any]:
    start, end = data.get("window_start"), data.get("window_end")
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise ValidationError({"window_start": "Give the window's start and end."})
    if end <= start:
        raise ValidationError({"window_end": "The window must end after it starts."})
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise ValidationError({"window_end": f"A window of at most {MAX_WINDOW_DAYS} days."})
    if not emergency and start <= now:
        raise ValidationError({"window_start": "A change is requested ahead of its window: pick a time to come."})
    if emergency and start > now:
        raise ValidationError({"window_start": "An emergency change is recorded once it was made."})
    issue, incident = data.get("recurring_issue"), data.get("incident")
    issue = issue if isinstance(issue, RecurringIssue) else None
    incident = incident if isinstance(incident, Incident) else None
    _of_account(account, recurring_issue=issue, incident=incident)
    risk = data.get("risk") or ChangeRequest.Risk.MEDIUM
    if risk not in ChangeRequest.Risk.values:
        raise ValidationError({"risk": "Low, medium or high."})
    return {
        "title": _clean(data.get("title"), "title", required=True, limit=200),
        "detail": _clean(data.get("detail"), "detail"),
        "reason": _clean(data.get("reason"), "reason", required=True),
        "risk": risk,
        "risk_note": _clean(data.get("risk_note"), "risk_note"),
        "rollback": _clean(data.get("rollback"), "rollback", required=True),
        "window_start": start,
        "window_end": end,
        "in_prime_hours": prime_hours_touched(account, start, end),
        "recurring_issue": issue,
        "incident": incident,
        "needs_customer_approval": bool(data.get("needs_customer_approval")),
    }


def change_request_create(
    *, account: Account, data: dict[str, Any], acting_user: User | None, now: datetime | None = None
) -> ChangeRequest:
    """A change asked for ahead of its window; it waits for the Technical Lead's approval."""
    require(acting_user, "change.request", account)
    now = now or timezone.now()
    fields = _change_fields(account, data, emergency=False, now=now)
    change = ChangeRequest.objects.create(account=account, requested_by=acting_user, requested_at=now, **fields)
    for lead in technical_leads(account):
        if lead.email and lead != acting_user:
            email_enqueue(
                key=f"change:{change.pk}:approval:{lead.pk}",
                to=[lead.email],
                subject=f"Change to approve at {account.name}: {change.title}",
                text=render_to_string(
                    "emails/change_approval.txt",
                    {
                        "change": change,
                        "account": account,
                        "lead": lead,
                        "url": _link("change_detail", account.pk, change.pk),
                    },
                ),
            )
    audit_record(actor=acting_user, action="change.request", obj=change, title=change.title)
    return change


def change_request_emergency(
    *, account: Account, data: dict[str, Any], acting_user: User | None, now: datetime | None = None
) -> ChangeRequest:
    """A change made without approval, recorded after the fact: the account owner and the Executive Partner are
    told, and it is listed in the Operations Review of its period."""
    require(acting_user, "change.request", account)
    now = now or timezone.now()
    fields = _change_fields(account, data, emergency=True, now=now)
    change = ChangeRequest.objects.create(
        account=account,
        requested_by=acting_user,
        requested_at=now,
        status=ChangeRequest.Status.DONE,
        emergency=True,
        done_at=fields["window_end"] if fields["window_end"] <= now else now,
        outcome=_clean(data.get("outcome"), "outcome"),
        **fields,
    )
    _emergency_emails(change)
    audit_record(actor=acting_user, action="change.emergency", obj=change, title=change.title)
    return change


def _emergency_emails(change: ChangeRequest) -> None:
    account = change.account
    people = {u.pk: u for u in [account.owner, *executive_partners(account)] if u is not None and u.email}
    for user in people.values():
        email_enqueue(
            key=f"change:{change.pk}:emergency:{user.pk}",
            to=[user.email],
            subject=f"Emergency change at {account.name}: {change.title}",
            text=render_to_string(
                "emails/change_emergency.txt",
                {
                    "change": change,
                    "account": account,
                    "person": user,
                    "url": _link("change_detail", account.pk, change.pk),
                },
            ),
        )


@transaction.atomic
def change_request_decide(
    *, change: ChangeRequest, approve: bool, note: str, acting_user: User | None
) -> ChangeRequest:
    """The Technical Lead (or an admin) approves or rejects a requested change; a rejection says why."""
    locked = ChangeRequest.objects.select_for_update().select_related("account").get(pk=change.pk)
    require(acting_user, "change.approve", locked)
    if locked.status != ChangeRequest.Status.REQUESTED:
        raise ValidationError(
            {"status": f"This change is {locked.get_status_display().lower()}, not awaiting approval."}
        )
    note = _clean(note, "note", required=not approve)
    locked.status = ChangeRequest.Status.APPROVED if approve else ChangeRequest.Status.REJECTED
    locked.decided_by, locked.decided_at, locked.decision_note = acting_user, timezone.now(), note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(actor=acting_user, action="change.approve" if approve else "change.reject", obj=locked)
    if approve:
        customer_notify(change=locked)
    return locked


def _organizer(account: Account) -> tuple[str, str] | None:
    """Who the customer's calendar shows as organising the change: the account's owner."""
    owner = account.owner
    return (owner.display_name, owner.email) if owner and owner.email else None


def customer_approved(change: ChangeRequest) -> bool:
    """No customer approval needed, or a decision linked to the change approved by the customer."""
    return not change.needs_customer_approval or change.decisions.filter(status=Decision.Status.APPROVED).exists()


def customer_notify(*, change: ChangeRequest, now: datetime | None = None) -> bool:
    """Tell the customer of the window with a calendar file, once both approvals are in and before the window
    opens; the same change and window are told once. Returns whether a message went out."""
    now = now or timezone.now()
    if change.status != ChangeRequest.Status.APPROVED or not customer_approved(change) or change.window_start <= now:
        return False
    people = customer_recipients(change)
    if not people:
        return False
    account = change.account
    zone = zone_of(account.time_zone)
    event = Event(
        uid=f"change-{change.pk}",
        start=change.window_start,
        end=change.window_end,
        summary=f"Planned change: {change.title} ({account.name})",
        description=f"{change.reason}\n\nIf it goes wrong: {change.rollback}",
        organizer=_organizer(account),
        attendees=[(c.name, c.email) for c in people],
    )
    _, created = email_enqueue(
        key=f"change:{change.pk}:customer:{change.window_start.isoformat()}",
        to=[c.email for c in people],
        subject=f"Planned change on {change.window_start.astimezone(zone):%d %b %Y %H:%M}: {change.title}",
        text=render_to_string(
            "emails/change_customer.txt",
            {
                "change": change,
                "account": account,
                "start": change.window_start.astimezone(zone),
                "end": change.window_end.astimezone(zone),
                "zone": account.time_zone,
            },
        ),
        attachments=[
            {
                "filename": "change.ics",
                "content_type": "text/calendar; method=REQUEST",
                "content": event.calendar("Change"),
            }
        ],
    )
    if created or change.customer_notified_at is None:
        ChangeRequest.objects.filter(pk=change.pk).update(customer_notified_at=now)
        change.customer_notified_at = now
    return created


@transaction.atomic
def change_request_done(
    *, change: ChangeRequest, outcome: str, acting_user: User | None, emergency: bool = False
) -> ChangeRequest:
    """The change was made. Only an approved one (with the customer's approval when it needs it); otherwise it
    can only be recorded as an emergency change, which tells the account owner and the Executive Partner."""
    locked = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("account", "account__owner")
        .get(pk=change.pk)
    )
    require(acting_user, "change.request", locked.account)
    if locked.status in (ChangeRequest.Status.DONE, ChangeRequest.Status.CANCELLED):
        raise ValidationError({"status": f"This change is {locked.get_status_display().lower()} already."})
    approved = locked.status == ChangeRequest.Status.APPROVED and customer_approved(locked)
    if not approved and not emergency:
        raise ValidationError(
            {"status": "This change is not approved: a change made without approval is recorded as an emergency."}
        )
    outcome = _clean(outcome, "outcome", required=emergency and not approved)
    locked.status, locked.done_at, locked.outcome = ChangeRequest.Status.DONE, timezone.now(), outcome
    locked.emergency = not approved
    locked.save(update_fields=["status", "done_at", "outcome", "emergency"])
    if locked.emergency:
        _emergency_emails(locked)
    audit_record(actor=acting_user, action="change.emergency" if locked.emergency else "change.done", obj=locked)
    return locked


def change_request_cancel(*, change: ChangeRequest, acting_user: User | None) -> ChangeRequest:
    """The change will not be made; a customer already told of its window is told it is off (the calendar
    file takes it out of their calendar)."""
    require(acting_user, "change.request", change.account)
    if change.status not in ChangeRequest.OPEN_STATUSES:
        raise ValidationError({"status": f"This change is {change.get_status_display().lower()} already."})
    ChangeRequest.objects.filter(pk=change.pk).update(status=ChangeRequest.Status.CANCELLED)
    change.status = ChangeRequest.Status.CANCELLED
    audit_record(actor=acting_user, action="change.cancel", obj=change)
    people = customer_recipients(change) if change.customer_notified_at else []
    if people:
        account = change.account
        event = Event(
            uid=f"change-{change.pk}",
            start=change.window_start,
            end=change.window_end,
            summary=f"Planned change: {change.title} ({account.name})",
            organizer=_organizer(account),
            attendees=[(c.name, c.email) for c in people],
            cancelled=True,
        )
        start = change.window_start.astimezone(zone_of(account.time_zone))
        email_enqueue(
            key=f"change:{change.pk}:customer-cancel",
            to=[c.email for c in people],
            subject=f"Called off: the change planned on {start:%d %b %Y %H:%M}: {change.title}",
            text=(
                f"The change we told you of, {change.title}, planned for {start:%A %d %B %Y, %H:%M} "
                f"({account.time_zone}), will not be made. The attached calendar file takes it out of your calendar.\n"
            ),
            attachments=[
                {
                    "filename": "change.ics",
                    "content_type": "text/calendar; method=CANCEL",
                    "content": event.calendar("Change"),
                }
            ],
        )
    return change


# --- the customer's decisions -----------------------------------------------------------------------------------


def decision_request(
    *,
    account: Account,
    contact: Contact | None,
    question: str,
    due: date | None,
    acting_user: User | None,
    detail: str = "",
    recurring_issue: RecurringIssue | None = None,
    change_request: ChangeRequest | None = None,
) -> Decision:
    """Ask a contact with the authority to decide (the economic or technical buyer, or a contact flagged as an
    approver) for a decision by a date."""
    require(acting_user, "decision.edit", account)
    if contact is None or contact.account_id != account.pk:
        raise ValidationError({"contact": "Choose a contact of this account."})
    if not contact.may_decide:
        raise ValidationError(
            {
                "contact": f"{contact.name} cannot decide for the customer: the "
                f"{contact.get_buyer_role_display().lower()} is not an approver. Ask the economic or technical "
                "buyer, or flag the contact as an approver."
            }
        )
    due = _due_ahead(due, missing="Give the date the answer is needed by.")
    _of_account(account, recurring_issue=recurring_issue, change_request=change_request)
    decision = Decision.objects.create(
        account=account,
        contact=contact,
        question=_clean(question, "question", required=True, limit=300),
        detail=_clean(detail, "detail"),
        due=due,
        recurring_issue=recurring_issue,
        change_request=change_request,
        requested_by=acting_user,
    )
    audit_record(actor=acting_user, action="decision.request", obj=decision, contact=contact.pk)
    return decision


@transaction.atomic
def decision_answer(
    *, decision: Decision, status: str, answered_on: date | None, note: str, acting_user: User | None
) -> Decision:
    """The customer's answer, approved or declined, with the day it was given (not before it was asked, not in
    the future). An approval of a change's decision may let the customer's notice of the window go out."""
    locked = Decision.objects.select_for_update().select_related("account", "contact").get(pk=decision.pk)
    require(acting_user, "decision.edit", locked.account)
    if status not in (Decision.Status.APPROVED, Decision.Status.DECLINED):
        raise ValidationError({"status": "The answer is approved or declined."})
    if locked.status in (Decision.Status.APPROVED, Decision.Status.DECLINED):
        raise ValidationError({"status": f"This decision was {locked.get_status_display().lower()} already."})
    if answered_on is None:
        raise ValidationError({"answered_on": "Give the day the customer answered."})
    if answered_on > timezone.localdate():
        raise ValidationError({"answered_on": "The answer cannot be dated in the future."})
    if answered_on < timezone.localdate(locked.requested_at):
        raise ValidationError({"answered_on": "The answer cannot come before the question was asked."})
    locked.status, locked.answered_on, locked.answer_note = status, answered_on, _clean(note, "note")
    locked.save(update_fields=["status", "answered_on", "answer_note"])
    audit_record(actor=acting_user, action=f"decision.{status}", obj=locked)
    if status == Decision.Status.APPROVED and locked.change_request_id:
        change = ChangeRequest.objects.select_related("account", "account__owner").get(pk=locked.change_request_id)
        customer_notify(change=change)
    return locked


def decision_expire(*, decision: Decision, acting_user: User | None) -> Decision:
    """No answer came and we stop waiting for one."""
    require(acting_user, "decision.edit", decision.account)
    if decision.status != Decision.Status.REQUESTED:
        raise ValidationError({"status": f"This decision is {decision.get_status_display().lower()} already."})
    Decision.objects.filter(pk=decision.pk).update(status=Decision.Status.EXPIRED)
    decision.status = Decision.Status.EXPIRED
    return decision


def decisions_sweep(*, today: date | None = None) -> int:
    """Overdue decisions of the current tenant: the account owner hears first (the day after the due date, or
    the first time the sweep sees it late); the Executive Partner when it is still open ``ESCALATE_AFTER_DAYS``
    after its due date (in the same sweep for one found that late). Each message once. Returns how many were
    sent."""
    today = today or timezone.localdate()
    sent = 0
    overdue = Decision.objects.filter(status=Decision.Status.REQUESTED, due__lt=today, escalation_level__lt=2)
    for decision in overdue.select_related("account", "account__owner", "contact"):
        late = (today - decision.due).days
        owner = decision.account.owner
        levels = [1] if decision.escalation_level < 1 else []
        if late >= ESCALATE_AFTER_DAYS:
            levels.append(2)
        for level in levels:
            people = [owner] if level == 1 else [*executive_partners(decision.account)] or [owner]
            for person in people:
                if person is None or not person.email:
                    continue
                _, created = email_enqueue(
                    key=f"decision:{decision.pk}:overdue:{level}:{person.pk}",
                    to=[person.email],
                    subject=f"Customer decision overdue at {decision.account.name}: {decision.question[:120]}",
                    text=render_to_string(
                        "emails/decision_overdue.txt",
                        {
                            "decision": decision,
                            "person": person,
                            "late": late,
                            "level": level,
                            "url": _link("decision_detail", decision.account_id, decision.pk),
                        },
                    ),
                )
                sent += int(created)
        if levels:
            Decision.objects.filter(pk=decision.pk).update(escalation_level=max(levels))
    return sent


# --- escalations ------------------------------------------------------------------------------------------------


def escalation_raise(
    *,
    account: Account,
    title: str,
    due: date | None,
    acting_user: User | None,
    detail: str = "",
    owner: User | None = None,
    recurring_issue: RecurringIssue | None = None,
    decision: Decision | None = None,
) -> Escalation:
    """Anyone on the team raises it; the account's Executive Partner owns it, or, when it has none, the
    executive chosen here."""
    require(acting_user, "escalation.raise", account)
    partners = executive_partners(account)
    if partners:
        if owner is not None and owner.pk not in {p.pk for p in partners}:
            raise ValidationError({"owner": "This account's Executive Partner owns its escalations."})
        owner = owner or partners[0]
    else:
        if owner is None:
            raise ValidationError({"owner": "This account has no Executive Partner: choose the executive to own it."})
        member = Membership.objects.filter(user_id=owner.pk).values_list("role", flat=True).first()
        if member not in (Role.EXECUTIVE, Role.ADMIN):
            member_or_error(owner.pk)
            raise ValidationError({"owner": "An escalation is owned by an executive."})
    due = _due_ahead(due, missing="Give the date it must be resolved by.")
    _of_account(account, recurring_issue=recurring_issue, decision=decision)
    escalation = Escalation.objects.create(
        account=account,
        title=_clean(title, "title", required=True, limit=200),
        detail=_clean(detail, "detail"),
        owner=owner,
        due=due,
        raised_by=acting_user,
        recurring_issue=recurring_issue,
        decision=decision,
    )
    if owner.email:
        email_enqueue(
            key=f"escalation:{escalation.pk}:owner:{owner.pk}",
            to=[owner.email],
            subject=f"Escalation at {account.name}: {escalation.title}",
            text=render_to_string(
                "emails/escalation.txt",
                {
                    "escalation": escalation,
                    "account": account,
                    "url": _link("escalation_detail", account.pk, escalation.pk),
                },
            ),
        )
    audit_record(actor=acting_user, action="escalation.raise", obj=escalation, title=escalation.title)
    return escalation


def escalation_resolve(*, escalation: Escalation, resolution: str, acting_user: User | None) -> Escalation:
    """Its owner (or an admin) closes it, saying how it was resolved."""
    require(acting_user, "escalation.resolve", escalation)
    if escalation.status != Escalation.Status.OPEN:
        raise ValidationError({"status": "This escalation is resolved already."})
    escalation.resolution = _clean(resolution, "resolution", required=True)
    escalation.status, escalation.resolved_at = Escalation.Status.RESOLVED, timezone.now()
    escalation.save(update_fields=["resolution", "status", "resolved_at"])
    audit_record(actor=acting_user, action="escalation.resolve", obj=escalation)
    return escalation
