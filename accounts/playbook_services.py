"""Playbooks: what the team does when a signal appears. Admins define them (a trigger and ordered steps); the
check (beat, every few minutes) fires each playbook for the accounts its trigger became true for and puts the
steps into the account's action register as one group, exactly once per firing: a trigger that stays true does
not fire again until it has cleared."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import events, sources, triggers
from accounts.models import Account, ActionItem, Playbook, PlaybookRun, PlaybookStep, TeamAssignment, TeamRole
from accounts.services import action_item_add
from sam.models import Membership, User
from sam.outbox import email_enqueue
from sam.permissions import require_member
from sam.services import audit_record, text_value
from sam.tenancy.context import current_tenant
from sam.tenancy.urls import tenant_reverse

log = logging.getLogger(__name__)

PLAYBOOK_SOURCE = "playbook"
MAX_STEPS = 20
MAX_DAYS = 3650


def register_own() -> None:
    sources.register_source(
        PLAYBOOK_SOURCE,
        "Playbook",
        lambda item, slug: tenant_reverse("account_detail", item.account_id, slug=slug) + "?tab=actions",
    )


# --- defining playbooks -----------------------------------------------------------------------------------------


def _steps_clean(steps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if not steps:
        raise ValidationError({"steps": "A playbook needs at least one step."})
    if len(steps) > MAX_STEPS:
        raise ValidationError({"steps": f"At most {MAX_STEPS} steps."})
    roles = dict(PlaybookStep.role_choices())
    clean = []
    for number, step in enumerate(steps, start=1):
        title = text_value(step.get("title", ""), "steps", limit=300)
        if not title:
            raise ValidationError({"steps": f"Step {number} needs a title."})
        role = step.get("role", PlaybookStep.OWNER)
        if role not in roles:
            raise ValidationError({"steps": f"Step {number}: no such role on the account team."})
        due = step.get("due_days", 0)
        if isinstance(due, bool) or not isinstance(due, int) or due < 0 or due > MAX_DAYS:
            raise ValidationError(
                {"steps": f"Step {number}: the due offset is a whole number of days, 0 to {MAX_DAYS}."}
            )
        clean.append({"title": title, "role": role, "due_days": due})
    return clean


@transaction.atomic
def playbook_save(
    *,
    playbook: Playbook | None = None,
    name: Any,
    trigger: Any,
    days: Any = None,
    active: bool = True,
    steps: Sequence[dict[str, Any]],
    acting_user: User | None,
) -> Playbook:
    """Make a playbook, or change one (its steps replaced; steps already in registers stay as they are)."""
    require_member(acting_user, "playbook.manage")
    title = text_value(name, "name", limit=120, required=True)
    found = triggers.trigger(trigger) if isinstance(trigger, str) else None
    if found is None:
        raise ValidationError({"trigger": "Choose one of the triggers."})
    if found.takes_days:
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise ValidationError({"days": f"{found.days_label}: a whole number from 1 to {MAX_DAYS}."})
    else:
        days = None
    clean = _steps_clean(steps)
    if playbook is None:
        playbook = Playbook(name=title, trigger=found.key, days=days, active=active)
        playbook.save()
        action = "playbook.create"
    else:
        playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
        playbook.name, playbook.trigger, playbook.days, playbook.active = title, found.key, days, active
        playbook.save()
        PlaybookStep.objects.filter(playbook=playbook).delete()
        action = "playbook.update"
    PlaybookStep.objects.bulk_create(
        PlaybookStep(playbook=playbook, order=i, title=s["title"], role=s["role"], due_days=s["due_days"])
        for i, s in enumerate(clean)
    )
    audit_record(actor=acting_user, action=action, obj=playbook, trigger=found.key, steps=len(clean))
    return playbook


def playbook_set_active(*, playbook: Playbook, active: bool, acting_user: User | None) -> Playbook:
    require_member(acting_user, "playbook.manage")
    Playbook.objects.filter(pk=playbook.pk).update(active=active)
    playbook.active = active
    audit_record(actor=acting_user, action="playbook.activate" if active else "playbook.pause", obj=playbook)
    return playbook


@transaction.atomic
def playbook_delete(*, playbook: Playbook, acting_user: User | None) -> None:
    """A playbook that never fired goes; one with history is paused instead (its groups stay readable)."""
    require_member(acting_user, "playbook.manage")
    if PlaybookRun.objects.filter(playbook=playbook).exists():
        raise ValidationError("This playbook has fired before: pause it instead, so its history stays.")
    audit_record(actor=acting_user, action="playbook.delete", obj=playbook, name=playbook.name)
    playbook.delete()


# The playbooks every workspace starts with (admins change or pause them). The detractor and red-health ones
# carry on the follow-ups the product made before playbooks existed.
AM, EP, CSM = TeamRole.ACCOUNT_MANAGER.value, TeamRole.EXECUTIVE_PARTNER.value, TeamRole.CUSTOMER_SERVICE_MANAGER.value
DEFAULTS: list[dict[str, Any]] = [
    {
        "key": "detractor",
        "name": "Detractor answer",
        "trigger": "detractor",
        "steps": [
            ("Call the contact to hear them out", AM, 2),
            ("Agree a recovery plan with the customer", AM, 7),
            ("Brief the Executive Partner on the detractor and the plan", EP, 7),
            ("Check back with the contact on the plan's progress", CSM, 30),
        ],
    },
    {
        "key": "health_red",
        "name": "Health turned red",
        "trigger": "health_red",
        "steps": [
            ("Find out why health is red: the metrics below target", AM, 7),
            ("Agree a plan for the metrics below target with the customer", AM, 14),
            ("Review the recovery plan with the Executive Partner", EP, 21),
        ],
    },
    {
        "key": "area_drop",
        "name": "Scorecard area dropped two bands",
        "trigger": "area_drop",
        "steps": [("Find out why the area fell from green to red and agree a plan", AM, 14)],
    },
    {
        "key": "renewal",
        "name": "Renewal in 120 days",
        "trigger": "renewal_within",
        "days": 120,
        "steps": [
            ("Review health, survey answers and open issues ahead of the renewal", AM, 7),
            ("Meet the economic buyer about the renewal", EP, 30),
            ("Send the renewal proposal", AM, 60),
        ],
    },
]


def playbook_defaults_ensure() -> int:
    """The default playbooks, once per workspace (by key: one an admin removed or changed is left alone).
    Returns how many were made now."""
    have = set(Playbook.objects.exclude(key="").values_list("key", flat=True))
    made = 0
    for spec in DEFAULTS:
        if spec["key"] in have or triggers.trigger(spec["trigger"]) is None:
            continue
        try:
            with transaction.atomic():
                playbook = Playbook.objects.create(
                    key=spec["key"], name=spec["name"], trigger=spec["trigger"], days=spec.get("days")
                )
                PlaybookStep.objects.bulk_create(
                    PlaybookStep(playbook=playbook, order=i, title=t, role=r, due_days=d)
                    for i, (t, r, d) in enumerate(spec["steps"])
                )
        except IntegrityError:  # made meanwhile
            continue
        made += 1
    return made


# --- firing -----------------------------------------------------------------------------------------------------


def _owner_of(
    step: PlaybookStep, account: Account, team: dict[tuple[int, str], User], members: set[int]
) -> User | None:
    """Who holds the step's role on the account team, else the account owner (a member of the workspace)."""
    user = team.get((account.pk, step.role)) if step.role != PlaybookStep.OWNER else None
    if user is None or user.pk not in members:
        user = account.owner if account.owner_id in members else None
    return user


