"""CSV import of scorecard values: account, period, metric, value (comment and evidence optional).

It runs inside the accounts CSV import (preview with per-row errors, then all
rows or none). Each row goes through the same value service as the grid;
health and area scores are worked out once per scorecard at the end. Alerts
come from the periodic check, as for values entered in the grid.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.import_kinds import register_import_kind
from sam.models import Membership, User
from sam.roles import allowed
from scorecards import selectors, services
from scorecards.models import MetricDefinition, Period, Scorecard

PERIOD = re.compile(r"^(\d{4})-(?:Q([1-4])|H([12])|(0[1-9]|1[0-2]))$")
EXAMPLE = (
    "account,period,metric,value,comment,evidence\n"
    "Globex Logistics,2026-Q3,share_of_wallet,45,Procurement estimate,https://intranet.example/wallet\n"
    "Globex Logistics,2026-Q3,Net Promoter Score,32,,"
)


def period_by_label(label: str) -> Period:
    """An existing period by label, or one of the tenant's length from a well-formed label; never a future one."""
    label = label.strip().upper()
    existing = Period.objects.filter(label=label).first()
    if existing is None:
        length = selectors.period_length()
        example = {"quarter": "2026-Q3", "half": "2026-H2", "month": "2026-07"}[length]
        match = PERIOD.match(label)
        if match is None:
            raise ValidationError({"period": f"{label!r} is not a period: use the form {example}."})
        year, quarter, half, month = match.groups()
        given = "quarter" if quarter else "half" if half else "month"
        if given != length:
            raise ValidationError({"period": f"Scorecard periods here are {length}s: use the form {example}."})
        if not 2000 <= int(year) <= 2100:
            raise ValidationError({"period": f"{label!r}: use a year from 2000 to 2100."})
        first_month = int(quarter) * 3 - 2 if quarter else int(half) * 6 - 5 if half else int(month)
        start = date(int(year), first_month, 1)
        if start > timezone.localdate():
            raise ValidationError({"period": f"{label} has not started yet."})
        return services.period_for(start, length)
    if existing.start > timezone.localdate():
        raise ValidationError({"period": f"{label} has not started yet."})
    return existing


def value_row(row: dict[str, str], lookups: Any, acting_user: User) -> None:
    account = lookups.account(row.get("account", ""))
    cache = lookups.cache
    if "role" not in cache:
        membership = Membership.objects.filter(user=acting_user).first()
        cache["role"] = membership.role if membership else None
    role = cache["role"]
    if not allowed(role, "account.edit_team_work", user=acting_user, obj=account):
        raise ValidationError({"account": f"You cannot enter scorecard values for {account.name}."})
    period = period_by_label(row.get("period", ""))
    scorecard = services.scorecard_for(account=account, period=period)
    wanted = row.get("metric", "").strip()
    metric = (
        MetricDefinition.objects.filter(version_id=scorecard.version_id, retired=False, key=wanted.lower()).first()
        or MetricDefinition.objects.filter(version_id=scorecard.version_id, retired=False, name__iexact=wanted).first()
    )
    if metric is None:
        raise ValidationError({"metric": f"{wanted!r} is not a metric of this scorecard (use its key or name)."})
    if metric.source != "manual":
        raise ValidationError({"metric": f"{metric.name} is computed from the product's data: it is not imported."})
    if not str(row.get("value", "")).strip():
        raise ValidationError({"value": f"Required ({metric.get_unit_display()})."})
    key = (scorecard.pk, metric.pk)
    if key in lookups.seen:
        raise ValidationError({"metric": f"Row {lookups.seen[key]} already gives this value."})
    lookups.seen[key] = lookups.row_number
    try:
        services.value_set(
            scorecard=scorecard,
            metric=metric,
            value=row.get("value", ""),
            comment=row.get("comment", ""),
            evidence=row.get("evidence", ""),
            acting_user=acting_user,
            is_admin=allowed(role, "tenant.manage_settings"),
            recompute=False,
        )
    except PermissionDenied as exc:
        raise ValidationError({"period": f"{period.label} is closed: only an admin can correct it."}) from exc
    touched: set[int] = cache.setdefault("scorecards", set())
    if not touched:
        lookups.finishers.append(lambda: _recompute(touched))
    touched.add(scorecard.pk)


def _recompute(scorecard_ids: set[int]) -> None:
    for scorecard in Scorecard.objects.filter(pk__in=scorecard_ids).select_related("account", "period", "version"):
        services.scorecard_compute(scorecard)


def register() -> None:
    register_import_kind(
        "scorecard",
        label="Scorecard values",
        required=["account", "period", "metric", "value"],
        optional=["comment", "evidence"],
        importer=value_row,
        example=EXAMPLE,
        done_url="heatmap",
    )
