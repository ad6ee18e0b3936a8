"""``/api/v1/dashboard/``: the same figures as the dashboard page, from the same code path, filters as query
parameters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from dashboard.forms import FilterForm
from dashboard.selectors import AccountRow, portfolio_review_cached


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _account(row: AccountRow) -> dict[str, Any]:
    nps = row.nps if row.nps is not None and not row.hidden else None
    return {
        "id": row.account.pk,
        "name": row.account.name,
        "tier": row.account.tier.name,
        "owner": row.account.owner.email if row.account.owner else None,
        "health": row.health,
        "band": row.band,
        "nps": nps.score if nps else None,
        "promoters": nps.promoters if nps else None,
        "passives": nps.passives if nps else None,
        "detractors": nps.detractors if nps else None,
        "segment": row.segment if not row.hidden else None,
        "satisfaction": row.satisfaction if not row.hidden else None,
        "incidents": row.incidents,
        "severe_incidents": row.severe_incidents,
        "risk_score": row.risk_score,
        "risk_reasons": row.reason_texts,
    }


def review_json(review: dict[str, Any]) -> dict[str, Any]:
    """The review as plain JSON: numbers as numbers, accounts by id and name."""
    f, r, s, q = review["filters"], review["retention"], review["surveys"], review["qbr"]
    revenue = review["revenue"]
    return {
        "filters": {
            "start": f.start,
            "end": f.end,
            "tier": f.tier_id,
            "owner": f.owner_id,
            "industry": f.industry,
            "scope": "mine" if f.mine_user_id else "all",
        },
        "base_currency": review["base"],
        "accounts": review["account_count"],
        "strategic_accounts": review["strategic_count"],
        "retention": {
            "rate": r["rate"],
            "target": r["target"],
            "met": r["met"],
            "came_up": r["came_up"],
            "retained": r["retained"],
            "lost": r["lost_count"],
            "undecided": len(r["undecided"]),
            "gross_revenue_retention": r["grr"],
            "net_revenue_retention": r["nrr"],
            "value_up_for_renewal": _number(r["base"]),
            "value_lost": _number(r["lost_value"]),
            "value_contracted": _number(r["contraction"]),
            "value_expanded": _number(r["expansion"]),
            "lost_accounts": [
                {
                    "account": c.account.name,
                    "contract": c.title,
                    "ended": c.end,
                    "reason": c.lost_reason.name if c.lost_reason else None,
                    "competitor": c.competitor or None,
                }
                for c in r["lost"]
            ],
            "reasons": [{"reason": name, "count": n} for name, n in r["reasons"]],
        },
        "health": review["health"],
        "at_risk": [_account(row) for row in review["at_risk"]],
        "surveys": {
            "nps": s["nps"].score,
            "answers": s["nps"].responses,
            "promoter_share": s["nps"].promoter_share,
            "passive_share": s["nps"].passive_share,
            "detractor_share": s["nps"].detractor_share,
            "segments": s["segments"],
            "trend": s["trend"],
        },
        "qbr_compliance": {
            "rate": q["rate"],
            "held": q["held"],
            "due": q["due"],
            "overdue_accounts": q["overdue"],
            "owners": [
                {
                    "owner": e["owner"].email if e["owner"] else None,
                    "accounts": e["accounts"],
                    "held": e["held"],
                    "due": e["due"],
                    "rate": e["rate"],
                    "overdue": e["late"],
                }
                for e in q["owners"]
            ],
        },
        "overdue_actions": review["actions"],
        "revenue": {
            "years": revenue["years"],
            "totals": [_number(t) for t in revenue["totals"]],
            "growth": revenue["growth"],
            "by": {
                drill: [
                    {"name": row["name"], "values": [_number(c) for c in row["cells"]], "total": _number(row["total"])}
                    for row in rows
                ]
                for drill, rows in revenue["tables"].items()
            },
        },
        "accounts_detail": [_account(row) for row in review["rows"]],
        "rates_used": [{**rate, "rate": _number(rate["rate"])} for rate in review["rates_used"]],
        "unconverted": [{**m, "amount": _number(m["amount"])} for m in review["missing"]],
    }


FILTER_PARAMETERS = [
    OpenApiParameter("scope", str, enum=["mine", "all"], description="Your accounts, or the whole portfolio."),
    OpenApiParameter("window", str, enum=["3", "6", "12", "24", "36"], description="The last N months."),
    OpenApiParameter("start", OpenApiTypes.DATE, description="The period's first day (default: 12 months ago)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="The period's last day (default: today)."),
    OpenApiParameter("tier", int, description="Only accounts of this tier (id)."),
    OpenApiParameter("owner", int, description="Only accounts owned by this user (id)."),
    OpenApiParameter("industry", str, description="Only accounts of this industry."),
    OpenApiParameter("fresh", str, enum=["1"], description="Compute now instead of using figures up to 5 minutes old."),
]


class DashboardViewSet(viewsets.ViewSet):
    """The executive's portfolio review: retention, health, risk with reasons, loyalty, QBRs, revenue."""

    required_action = "dashboard.portfolio"

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        summary="The portfolio dashboard's figures, with the page's filters",
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description=(
                    "filters, base_currency, accounts, strategic_accounts; retention (rate, target, met, came_up, "
                    "retained, lost, undecided, gross_revenue_retention, net_revenue_retention, values, "
                    "lost_accounts with reason and competitor, reasons); health (now: green/amber/red/none; trend "
                    "per period); at_risk (ranked accounts with risk_reasons in words); surveys (nps, answers, "
                    "promoter/passive/detractor shares, segments, trend); qbr_compliance (rate, held, due, "
                    "overdue_accounts, owners); overdue_actions (total, owners); revenue (years, totals, growth, by "
                    "source/tier/account); accounts_detail; rates_used; unconverted (amounts with no rate in force, "
                    "never summed); as_of (when the figures were computed, at most 5 minutes ago)."
                ),
            ),
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description=(
                    'A filter is not valid: each such parameter with its messages, e.g. {"start": [{"message": '
                    '"Enter a valid date.", "code": "invalid"}]}.'
                ),
            ),
        },
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        django_request = request._request
        form = FilterForm(request.query_params, role=django_request.membership.role)
        if not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        review, as_of = portfolio_review_cached(
            form.filters(request.user),
            tenant=django_request.tenant,
            fresh=request.query_params.get("fresh") == "1",
        )
        return Response({**review_json(review), "as_of": as_of})


__all__ = ["DashboardViewSet", "review_json", "serializers"]
