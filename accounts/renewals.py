"""Renewal outcomes: what became of a contract at its end, and the prompt to record it.

Retention (targeted accounts kept at renewal) and revenue retention are counted from these outcomes.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import events, sources
from accounts.models import RENEWED_OUTCOMES, Account, ActionItem, Contract, LossReason, Outcome
from accounts.services import action_item_add
from sam.models import User
from sam.outbox import email_enqueue
from sam.services import audit_record
from sam.tenancy.context import current_tenant
from sam.tenancy.urls import tenant_reverse

PROMPT_KEY = "outcome:{pk}"


@transaction.atomic
def contract_outcome_record(
    *,
    contract: Contract,
    outcome: str,
    acting_user: User | None,
    renewed_as: Contract | None = None,
    value_change: Decimal | None = None,
    lost_reason: LossReason | None = None,
    competitor: str = "",
    note: str = "",
    today: date | None = None,
) -> Contract:
    """Record (or correct) a contract's renewal outcome. Before the contract's end only an early renewal fits."""
    today = today or timezone.localdate()
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose renewed, renewed with expansion or contraction, lost or open."})
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.end > today and outcome not in (*RENEWED_OUTCOMES, Outcome.OPEN):
        raise ValidationError(
            {
                "outcome": f"This contract runs until {contract.end:%d %b %Y}: before its end only an early "
                "renewal can be recorded."
            }
        )
    if renewed_as is not None:
        if renewed_as.pk == contract.pk or renewed_as.account_id != contract.account_id:
            raise ValidationError({"renewed_as": "Choose another contract of this account."})
        if renewed_as.start < contract.start:
            raise ValidationError({"renewed_as": "The new contract must start after this one started."})
    if outcome == Outcome.LOST:
        if lost_reason is None or not LossReason.objects.filter(pk=lost_reason.pk).exists():
            raise ValidationError({"lost_reason": "Say why the renewal was lost."})
        renewed_as, value_change = None, None
    else:
        lost_reason, competitor = None, ""
    derivable = (
        renewed_as is not None
        and renewed_as.currency == contract.currency
        and renewed_as.value is not None
        and contract.value is not None
    )
    if outcome in RENEWED_OUTCOMES and value_change is None and derivable:
        value_change = renewed_as.value - contract.value  # type: ignore[union-attr,operator]
    if outcome == Outcome.EXPANDED and (value_change is None or value_change <= 0):
        raise ValidationError({"value_change": "An expansion adds value: give the increase (more than zero)."})
    if outcome == Outcome.CONTRACTED and (value_change is None or value_change >= 0):
        raise ValidationError({"value_change": "A contraction loses value: give the change as a negative number."})
    if value_change is not None and abs(value_change) >= Decimal("1e14"):
        raise ValidationError({"value_change": "That change is too large."})
    if outcome == Outcome.OPEN:
        renewed_as, value_change, lost_reason, competitor, note = None, None, None, "", ""
    contract.outcome = outcome
    contract.renewed_as = renewed_as
    contract.value_change = value_change
    contract.lost_reason = lost_reason
    contract.competitor = " ".join((competitor or "").split())[:200]
    contract.outcome_note = (note or "").strip()[:2000]
    # The first record's day stays (an early renewal counts on that day), however often it is corrected.
    was_recorded = contract.outcome != Outcome.OPEN and contract.outcome_recorded_at is not None
    contract.outcome_recorded_at = (
        None if outcome == Outcome.OPEN else contract.outcome_recorded_at if was_recorded else timezone.now()
    )
    contract.outcome_recorded_by = None if outcome == Outcome.OPEN else acting_user
    contract.save()
    if outcome != Outcome.OPEN:
        renewed = outcome in RENEWED_OUTCOMES
        events.timeline_event(
            account=contract.account_id,
            event=events.CONTRACT_RENEWED if renewed else events.CONTRACT_LOST,
            summary=f"{contract.title}: {contract.get_outcome_display().lower()}"
            + (f" ({lost_reason.name})" if lost_reason is not None else ""),
            key=f"contract-{'renewed' if renewed else 'lost'}:{contract.pk}",
            source_id=contract.pk,
            by=acting_user,
        )
        ActionItem.objects.filter(
            source_kind=sources.RENEWAL,
            dedupe_key=PROMPT_KEY.format(pk=contract.pk),
            status__in=ActionItem.OPEN_STATUSES,
        ).update(status=ActionItem.Status.DONE, closed_at=timezone.now())
    audit_record(
        actor=acting_user,
        action="contract.outcome",
        obj=contract,
        outcome=outcome,
        lost_reason=lost_reason.name if lost_reason else "",
        competitor=contract.competitor,
    )
    return contract


PROMPT_DAYS = 365  # contracts that ended longer ago are not chased (history from before outcomes were kept)


def outcomes_due(today: date | None = None) -> Any:
    """Contracts that ended within the last year and whose outcome nobody has recorded, on live accounts."""
    today = today or timezone.localdate()
    return (
        Contract.objects.filter(
            outcome=Outcome.OPEN,
            end__lt=today,
            end__gte=today - timedelta(days=PROMPT_DAYS),
            account__deleted_at__isnull=True,
        )
        .exclude(account__status=Account.Status.INACTIVE)
        .select_related("account", "account__owner")
    )


def outcome_prompts_send(today: date | None = None) -> int:
    """One action item for the account owner and one email per contract past its end without an outcome.

    Exactly once per contract however often it runs: the item by its dedupe key, the email by its outbox key.
    """
    tenant = current_tenant()
    assert tenant is not None
    made = 0
    for contract in outcomes_due(today):
        account, owner = contract.account, contract.account.owner
        url = tenant_reverse("account_detail", account.pk, tenant=tenant) + "?tab=contracts"
        with transaction.atomic():
            _, created = action_item_add(
                account=account,
                title=f"Record the renewal outcome of {contract.title}",
                detail=f"The contract ended on {contract.end:%d %b %Y}. Renewed, expanded, contracted or lost?",
                owner=owner,
                due=today or timezone.localdate(),
                source_kind=sources.RENEWAL,
                source_id=contract.pk,
                dedupe_key=PROMPT_KEY.format(pk=contract.pk),
            )
            if not created:
                continue
            made += 1
            if owner is not None and owner.email:
                context = {"owner": owner, "contract": contract, "account": account, "url": settings.SITE_URL + url}
                email_enqueue(
                    key=f"contract-outcome:{contract.pk}",
                    to=[owner.email],
                    subject=f"Renewal outcome to record: {account.name}, {contract.title}",
                    text=render_to_string("emails/contract_outcome.txt", context),
                )
    return made
