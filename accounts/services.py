"""Domain operations on strategic accounts. One function per use case; views, API and tasks call these.

Every other app adds to an account's running action register through
``action_item_add`` (idempotent by ``dedupe_key`` for automatic sources).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import events, sources
from accounts.models import (
    Account,
    AccountsSettings,
    ActionItem,
    ActionItemEvent,
    Contact,
    Contract,
    CriterionAnswer,
    Deliverable,
    Incident,
    IncidentCategory,
    PlanGoal,
    PlanObjective,
    PlanReview,
    PlaybookRun,
    RecurringIssue,
    RecurringIssueIncident,
    SelectionCriterion,
    TeamAssignment,
    TeamRole,
    Tier,
    TierChange,
    roles_in_order,
)
from accounts.permissions import action_item_fields, deliverable_fields
from accounts.selectors import plan_snapshot, portfolio_cap_warning, recurring_issue_owner, strategic_score_compute
from sam import history
from sam.icalendar import is_zone
from sam.models import Membership, Tenant, User
from sam.outbox import email_enqueue
from sam.permissions import require_member
from sam.services import audit_record, row_save, row_update, text_value, workspace_settings_update
from sam.tenancy.context import current_tenant
from sam.tenancy.urls import tenant_reverse

log = logging.getLogger(__name__)

# --- the program's defaults --------------------------------------------------

DEFAULT_TIERS = [("Strategic", True), ("Key", False), ("Developing", False)]
DEFAULT_CRITERIA = [
    ("Has this customer inspired a new product or service of ours?", 2),
    ("Has this customer helped us raise the level of our offerings?", 2),
    ("Has this customer opened a new market for us?", 2),
    ("Do we move this customer's own strategic metrics?", 3),
    ("Is the return from this relationship more than linear (referrals, co-development, scale)?", 2),
    ("Does the customer see us as strategic too (a two-way relationship)?", 3),
    ("Are our cultures compatible?", 1),
    ("Will we commit top talent, time and money to this customer for the long term?", 3),
    ("Do we keep the promises we make to this customer (delivered vs made)?", 2),
]
DEFAULT_INCIDENT_CATEGORIES = [
    "Outage",
    "Performance",
    "Configuration change",
    "Billing",
    "Access and security",
    "Data quality",
    "Other",
]


def program_defaults_ensure() -> None:
    """Tiers, selection criteria and incident categories for the current tenant (idempotent)."""
    tiers = set(Tier.objects.values_list("name", flat=True))
    Tier.objects.bulk_create(
        (
            Tier(name=name, order=order, strategic=strategic)
            for order, (name, strategic) in enumerate(DEFAULT_TIERS)
            if name not in tiers
        ),
        ignore_conflicts=True,
    )
    if not SelectionCriterion.objects.exists():
        SelectionCriterion.objects.bulk_create(
            SelectionCriterion(question=q, weight=w, order=i) for i, (q, w) in enumerate(DEFAULT_CRITERIA)
        )
    categories = set(IncidentCategory.objects.values_list("name", flat=True))
    IncidentCategory.objects.bulk_create(
        (IncidentCategory(name=name) for name in DEFAULT_INCIDENT_CATEGORIES if name not in categories),
        ignore_conflicts=True,
    )


def _tenant() -> Tenant:
    tenant = current_tenant()
    assert tenant is not None, "a tenant context is required"
    return tenant


# --- members ------------------------------------------------------------------


def member_or_error(user_id: Any, field: str = "owner") -> User:
    """A user of the current tenant, or a field error that says 'not found' (ids leak nothing)."""
    membership = Membership.objects.select_related("user").filter(user_id=user_id).first() if user_id else None
    if membership is None:
        raise ValidationError({field: "No such member of this workspace."})
    return membership.user


# --- accounts -------------------------------------------------------------------


OWNER_ROLES = ("admin", "account_manager")


def account_owner_or_error(user: User | None) -> User | None:
    """An account's owner is one of the tenant's account managers (or an admin)."""
    if user is None:
        return None
    if not Membership.objects.filter(user_id=user.pk, role__in=OWNER_ROLES).exists():
        raise ValidationError({"owner": "The owner must be an account manager (or an admin) of this workspace."})
    return user


ACCOUNT_FIELDS = (
    "name",
    "industry",
    "tier",
    "status",
    "owner",
    "annual_revenue",
    "currency",
    "parent",
    "notes",
    "time_zone",
    "prime_start",
    "prime_end",
    "prime_days",
)


def _check_prime_hours(account: Account) -> None:
    """The customer's clock and prime hours: a known time zone, an end after the start, days of a week."""
    if not is_zone(account.time_zone or ""):
        raise ValidationError({"time_zone": "Not a time zone this system knows, e.g. Europe/Berlin or UTC."})
    if account.prime_start is not None and account.prime_end is not None and account.prime_end <= account.prime_start:
        raise ValidationError({"prime_end": "Prime hours end after they start (on the same day)."})
    days = list(account.prime_days or [])
    if any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        raise ValidationError({"prime_days": "Days are 0 (Monday) to 6 (Sunday)."})
    account.prime_days = sorted(set(days))