def playbooks_check(*, now: datetime | None = None) -> int:
    """One pass over the current workspace's active playbooks: each trigger is evaluated once for the whole
    portfolio; what became true fires (a run and its steps), what is no longer true clears. A bounded number of
    queries per playbook, plus the work of each firing. Returns how many fired."""
    now = now or timezone.now()
    playbooks = list(Playbook.objects.filter(active=True).prefetch_related("steps"))
    if not playbooks:
        return 0
    live = {
        (r.playbook_id, r.account_id, r.subject): r.pk
        for r in PlaybookRun.objects.filter(cleared_at__isnull=True, playbook__in=playbooks).only(
            "pk", "playbook_id", "account_id", "subject"
        )
    }
    evaluated: dict[tuple[str, int | None], triggers.Firing] = {}
    due: list[tuple[Playbook, int, str, str]] = []
    clear: list[int] = []
    for playbook in playbooks:
        found = triggers.trigger(playbook.trigger)
        if found is None:
            continue
        key = (found.key, playbook.days)
        if key not in evaluated:
            evaluated[key] = found.evaluate(playbook.days, now)
        true = evaluated[key]
        due += [
            (playbook, a, s, reason)
            for (a, s), reason in true.items()
            if reason is not None and (playbook.pk, a, s) not in live
        ]
        clear += [pk for (p, a, s), pk in live.items() if p == playbook.pk and (a, s) not in true]
    if clear:
        PlaybookRun.objects.filter(pk__in=clear, cleared_at__isnull=True).update(cleared_at=now)
    if not due:
        return 0
    account_ids = {a for _, a, _, _ in due}
    accounts = {a.pk: a for a in Account.objects.filter(pk__in=account_ids).select_related("owner")}
    team = {
        (t.account_id, t.role): t.user
        for t in TeamAssignment.objects.filter(account_id__in=account_ids).select_related("user").order_by("-pk")
    }
    members = set(Membership.objects.values_list("user_id", flat=True))
    fired = 0
    for playbook, account_id, subject, reason in due:
        account = accounts.get(account_id)
        if account is None:
            continue
        try:
            with transaction.atomic():
                _fire(playbook, account, subject, reason, now, team, members)
        except IntegrityError:  # another pass fired it a moment ago
            continue
        except Exception:  # one firing's trouble must not hold up the others
            log.exception("playbook %s for account %s failed; the next pass tries again", playbook.pk, account_id)
            continue
        fired += 1
    return fired


