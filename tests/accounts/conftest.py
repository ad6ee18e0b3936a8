from __future__ import annotations

from accounts import services
from accounts.models import Account, Tier
from sam.roles import Role


def make_account(world, name="Globex", tier="Strategic", owner_role=Role.ACCOUNT_MANAGER, **extra) -> Account:
    with world.ctx():
        owner = world.users[owner_role]
        account, _ = services.account_create(
            data={"name": name, "tier": Tier.objects.get(name=tier), "owner": owner, **extra}, acting_user=owner
        )
    return account