def _check_parent(account: Account | None, parent: Account | None) -> None:
    node = parent
    while node is not None:
        if account is not None and node.pk == account.pk:
            raise ValidationError({"parent": "An account cannot be its own parent or ancestor."})
        node = node.parent


@transaction.atomic
def account_create(*, data: dict[str, Any], acting_user: User | None) -> tuple[Account, str]:
    """Create an account with an empty deliverable per team role. Returns it and any portfolio warning."""
    _check_parent(None, data.get("parent"))
    account_owner_or_error(data.get("owner"))
    warning = portfolio_cap_warning(data["tier"])
    account = Account(**{k: v for k, v in data.items() if k in ACCOUNT_FIELDS})
    _check_prime_hours(account)
    account.full_clean(exclude=["tenant", "strategic_score"], validate_constraints=False)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "An account with this name exists already."}) from exc
    Deliverable.objects.bulk_create(
        Deliverable(account=account, role=role, tenant_id=account.tenant_id) for role in TeamRole.values
    )
    if account.owner_id:
        TeamAssignment.objects.get_or_create(account=account, user_id=account.owner_id, role=TeamRole.ACCOUNT_MANAGER)
    TierChange.objects.create(account=account, from_tier=None, to_tier=account.tier, changed_by=acting_user)
    return account, warning


@transaction.atomic
def account_update(
    *, account: Account, data: dict[str, Any], acting_user: User | None, tier_reason: str = ""
) -> tuple[Account, str]:
    """Change an account. Leaving a strategic tier needs a reason, which is kept."""
    locked = Account.objects.select_for_update().select_related("tier").get(pk=account.pk)
    old_tier = locked.tier
    new_tier = data.get("tier", old_tier)
    warning = ""
    if new_tier != old_tier:
        if old_tier.strategic and not new_tier.strategic and not tier_reason.strip():
            raise ValidationError(
                {"tier_reason": "Say why this account leaves the strategic tier; the reason is kept with its history."}
            )
        warning = portfolio_cap_warning(new_tier, account=locked) if not old_tier.strategic else ""
    _check_parent(locked, data.get("parent", locked.parent))
    if "owner" in data and data["owner"] is not None and data["owner"].pk != locked.owner_id:
        account_owner_or_error(data["owner"])
    for key, value in data.items():
        if key in ACCOUNT_FIELDS:
            setattr(locked, key, value)
    _check_prime_hours(locked)
    locked.full_clean(exclude=["tenant", "strategic_score"], validate_constraints=False)
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "An account with this name exists already."}) from exc
    if new_tier != old_tier:
        TierChange.objects.create(
            account=locked, from_tier=old_tier, to_tier=new_tier, reason=tier_reason.strip(), changed_by=acting_user
        )
    if locked.owner_id:
        TeamAssignment.objects.get_or_create(account=locked, user_id=locked.owner_id, role=TeamRole.ACCOUNT_MANAGER)
    return locked, warning


@transaction.atomic
def account_delete(*, account: Account, acting_user: User | None, reason: str = "") -> None:
    """Soft delete: the account leaves every list, its history stays in the database.

    A strategic account leaving the program needs a reason, kept with its history.
    """
    if account.tier.strategic and not reason.strip():
        raise ValidationError({"reason": "Say why this strategic account leaves the program; the reason is kept."})
    account.deleted_at = timezone.now()
    account.save(update_fields=["deleted_at"])  # save, not update(): listeners (e.g. cached views) hear of it
    TierChange.objects.create(
        account=account,
        from_tier=account.tier,
        to_tier=None,
        reason=f"Removed: {reason.strip()}",
        changed_by=acting_user,
    )

    audit_record(actor=acting_user, action="account.delete", obj=account, name=account.name, reason=reason)


