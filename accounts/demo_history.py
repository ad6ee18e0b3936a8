"""Demo: a few edits made by the people of the workspace after the data arrived, so that each account's History
tab shows who changed which field and when, beside the rows the demo made (development only, idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts import services
from accounts.models import Account, ActionItem, Deliverable
from sam.models import DataChange, Membership, Tenant
from sam.roles import Role
from sam.tenancy.context import origin, tenant_context


def seed_history(tenant: Tenant) -> None:
    """Inside tenant_context(tenant): as each account's owner, mark a deliverable reviewed and move an action on."""
    if DataChange.objects.filter(actor_id__isnull=False).exists():
        return
    owners = {m.user_id: m for m in Membership.objects.filter(role=Role.ACCOUNT_MANAGER)}
    today = timezone.localdate()
    for account in Account.objects.alive().filter(owner_id__in=owners).select_related("owner").order_by("name")[:4]:
        owner = account.owner
        assert owner is not None
        with origin("demo data: the owner's edits"), tenant_context(tenant, user_id=owner.pk):
            deliverable = Deliverable.objects.filter(account=account).order_by("role").first()
            if deliverable is not None:
                services.deliverable_update(
                    deliverable=deliverable,
                    data={
                        "status": Deliverable.Status.CURRENT,
                        "last_reviewed": today - timedelta(days=3),
                        "note": "Reviewed with the customer's operations lead.",
                    },
                )
            item = ActionItem.objects.filter(account=account, status=ActionItem.Status.OPEN).order_by("pk").first()
            if item is not None:
                due = (item.due or today) + timedelta(days=7)
                services.action_item_update(item=item, data={"due": due}, acting_user=owner)
