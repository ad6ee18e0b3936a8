"""Who may do what on a QBR's preparation: the pages and the API ask these same questions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qbr.models import Qbr
from sam.roles import allowed

# The account's team writes the preparation down (as it plans the rest of the QBR) ...
PREPARATION_FILL = "account.edit_team_work"
# ... and the account manager who owns the account, or an admin, marks it complete (or reopens it).
PREPARATION_COMPLETE = "account.edit"


@dataclass(frozen=True)
class PreparationRights:
    fill: bool
    complete: bool


def preparation_rights(*, role: str | None, user: Any, qbr: Qbr) -> PreparationRights:
    """What this member may do on the QBR's preparation (whether the QBR still changes is the service's say)."""

    return PreparationRights(
        fill=allowed(role, PREPARATION_FILL, user=user, obj=qbr.account),
        complete=allowed(role, PREPARATION_COMPLETE, user=user, obj=qbr.account),
    )