def removed_accounts_purge(*, now: datetime | None = None) -> int:
    """Removed accounts kept longer than the workspace's retention: each deleted for good with everything on it,
    and the values its record of changes kept blanked (who changed what and when stays). One transaction each; an
    account another row still needs stays, and the log says which. Answers how many went."""
    days = AccountsSettings.current().removed_retention_days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    purged = 0
    for account in Account.objects.filter(deleted_at__lt=cutoff).order_by("pk"):
        try:
            with transaction.atomic():
                account_id = account.pk
                account.delete()
                history.erase_account(account_id)
        except ProtectedError as exc:
            log.warning("removed account %s kept: still named by %s", account.pk, exc.protected_objects)
            continue
        purged += 1
    return purged


def strategic_scores_recompute() -> int:
    """After the criteria themselves change (weight, retired): every account's stored score again."""
    accounts = list(Account.objects.all())
    for account in accounts:
        account.strategic_score = strategic_score_compute(account)
    Account.objects.bulk_update(accounts, ["strategic_score"])
    return len(accounts)


def tier_strategic_set(*, tier: Tier, strategic: bool) -> Tier:
    """Mark a tier strategic or not; a tier that holds accounts cannot silently leave the program."""
    if tier.strategic and not strategic and Account.objects.alive().filter(tier=tier).exists():
        raise ValidationError(
            {"strategic": "Accounts are in this tier: move them to another tier first (each move keeps its reason)."}
        )
    tier.strategic = strategic
    tier.save(update_fields=["strategic"])
    return tier


@transaction.atomic
def criteria_answers_save(*, account: Account, answers: dict[int, tuple[int | None, str]]) -> Account:
    """Save scores (0-5) and justifications per criterion id, then recompute the strategic score."""
    criteria = {c.pk: c for c in SelectionCriterion.objects.filter(pk__in=list(answers), active=True)}
    for criterion_id, (score, justification) in answers.items():
        if criterion_id not in criteria:
            raise ValidationError({"criterion": "No such selection criterion."})
        if score is None:  # cleared: the criterion is no longer scored for this account
            CriterionAnswer.objects.filter(account=account, criterion=criteria[criterion_id]).delete()
            continue
        if not 0 <= int(score) <= 5:
            raise ValidationError({"score": "Scores go from 0 (not at all) to 5 (fully)."})
        CriterionAnswer.objects.update_or_create(
            account=account,
            criterion=criteria[criterion_id],
            defaults={"score": int(score), "justification": justification.strip()[:500]},
        )
    account.strategic_score = strategic_score_compute(account)
    Account.objects.filter(pk=account.pk).update(strategic_score=account.strategic_score)
    return account


# --- contracts and contacts --------------------------------------------------------


def currency_or_error(value: str, field: str = "currency") -> str:
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError({field: "Use a three-letter currency code, e.g. EUR."})
    return code


def contract_save(*, account: Account, data: dict[str, Any], contract: Contract | None = None) -> Contract:
    contract = contract or Contract(account=account)
    for key, value in data.items():
        setattr(contract, key, value)
    if contract.start and contract.end and contract.end <= contract.start:
        raise ValidationError({"end": "The end date must be after the start date."})
    if contract.value is not None and contract.value < 0:
        raise ValidationError({"value": "The value cannot be negative."})
    contract.currency = currency_or_error(contract.currency)
    return row_save(contract, unique_message={"title": "This contract could not be saved."})


def contact_save(*, account: Account, data: dict[str, Any], contact: Contact | None = None) -> Contact:
    contact = contact or Contact(account=account)
    owner = data.get("relationship_owner")
    if owner is not None:
        member_or_error(getattr(owner, "pk", owner), "relationship_owner")
    for key, value in data.items():
        setattr(contact, key, value)
    email = (contact.email or "").strip().lower()
    if email and Contact.objects.filter(account=account, email=email).exclude(pk=contact.pk).exists():
        raise ValidationError({"email": "Another contact of this account has this email."})
    return row_save(contact, unique_message={"email": "Another contact of this account has this email."})


# --- team and deliverables -----------------------------------------------------------


def account_roles_needed_set(*, account: Account, roles: list[str] | None, acting_user: User | None) -> Account:
    """Which of the six roles this account's team must fill (``None``: as its tier says). A role left out is
    held as needed: nobody in it is no gap, and its deliverable is not chased. An admin decides."""
    require_member(acting_user, "account.set_roles_needed", account)
    if roles is not None:
        unknown = sorted(set(roles) - set(TeamRole.values))
        if unknown:
            raise ValidationError({"roles": f"Not a team role: {', '.join(unknown)[:200]}."})
        roles = roles_in_order(roles)
    Account.objects.filter(pk=account.pk).update(needed_roles=roles, updated_at=timezone.now())
    account.needed_roles = roles
    audit_record(actor=acting_user, action="account.roles_needed", obj=account, roles=roles)
    return account