def _fire(
    playbook: Playbook,
    account: Account,
    subject: str,
    reason: str,
    now: datetime,
    team: dict[tuple[int, str], User],
    members: set[int],
) -> PlaybookRun:
    run = PlaybookRun.objects.create(playbook=playbook, account=account, subject=subject, reason=reason, fired_at=now)
    today = timezone.localdate(now)
    headline = reason.split(". ", 1)[0].rstrip(".")[:160]  # who or what, in the step's title
    items: list[ActionItem] = []
    for step in playbook.steps.all():
        item, _ = action_item_add(
            account=account,
            title=f"{step.title} — {headline}"[:300],
            owner=_owner_of(step, account, team, members),
            due=today + timedelta(days=step.due_days),
            detail=f"{playbook.name}: {reason}",
            source_kind=PLAYBOOK_SOURCE,
            source_id=run.pk,
            dedupe_key=f"playbook:{run.pk}:{step.pk}",
            playbook_run=run,
        )
        items.append(item)
    found = triggers.trigger(playbook.trigger)
    if found is not None and found.on_fire is not None:
        found.on_fire(run, items)
    events.timeline_event(
        account=account,
        event=events.PLAYBOOK_FIRED,
        summary=f"Playbook \u201c{playbook.name}\u201d started ({len(items)} steps): {reason}",
        key=f"playbook-run:{run.pk}",
        at=now,
        source_id=run.pk,
    )
    _notify(run, account, items)
    return run


def _notify(run: PlaybookRun, account: Account, items: list[ActionItem]) -> None:
    """One email to each owner of a step, listing theirs."""
    tenant = current_tenant()
    if tenant is None:
        return
    link = settings.SITE_URL + tenant_reverse("account_detail", account.pk, tenant=tenant) + "?tab=actions"
    owners: dict[int, tuple[User, list[ActionItem]]] = {}
    for item in items:
        if item.owner is not None and item.owner.email:
            owners.setdefault(item.owner.pk, (item.owner, []))[1].append(item)
    for user, mine in owners.values():
        lines = "\n".join(f"- {i.title} (due {i.due:%d %b %Y})" for i in mine if i.due)
        email_enqueue(
            key=f"playbook:{run.pk}:{user.pk}",
            to=[user.email],
            subject=f"{run.playbook.name}: {account.name} [{tenant.name}]",
            text=f"{run.reason}\n\nYour steps:\n{lines}\n\nThe steps are on the account's actions:\n{link}\n",
        )
