"""Periodic jobs of the accounts app: thin wrappers over services."""

from __future__ import annotations

from celery import shared_task

from accounts.events import timeline_backfill_once
from accounts.governance_services import decisions_sweep
from accounts.playbook_services import playbooks_check
from accounts.renewals import outcome_prompts_send
from accounts.services import recurring_issues_sweep, removed_accounts_purge
from sam.tasks_base import for_each_tenant


@shared_task(name="accounts.tasks.recurring_issues_sweep_all")
def recurring_issues_sweep_all() -> int:
    """Open recurring issues the incident-time check may have missed (imports, clock skew). Idempotent."""
    return sum(for_each_tenant(lambda tenant: recurring_issues_sweep()))


@shared_task(name="accounts.tasks.removed_accounts_purge_all")
def removed_accounts_purge_all() -> int:
    """Removed accounts past their workspace's retention: deleted for good. Idempotent."""
    return sum(for_each_tenant(lambda tenant: removed_accounts_purge()))


@shared_task(name="accounts.tasks.outcome_prompts_all")
def outcome_prompts_all() -> int:
    """Ask owners for the renewal outcome of contracts past their end: once per contract. Idempotent."""

    return sum(for_each_tenant(lambda tenant: outcome_prompts_send()))


@shared_task(name="accounts.tasks.decisions_sweep_all")
def decisions_sweep_all() -> int:
    """Overdue customer decisions: to the account owner, then to the Executive Partner. Idempotent."""
    return sum(for_each_tenant(lambda tenant: decisions_sweep()))


@shared_task(name="accounts.tasks.playbooks_check_all")
def playbooks_check_all() -> int:
    """Fire the playbooks whose triggers became true, clear those no longer true: one pass per workspace, a
    bounded number of queries per playbook. Idempotent (one live run per playbook, account and subject). The first
    pass after an upgrade puts the events from before the timeline on it, so nobody looks quiet for want of them."""

    def check(tenant: object) -> int:
        timeline_backfill_once()
        return playbooks_check()

    return sum(for_each_tenant(check))