def team_assign(*, account: Account, user_id: Any, role: str) -> TeamAssignment:
    user = member_or_error(user_id, "user")
    if role not in TeamRole.values:
        raise ValidationError({"role": "Choose one of the six team roles."})
    assignment, _ = TeamAssignment.objects.get_or_create(account=account, user=user, role=role)
    Deliverable.objects.filter(account=account, role=role, owner__isnull=True).update(owner=user)
    return assignment


def team_unassign(*, assignment: TeamAssignment) -> None:
    assignment.delete()


def refuse_changes(instance: Any, data: dict[str, Any], editable: frozenset[str], message: str) -> None:
    """PermissionDenied when ``data`` changes a field outside ``editable`` (sending its current value is fine)."""
    for name, value in data.items():
        if name in editable:
            continue
        field = instance._meta.get_field(name)
        current = getattr(instance, getattr(field, "attname", name))
        if current != (value.pk if hasattr(value, "pk") else value):
            raise PermissionDenied(message)


def deliverable_change(*, deliverable: Deliverable, data: dict[str, Any], acting_user: User, role: str) -> Deliverable:
    """A person's change to a deliverable, the page's and the API's alike: only the fields their role lets them
    change on it (its owner is reassigned by the account's owner or an admin)."""
    editable = deliverable_fields(role=role, user=acting_user, deliverable=deliverable)
    if not editable:
        raise PermissionDenied("You may update the deliverables of the roles you hold on your accounts.")
    refuse_changes(deliverable, data, editable, "Only the account's owner or an admin reassigns a deliverable.")
    return deliverable_update(deliverable=deliverable, data=data)


def deliverable_update(*, deliverable: Deliverable, data: dict[str, Any]) -> Deliverable:
    if data.get("owner") is not None:
        member_or_error(data["owner"].pk)
    if data.get("file") is False:  # "clear" ticked on the form
        deliverable.file.delete(save=False)
        data = {**data, "file": ""}
    for key, value in data.items():
        setattr(deliverable, key, value)
    deliverable.full_clean(exclude=["tenant"], validate_constraints=False)
    deliverable.save()
    return deliverable


# --- the account plan --------------------------------------------------------------------


@transaction.atomic
def plan_review_record(*, account: Account, acting_user: User | None, note: str = "") -> PlanReview:
    """Mark the plan reviewed now, keeping this version readable."""
    Account.objects.select_for_update().filter(pk=account.pk).first()
    last = PlanReview.objects.filter(account=account).order_by("-version").first()
    return PlanReview.objects.create(
        account=account,
        version=(last.version + 1) if last else 1,
        reviewed_by=acting_user,
        note=note.strip(),
        snapshot=plan_snapshot(account),
    )


def goal_add(*, account: Account, title: str, order: int | None = None) -> PlanGoal:
    """A goal of the account plan, last unless an ``order`` is given."""
    if order is None:
        order = PlanGoal.objects.filter(account=account).count()
    return row_save(PlanGoal(account=account, title=title.strip(), order=order), unique_message={})


def goal_update(*, goal: PlanGoal, data: dict[str, Any]) -> PlanGoal:
    for key, value in data.items():
        setattr(goal, key, value)
    return row_save(goal, unique_message={})


def objective_update(*, objective: PlanObjective, data: dict[str, Any]) -> PlanObjective:
    for key, value in data.items():
        setattr(objective, key, value)
    return row_save(objective, unique_message={})


def objective_add(*, goal: PlanGoal, title: str, measure: str = "", order: int | None = None) -> PlanObjective:
    """An objective of a goal, last unless an ``order`` is given."""
    if order is None:
        order = PlanObjective.objects.filter(goal=goal).count()
    return row_save(
        PlanObjective(goal=goal, title=title.strip(), measure=measure.strip(), order=order), unique_message={}
    )


def plan_row_delete(*, row: PlanGoal | PlanObjective) -> None:
    """Remove a goal (its objectives with it) or one objective from the account plan."""
    row.delete()


# --- the running action register ------------------------------------------------------------

TRACKED_FIELDS = ("title", "detail", "owner_id", "due", "status", "objective_id", "side", "owner_contact_id", "joint")
CONTACT_STATUSES = (ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS, ActionItem.Status.DONE)


def action_item_add(
    *,
    account: Account,
    title: str,
    owner: User | None = None,
    due: date | None = None,
    detail: str = "",
    source_kind: str = sources.MANUAL,
    source_id: Any = "",
    dedupe_key: str = "",
    objective: PlanObjective | None = None,
    acting_user: User | None = None,
    side: str = ActionItem.Side.SUPPLIER,
    owner_contact: Contact | None = None,
    joint: bool = False,
    playbook_run: PlaybookRun | None = None,
) -> tuple[ActionItem, bool]:
    """THE way to add to an account's running action register, for every app.

    With a ``dedupe_key`` the call is idempotent: the same key of the same
    source adds one item however often it runs. The owner must be a member
    of the tenant. Returns the item and whether it was created now.
    """
    sources.validate_source_kind(source_kind)
    if owner is not None:
        member_or_error(owner.pk)
    if not title.strip():
        raise ValidationError({"title": "An action needs a title."})
    if objective is not None and objective.goal.account_id != account.pk:
        raise ValidationError({"objective": "No such objective in this account's plan."})
    _check_sides(account.pk, side, owner_contact)
    if dedupe_key:
        existing = ActionItem.objects.filter(source_kind=source_kind, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing, False
    item = ActionItem(
        account=account,
        title=title.strip()[:300],
        detail=detail,
        owner=owner,
        due=due,
        source_kind=source_kind,
        source_id=str(source_id or ""),
        dedupe_key=dedupe_key,
        objective=objective,
        created_by=acting_user,
        side=side,
        owner_contact=owner_contact,
        joint=joint,
        playbook_run=playbook_run,
    )
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        if not dedupe_key:
            raise
        return ActionItem.objects.get(source_kind=source_kind, dedupe_key=dedupe_key), False
    ActionItemEvent.objects.create(item=item, actor=acting_user, changes={"created": [None, item.title]})
    return item, True


@transaction.atomic
def action_item_change(*, item: ActionItem, data: dict[str, Any], acting_user: User, role: str) -> ActionItem:
    """A person's change to an action, the page's and the API's alike: all of it for the account's team, the
    status and detail for an executive it is assigned to, nothing for anyone else."""
    editable = action_item_fields(role=role, user=acting_user, item=item)
    if not editable:
        raise PermissionDenied("Your role does not allow this on this account.")
    refuse_changes(
        item,
        {k: v for k, v in data.items() if k != "account"},  # a move is refused by the update, as for every row
        editable,
        "On an action assigned to you, you may change its status and detail.",
    )
    return action_item_update(item=item, data=data, acting_user=acting_user)


def action_item_update(*, item: ActionItem, data: dict[str, Any], acting_user: User | None) -> ActionItem:
    """Change an item and record what changed; closing stamps closed_at, reopening clears it."""
    locked = ActionItem.objects.select_for_update().get(pk=item.pk)
    if "owner" in data and data["owner"] is not None:
        member_or_error(data["owner"].pk)
    if "account" in data and data["account"].pk != locked.account_id:
        raise ValidationError({"account": "An action stays on its account."})
    objective = data.get("objective")
    if objective is not None and objective.goal.account_id != locked.account_id:
        raise ValidationError({"objective": "No such objective in this account's plan."})
    before = {f: getattr(locked, f) for f in TRACKED_FIELDS}
    for key, value in data.items():
        setattr(locked, key, value)
    if locked.side == ActionItem.Side.SUPPLIER and "owner_contact" not in data:
        locked.owner_contact = None  # back on our side: no contact of theirs owns it any more
    _check_sides(locked.account_id, locked.side, locked.owner_contact)
    if not (locked.title or "").strip():
        raise ValidationError({"title": "An action needs a title."})
    if locked.status in ActionItem.OPEN_STATUSES:
        locked.closed_at = None
    elif before["status"] in ActionItem.OPEN_STATUSES:
        locked.closed_at = timezone.now()
    locked.full_clean(exclude=["tenant"], validate_constraints=False)
    locked.save()
    changes = {
        f: [_plain(before[f]), _plain(getattr(locked, f))] for f in TRACKED_FIELDS if before[f] != getattr(locked, f)
    }
    if changes:
        ActionItemEvent.objects.create(item=locked, actor=acting_user, changes=changes)
    return locked


def _check_sides(account_id: int, side: str, owner_contact: Contact | None) -> None:
    if side not in ActionItem.Side.values:
        raise ValidationError({"side": "Ours or the customer's."})
    if owner_contact is not None:
        if side != ActionItem.Side.CUSTOMER:
            raise ValidationError({"owner_contact": "Only the customer's actions have a contact as owner."})
        if owner_contact.account_id != account_id:
            raise ValidationError({"owner_contact": "Not a contact of this account."})


@transaction.atomic
def action_item_update_by_contact(*, item: ActionItem, contact: Contact, status: str, note: str) -> ActionItem:
    """A contact in the customer portal moves one of the customer's actions on (open, in progress, done) and may
    add a note; the change is recorded with the contact as who made it. Any other action is not theirs."""
    locked = ActionItem.objects.select_for_update().filter(pk=item.pk).first()
    if locked is None or locked.account_id != contact.account_id or locked.side != ActionItem.Side.CUSTOMER:
        raise ActionItem.DoesNotExist
    if locked.status == ActionItem.Status.DROPPED:
        raise ValidationError({"status": "This action was dropped: ask your account team to reopen it."})
    if status not in CONTACT_STATUSES:
        raise ValidationError({"status": "Open, in progress or done."})
    note = text_value(note, "note", limit=2000, required=False)
    before = locked.status
    locked.status = status
    if status in ActionItem.OPEN_STATUSES:
        locked.closed_at = None
    elif before in ActionItem.OPEN_STATUSES:
        locked.closed_at = timezone.now()
    if before == status and not note:
        raise ValidationError({"note": "Change the status or add a note."})
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    changes = {"status": [before, status]} if before != status else {}
    ActionItemEvent.objects.create(item=locked, contact=contact, changes=changes, note=note)
    return locked


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# --- incidents and recurring issues ---------------------------------------------------------


def incident_record(*, account: Account, data: dict[str, Any], now: datetime | None = None) -> Incident:
    """Record an incident (by hand, CSV or API), then look for a recurrence."""
    incident = Incident(account=account, **data)
    if incident.resolved_at and incident.opened_at and incident.resolved_at < incident.opened_at:
        raise ValidationError({"resolved_at": "An incident cannot be resolved before it was opened."})
    row_save(incident, unique_message={"external_ref": "An incident with this ticket reference exists already."})
    recurring_issue_check(account=account, category=incident.category, now=now)
    return incident


def incident_update(*, incident: Incident, data: dict[str, Any]) -> Incident:
    """Correct an incident or record its resolution; a changed category is checked for recurrence."""
    old_category = incident.category_id
    for key, value in data.items():
        setattr(incident, key, value)
    if incident.resolved_at and incident.resolved_at < incident.opened_at:
        raise ValidationError({"resolved_at": "An incident cannot be resolved before it was opened."})
    row_save(incident, unique_message={"external_ref": "An incident with this ticket reference exists already."})
    if incident.category_id != old_category:
        recurring_issue_check(account=incident.account, category=incident.category)
    return incident


def incident_delete(*, incident: Incident) -> None:
    """Remove an incident recorded by mistake (a recurring issue it counted towards stays as it was raised)."""
    incident.delete()


def recurring_issue_check(
    *, account: Account, category: IncidentCategory, now: datetime | None = None
) -> RecurringIssue | None:
    """Open one recurring issue when N incidents of one category fall within M days.

    Exactly one open issue per account and category (a partial unique index
    enforces it), one action item and one email to its owner, however often
    this runs or how many workers run it at once.
    """
    tenant = _tenant()
    rules = AccountsSettings.current()
    now = now or timezone.now()
    window_start = now - timedelta(days=rules.recurrence_window_days)
    # Incidents already explained by a closed issue (its root cause is known)
    # do not count again: a new pattern needs new incidents.
    explained = RecurringIssueIncident.objects.filter(
        recurring_issue__account=account, recurring_issue__status=RecurringIssue.Status.CLOSED
    ).values("incident_id")
    recent = list(
        Incident.objects.filter(account=account, category=category, opened_at__gte=window_start, opened_at__lte=now)
        .exclude(pk__in=explained)
        .order_by("opened_at")
        .values_list("pk", flat=True)
    )
    open_issue = RecurringIssue.objects.filter(account=account, category=category, status="open").first()
    if open_issue is not None:
        known = set(
            RecurringIssueIncident.objects.filter(recurring_issue=open_issue).values_list("incident_id", flat=True)
        )
        RecurringIssueIncident.objects.bulk_create(
            RecurringIssueIncident(recurring_issue=open_issue, incident_id=i, tenant_id=tenant.pk)
            for i in recent
            if i not in known
        )
        return open_issue
    if len(recent) < rules.recurrence_threshold:
        return None
    owner = recurring_issue_owner(account)
    try:
        with transaction.atomic():
            issue = RecurringIssue.objects.create(account=account, category=category, owner=owner, opened_at=now)
    except IntegrityError:  # another worker opened it a moment ago
        return RecurringIssue.objects.filter(account=account, category=category, status="open").first()
    RecurringIssueIncident.objects.bulk_create(
        RecurringIssueIncident(recurring_issue=issue, incident_id=i, tenant_id=tenant.pk) for i in recent
    )
    events.timeline_event(
        account=account,
        event=events.RECURRING_OPENED,
        summary=f"Recurring {category.name.lower()} incidents: {len(recent)} in {rules.recurrence_window_days} days",
        key=f"recurring-opened:{issue.pk}",
        at=now,
        source_id=issue.pk,
    )
    title = f"Own the recurring {category.name.lower()} incidents at {account.name}"
    action_item_add(
        account=account,
        title=title,
        owner=owner,
        due=(now + timedelta(days=14)).date(),
        detail=(
            f"{len(recent)} {category.name.lower()} incidents in {rules.recurrence_window_days} days. "
            "Find the root cause, decide the fix, and name who at the customer must approve it."
        ),
        source_kind=sources.RECURRING_ISSUE,
        source_id=issue.pk,
        dedupe_key=f"recurring-issue:{issue.pk}",
    )
    if owner is not None:
        _recurring_issue_email(issue, count=len(recent), owner=owner)
    return issue


@transaction.atomic
def recurring_issue_update(*, issue: RecurringIssue, data: dict[str, Any], acting_user: User | None) -> RecurringIssue:
    """Name the owner; close with a root cause (a fix the customer must approve is a decision: decision_request).

    The issue's action item follows: same owner, and done when the issue closes.
    A new owner is told once.
    """
    locked = RecurringIssue.objects.select_for_update().select_related("account", "category").get(pk=issue.pk)
    if "owner" in data:
        if data["owner"] is None:
            raise ValidationError({"owner": "A recurring issue needs one named owner."})
        member_or_error(data["owner"].pk)
    old_owner_id = locked.owner_id
    closing = data.get("status") == RecurringIssue.Status.CLOSED and locked.status == RecurringIssue.Status.OPEN
    for key, value in data.items():
        setattr(locked, key, value)
    if closing:
        if not (locked.root_cause or "").strip():
            raise ValidationError({"root_cause": "Closing a recurring issue needs its root cause."})
        locked.closed_at = timezone.now()
    if locked.status == RecurringIssue.Status.OPEN:
        locked.closed_at = None
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise ValidationError({"status": "This account already has an open recurring issue of this category."}) from exc
    item = ActionItem.objects.filter(
        source_kind=sources.RECURRING_ISSUE, dedupe_key=f"recurring-issue:{locked.pk}"
    ).first()
    if item is not None:
        changes: dict[str, Any] = {}
        if item.owner_id != locked.owner_id:
            changes["owner"] = locked.owner
        if closing and item.is_open:
            changes["status"] = ActionItem.Status.DONE
        if changes:
            action_item_update(item=item, data=changes, acting_user=acting_user)
    if closing:
        events.timeline_event(
            account=locked.account_id,
            event=events.RECURRING_CLOSED,
            summary=f"Recurring {locked.category.name.lower()} incidents closed: {locked.root_cause.strip()[:500]}",
            key=f"recurring-closed:{locked.pk}:{locked.closed_at:%Y%m%d%H%M%S}",
            source_id=locked.pk,
            by=acting_user,
        )
    if locked.owner_id and locked.owner_id != old_owner_id:
        _recurring_issue_email(locked, count=locked.incidents.count(), owner=locked.owner)
    return locked


def _recurring_issue_email(issue: RecurringIssue, *, count: int, owner: User) -> None:
    """Tell the owner, once per owner of this issue."""

    tenant = _tenant()
    account = issue.account
    url = tenant_reverse("account_detail", account.pk, tenant=tenant) + "?tab=incidents"
    context = {
        "issue": issue,
        "account": account,
        "count": count,
        "tenant": tenant,
        "owner": owner,
        "url": settings.SITE_URL + url,
    }
    email_enqueue(
        key=f"recurring-issue:{issue.pk}:owner:{owner.pk}",
        to=[owner.email],
        subject=f"You own a recurring issue at {account.name}: {issue.category.name}",
        text=render_to_string("emails/recurring_issue.txt", context),
    )


def recurring_issues_sweep(*, now: datetime | None = None) -> int:
    """The periodic check for the current tenant: every account and category with recent incidents."""
    now = now or timezone.now()
    since = now - timedelta(days=AccountsSettings.current().recurrence_window_days)
    pairs = (
        Incident.objects.filter(opened_at__gte=since, opened_at__lte=now, account__deleted_at__isnull=True)
        .values_list("account_id", "category_id")
        .distinct()
    )
    opened = 0
    accounts = {a.pk: a for a in Account.objects.filter(pk__in={p[0] for p in pairs})}
    categories = {c.pk: c for c in IncidentCategory.objects.filter(pk__in={p[1] for p in pairs})}
    for account_id, category_id in pairs:
        before = RecurringIssue.objects.filter(account_id=account_id, category_id=category_id, status="open").exists()
        issue = recurring_issue_check(account=accounts[account_id], category=categories[category_id], now=now)
        opened += int(issue is not None and not before)
    return opened


def account_row_delete(*, account: Account, row: Any) -> None:
    """Delete a contract or contact of the account (the page asked for a confirmation first). A row that other
    rows still need (a contact asked for a decision) stays, and the error says which."""
    if getattr(row, "account_id", None) != account.pk:
        raise ValidationError("This is not one of the account's rows.")
    try:
        with transaction.atomic():
            row_id = row.pk
            row.delete()
            if isinstance(row, Contact):  # a person's data leaves the record of changes with them
                history.erase(Contact, [row_id])
    except ProtectedError as exc:
        needed = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
        raise ValidationError(
            f"{row} is still named in the account's {', '.join(needed)}: change those first, then delete it."
        ) from None


@transaction.atomic
def accounts_settings_update(*, data: dict[str, Any], acting_user: User | None) -> AccountsSettings:
    """The program's rules, and the paper size of the workspace's reports (its own settings)."""
    rules = row_update(AccountsSettings.current(), {k: v for k, v in data.items() if k != "paper_size"})
    if "paper_size" in data:
        workspace_settings_update(data={"paper_size": data["paper_size"]}, acting_user=acting_user)
    audit_record(
        actor=acting_user, action="accounts.settings_update", obj=rules, **{k: str(v) for k, v in data.items()}
    )
    return rules


TIER_NAME_TAKEN = {"name": "A tier with this name exists already."}


def tier_save(*, tier: Tier | None, name: str, strategic: bool, needed_roles: list[str] | None = None) -> Tier:
    """A new tier (named), or a tier renamed (a blank name keeps the old one) and made strategic or not, with
    the team roles its accounts need by default (``None`` keeps them; a new tier needs all six)."""
    name = name.strip()[:60]
    roles = roles_in_order(needed_roles) if needed_roles is not None else None
    if tier is None:
        if not name:
            raise ValidationError("A tier needs a name.")
        new = Tier(name=name, order=Tier.objects.count(), strategic=strategic)
        if roles is not None:
            new.needed_roles = roles
        return row_save(new, unique_message=TIER_NAME_TAKEN)
    if (name and name != tier.name) or (roles is not None and roles != tier.needed_roles):
        tier.name = name or tier.name
        tier.needed_roles = roles if roles is not None else tier.needed_roles
        row_save(tier, unique_message=TIER_NAME_TAKEN)
    return tier_strategic_set(tier=tier, strategic=strategic)


def criterion_create(*, question: str, weight: int) -> SelectionCriterion:
    question = question.strip()[:300]
    if not question or not 1 <= weight <= 10:
        raise ValidationError("A criterion needs a question and a weight from 1 to 10.")
    return row_save(
        SelectionCriterion(question=question, weight=weight, order=SelectionCriterion.objects.count()),
        unique_message={},
    )


def incident_category_create(*, name: str) -> IncidentCategory:
    name = name.strip()[:80]
    if not name:
        raise ValidationError("A category needs a name.")
    return row_save(IncidentCategory(name=name), unique_message={"name": "This category exists already."})


def criterion_weight_set(*, criterion: SelectionCriterion, weight: int) -> None:
    """A new weight (1 to 10); every account's strategic score follows."""
    if not 1 <= weight <= 10:
        raise ValidationError({"weight": "A weight goes from 1 to 10."})
    criterion.weight = weight
    criterion.save(update_fields=["weight"])
    strategic_scores_recompute()


def criterion_toggle(*, criterion: SelectionCriterion) -> None:
    """Retire a criterion, or use it again; every account's strategic score follows."""
    criterion.active = not criterion.active
    criterion.save(update_fields=["active"])
    strategic_scores_recompute()


def incident_category_toggle(*, category: IncidentCategory) -> None:
    category.active = not category.active
    category.save(update_fields=["active"])
