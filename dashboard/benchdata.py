"""Large synthetic tenants for benchmarks: a whole strategic account program per tenant, in bulk.

Each tenant (``<prefix>-000``, ``<prefix>-001``, ...) gets by default 100 accounts (most of them strategic) owned
by a few account managers, a running contract per account and one that ended in the last two years with its
renewal outcome (some lost, with a reason; some in EUR, with yearly exchange rates), 8 scorecard periods x 100
accounts scored on 20 metrics (16,000 values, each scorecard's health stored), 500 contacts asked in one survey
campaign per quarter (2,000 answers), 5,000 incidents over two years, three years of revenue by source, QBRs
of the last quarters with their milestones, plan reviews, account teams, open and overdue actions, a few open
recurring issues and mid-contract assessments.

The rows go in with one ``INSERT ... SELECT FROM unnest(...)`` statement per table (no model instances), inside
``tenant_context(tenant)``: row-level security checks each row's tenant against the tenant being seeded, so
the statements take the tenant id from the same setting. A tenant is made in one transaction: it exists
completely or not at all, and seeding again skips the tenants that exist. The data is random but repeatable
(seeded by the tenant's number) and dated relative to the day it is made.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connection, connections, models, transaction
from django.utils import timezone

from accounts import money_services
from accounts.models import (
    Account,
    AccountsSettings,
    ActionItem,
    BuyerRole,
    Contact,
    Contract,
    ExchangeRate,
    Incident,
    IncidentCategory,
    PlanReview,
    RecurringIssue,
    RevenueEntry,
    TeamAssignment,
    TeamRole,
    Tier,
)
from assessments.models import Assessment, AssessmentSettings
from qbr.calc import period_of
from qbr.models import Milestone, Qbr, QbrSettings
from sam.lifecycle import workspace_delete
from sam.models import Membership, Tenant, User
from sam.periods import period_bounds
from sam.roles import Role
from sam.tenancy.context import tenant_context
from sam.tenancy.models import TenantOwned
from sam.tenancy.rls import TENANT_EXPR
from scorecards import scoring
from scorecards.models import MetricDefinition, MetricValue, Period, Scorecard, TemplateVersion
from scorecards.selectors import current_version, period_length, spec_of
from scorecards.services import template_defaults_ensure
from voc.models import Campaign, Invitation, Question, Response, VocSettings
from voc.services import survey_defaults_ensure

CENT = Decimal("0.01")
INDUSTRIES = ["Manufacturing", "Healthcare", "Financial services", "Retail", "Energy", "Logistics"]
NAMES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Wonka",
    "Gringotts",
    "Aperture",
    "Massive",
    "Vehement",
    "Monarch",
    "Oceanic",
    "Dharma",
    "Virtucon",
    "Nakatomi",
]
KINDS = ["Industries", "Holdings", "Systems", "Group", "Labs"]
ACTIONS = [
    "Send the revised service plan",
    "Agree the upgrade window",
    "Review the open invoices",
    "Prepare the executive briefing",
    "Follow up on the survey comments",
    "Confirm the QBR agenda",
    "Close the escalation with the customer",
    "Share the roadmap under NDA",
]
INCIDENTS = [
    "Service unavailable",
    "Slow response times",
    "Failed configuration change",
    "Invoice disputed",
    "Login problems",
    "Report figures wrong",
    "Backup job failed",
    "Certificate expired",
]
COMMENTS = [
    "Reliable deliveries; invoices are sometimes late.",
    "The account team knows our business.",
    "Escalations take too long.",
    "Great support during the migration.",
    "Pricing is hard to follow.",
]
SEVERITIES = (("low", 40), ("medium", 35), ("high", 18), ("critical", 7))
OUTCOMES = (("renewed", 45), ("expanded", 25), ("contracted", 15), ("lost", 15))
EUR_RATES = ("1.07", "1.09", "1.04", "1.08", "1.11", "1.06")


@dataclass(frozen=True)
class Sizes:
    """How much one tenant holds."""

    accounts: int = 100
    periods: int = 8
    metrics: int = 20
    contacts_per_account: int = 5
    responses: int = 2000
    incidents: int = 5000
    revenue_years: int = 3


@dataclass
class Staff:
    """The people every bench tenant of one prefix shares: account managers own the accounts."""

    managers: list[Any]
    executive: Any
    members: list[Any]


# --- bulk statements ----------------------------------------------------------------------------------------


def _default(field: models.Field[Any, Any], now: datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field.column


def insert_rows(
    model: type[models.Model], rows: Mapping[str, Sequence[Any]], *, returning: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Insert rows of a tenant-owned model into the current tenant, in one statement.

    ``rows`` maps field attnames (``account_id``...) to one value per row; every other column gets the field's
    default (now for ``auto_now``). Returns the ``returning`` columns of each row, in the order given.
    """
    counts = {len(values) for values in rows.values()}
    if len(counts) != 1:
        raise ValueError("every column needs one value per row")
    if not counts.pop():
        return []
    quote = connection.ops.quote_name
    now = timezone.now()
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.attname != "tenant_id" and not f.generated  # PostgreSQL computes those
    ]
    unknown = set(rows) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    names: list[str] = ["tenant_id"]
    selected: list[str] = [TENANT_EXPR]
    select_params: list[Any] = []
    arrays: list[str] = []
    array_params: list[Any] = []
    for field in fields:
        db_type = field.db_type(connection)
        is_json = isinstance(field, models.JSONField)
        assert field.column
        names.append(quote(field.column))
        if field.attname in rows:
            values = list(rows[field.attname])
            alias = f"c{len(arrays)}"
            if is_json:
                values = [None if v is None else json.dumps(v) for v in values]
                arrays.append("%s::text[]")
                selected.append(f"u.{alias}::jsonb")
            else:
                arrays.append(f"%s::{db_type}[]")
                selected.append(f"u.{alias}")
            array_params.append(values)
        else:
            value = _default(field, now)
            if is_json:
                selected.append("%s::jsonb")
                select_params.append(json.dumps(value))
            else:
                selected.append(f"%s::{db_type}")
                select_params.append(value)
    aliases = ", ".join(f"c{n}" for n in range(len(arrays)))
    # Table and column names come from the model's metadata; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(names)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) AS u({aliases})"
    )
    if returning:
        sql += " RETURNING " + ", ".join(quote(_column(model, name)) for name in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*select_params, *array_params])
        return cursor.fetchall() if returning else []


# --- people ---------------------------------------------------------------------------------------------------


def staff_ensure(prefix: str) -> Staff:
    """The shared bench people (no password: nobody signs in as them)."""

    def person(key: str, name: str) -> Any:
        user, _ = User.objects.get_or_create(email=f"{prefix}-{key}@bench.example", defaults={"full_name": name})
        return user

    return Staff(
        managers=[person(f"manager{n}", f"Manager {n} ({prefix})") for n in range(1, 5)],
        executive=person("executive", f"Executive ({prefix})"),
        members=[person(f"member{n}", f"Team member {n} ({prefix})") for n in range(1, 3)],
    )


# --- one tenant ---------------------------------------------------------------------------------------------


def slug_of(prefix: str, index: int) -> str:
    return f"{prefix}-{index:03}"


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(CENT)


def seed_tenant(index: int, *, prefix: str, staff: Staff, sizes: Sizes, today: date | None = None) -> Any:
    """Make tenant ``<prefix>-<index>`` with all its data, in one transaction."""

    rng = random.Random(index)
    today = today or timezone.localdate()
    with transaction.atomic():
        tenant = Tenant.objects.create(
            slug=slug_of(prefix, index),
            name=f"{prefix.title()} workspace {index:03}",
        )
        with tenant_context(tenant):
            with connection.cursor() as cursor:
                # Not waiting for the disk at commit: a tenant lost in a crash is simply made again.
                cursor.execute("SET LOCAL synchronous_commit = off")
            AccountsSettings.objects.create(portfolio_band=AccountsSettings.PortfolioBand.LARGE)
            Membership.objects.bulk_create(
                [Membership(user=u, role=Role.ACCOUNT_MANAGER) for u in staff.managers]
                + [Membership(user=staff.executive, role=Role.EXECUTIVE)]
                + [Membership(user=u, role=Role.MEMBER) for u in staff.members]
            )
            _Seeder(tenant, rng, staff, sizes, today).run()
    return tenant


class _Seeder:
    def __init__(self, tenant: Any, rng: random.Random, staff: Staff, sizes: Sizes, today: date) -> None:
        self.tenant, self.rng, self.staff, self.sizes, self.today = tenant, rng, staff, sizes, today
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()

    def at(self, day: date, hour: int = 10) -> datetime:
        return datetime(day.year, day.month, day.day, hour, self.rng.randrange(60), tzinfo=self.tz)

    def run(self) -> None:
        self.settings()
        self.accounts()
        self.contracts()
        self.scorecards()
        self.surveys()
        self.incidents()
        self.revenue()
        self.qbrs()
        self.team_and_plans()
        self.actions()

    def settings(self) -> None:
        for settings_model in (VocSettings, QbrSettings, AssessmentSettings):
            settings_model.current()
        self.sources = money_services.revenue_sources()
        self.reasons = money_services.loss_reasons()

    # accounts --------------------------------------------------------------------------------------------

    def accounts(self) -> None:
        tiers = {t.name: t for t in Tier.objects.all()}
        strategic = next(t for t in tiers.values() if t.strategic)
        others = [t for t in tiers.values() if not t.strategic] or [strategic]
        rng, count = self.rng, self.sizes.accounts
        keys = (
            "name",
            "industry",
            "tier_id",
            "status",
            "owner_id",
            "annual_revenue",
            "currency",
            "strategic_score",
            "created_at",
        )
        cols: dict[str, list[Any]] = {k: [] for k in keys}
        self.account_info: list[dict[str, Any]] = []
        for n in range(count):
            tier = strategic if n % 10 < 7 else others[n % len(others)]
            revenue = rng.uniform(0.5, 20) * 1_000_000
            info = {
                "n": n,
                "tier": tier,
                "owner": self.staff.managers[n % len(self.staff.managers)],
                "currency": "EUR" if n % 5 == 0 else "USD",
                "revenue": revenue,
                "quality": rng.betavariate(5, 1.8),
                "trend": rng.uniform(-0.05, 0.05),
            }
            info["lost"] = _pick(rng, OUTCOMES) == "lost"
            self.account_info.append(info)
            cols["name"].append(f"{NAMES[n % len(NAMES)]} {KINDS[n // len(NAMES) % len(KINDS)]} {n:03}")
            cols["industry"].append(INDUSTRIES[n % len(INDUSTRIES)])
            cols["tier_id"].append(tier.pk)
            cols["status"].append(
                Account.Status.INACTIVE
                if info["lost"]
                else Account.Status.ONBOARDING
                if n % 23 == 5
                else Account.Status.AT_RISK
                if info["quality"] < 0.3
                else Account.Status.ACTIVE
            )
            cols["owner_id"].append(info["owner"].pk)
            cols["annual_revenue"].append(_money(revenue))
            cols["currency"].append(info["currency"])
            cols["strategic_score"].append(Decimal(str(round(rng.uniform(35, 95), 1))))
            cols["created_at"].append(self.now - timedelta(days=1200 + n))
        ids = insert_rows(Account, cols, returning=["id"])
        for info, (pk,) in zip(self.account_info, ids, strict=True):
            info["id"] = pk

    def contracts(self) -> None:
        years = range(self.today.year - 5, self.today.year + 1)
        insert_rows(
            ExchangeRate,
            {
                "currency": ["EUR"] * len(years),
                "valid_from": [date(y, 1, 1) for y in years],
                "rate": [Decimal(EUR_RATES[y % len(EUR_RATES)]) for y in years],
            },
        )
        rng, today = self.rng, self.today
        running: dict[str, list[Any]] = {k: [] for k in ("account_id", "title", "start", "end", "value", "currency")}
        for info in self.account_info:
            ended_on = today - timedelta(days=rng.randint(5, 720))
            value = info["revenue"] * 3 * rng.uniform(0.6, 1.0)
            outcome = "lost" if info["lost"] else _pick(rng, OUTCOMES[:3])
            change = {
                "expanded": value * rng.uniform(0.05, 0.25),
                "contracted": -value * rng.uniform(0.05, 0.2),
                "renewed": 0.0,
                "lost": None,
            }[outcome]
            info.update(ended_on=ended_on, value=value, outcome=outcome, change=change)
            if outcome == "lost":
                continue
            start = ended_on + timedelta(days=1)
            info["running_start"] = start
            running["account_id"].append(info["id"])
            running["title"].append(f"Services agreement {start.year}")
            running["start"].append(start)
            running["end"].append(start + timedelta(days=rng.choice((731, 1095))))
            running["value"].append(_money(value + change))
            running["currency"].append(info["currency"])
        running_ids = dict(insert_rows(Contract, running, returning=["account_id", "id"]))
        ended: dict[str, list[Any]] = {
            k: []
            for k in (
                "account_id",
                "title",
                "start",
                "end",
                "value",
                "currency",
                "outcome",
                "renewed_as_id",
                "value_change",
                "lost_reason_id",
                "competitor",
                "outcome_recorded_at",
                "outcome_recorded_by_id",
                "created_at",
            )
        }
        for info in self.account_info:
            end = info["ended_on"]
            start = end - timedelta(days=1095)
            lost = info["outcome"] == "lost"
            ended["account_id"].append(info["id"])
            ended["title"].append(f"Services agreement {start.year}")
            ended["start"].append(start)
            ended["end"].append(end)
            ended["value"].append(_money(info["value"]))
            ended["currency"].append(info["currency"])
            ended["outcome"].append(info["outcome"])
            ended["renewed_as_id"].append(running_ids.get(info["id"]))
            ended["value_change"].append(None if lost else _money(info["change"]))
            ended["lost_reason_id"].append(rng.choice(self.reasons).pk if lost else None)
            ended["competitor"].append(rng.choice(("", "", "Lumon Systems", "Rival Corp")) if lost else "")
            ended["outcome_recorded_at"].append(min(self.now, self.at(end - timedelta(days=rng.randint(0, 20)))))
            ended["outcome_recorded_by_id"].append(info["owner"].pk)
            ended["created_at"].append(self.at(start))
        ended_ids = insert_rows(Contract, ended, returning=["account_id", "id"])
        for info, (_, pk) in zip(self.account_info, ended_ids, strict=True):
            info["running_id"] = running_ids.get(info["id"])
            info["ended_id"] = pk

    # scorecards ------------------------------------------------------------------------------------------

    def scorecards(self) -> None:
        version = current_version(template_defaults_ensure())
        metrics = list(version.metrics.filter(retired=False).order_by("order", "pk"))
        extra = self.sizes.metrics - len(metrics)
        if extra > 0:
            MetricDefinition.objects.bulk_create(
                [
                    MetricDefinition(
                        version=version,
                        key=f"extra_{n}",
                        area=("execution", "involvement", "financial", "competitive_position")[n % 4],
                        name=f"Extra measure {n}",
                        target=Decimal(10),
                        amber=Decimal(6),
                        red=Decimal(0),
                        order=50 + n,
                    )
                    for n in range(extra)
                ]
            )
            metrics = list(version.metrics.filter(retired=False).order_by("order", "pk"))
        metrics = metrics[: self.sizes.metrics]
        TemplateVersion.objects.filter(pk=version.pk).update(in_use=True)
        specs = [spec_of(m) for m in metrics]
        weights = {k: float(v) for k, v in version.area_weights.items()}
        periods = self.periods_ensure()
        self.periods = periods
        rng = self.rng
        cards: dict[str, list[Any]] = {
            k: [] for k in ("account_id", "period_id", "version_id", "health", "area_scores", "computed_at")
        }
        values: list[list[Decimal]] = []
        last = len(periods) - 1
        for info in self.account_info:
            for p_index, period in enumerate(periods):
                quality = min(1.0, max(0.0, info["quality"] + info["trend"] * (p_index - last) + rng.gauss(0, 0.06)))
                row, by_key = [], {}
                for m, spec in zip(metrics, specs, strict=True):
                    share = min(1.15, max(-0.1, quality + rng.gauss(0, 0.15)))
                    value = float(m.red) + (float(m.target) - float(m.red)) * share
                    if m.min_value is not None:
                        value = max(value, float(m.min_value))
                    if m.max_value is not None:
                        value = min(value, float(m.max_value))
                    if m.unit in ("number", "days"):
                        value = max(value, 0.0)
                    row.append(_money(value))
                    by_key[spec.key] = float(row[-1])
                result = scoring.health(specs, by_key, weights)
                values.append(row)
                cards["account_id"].append(info["id"])
                cards["period_id"].append(period.pk)
                cards["version_id"].append(version.pk)
                cards["health"].append(scoring.as_decimal(result.overall))
                cards["area_scores"].append({a: round(s, 1) for a, s in result.areas.items()})
                cards["computed_at"].append(self.now)
        card_ids = insert_rows(Scorecard, cards, returning=["id"])
        per = len(metrics)
        insert_rows(
            MetricValue,
            {
                "scorecard_id": [pk for (pk,) in card_ids for _ in range(per)],
                "metric_id": [m.pk for _ in card_ids for m in metrics],
                "value": [v for row in values for v in row],
            },
        )

    def periods_ensure(self) -> list[Any]:
        """The last ``periods`` periods of the tenant's length up to today, oldest first (as ``period_for`` makes
        them, in one statement)."""

        length, wanted, day = period_length(), {}, self.today
        for _ in range(self.sizes.periods):
            label, start, end = period_bounds(day, length)
            wanted[label] = (start, end)
            day = start - timedelta(days=1)
        known = {p.label for p in Period.objects.filter(label__in=list(wanted))}
        missing = [(label, bounds) for label, bounds in wanted.items() if label not in known]
        insert_rows(
            Period,
            {
                "label": [label for label, _ in missing],
                "length": [length] * len(missing),
                "start": [b[0] for _, b in missing],
                "end": [b[1] for _, b in missing],
            },
        )
        return list(Period.objects.filter(label__in=list(wanted)).order_by("start"))

    # voice of the customer ---------------------------------------------------------------------------------

    def surveys(self) -> None:
        rng, sizes = self.rng, self.sizes
        contacts: dict[str, list[Any]] = {
            k: []
            for k in (
                "account_id",
                "name",
                "email",
                "buyer_role",
                "influence",
                "relationship_strength",
                "last_interaction",
            )
        }
        roles = list(BuyerRole.values)
        for info in self.account_info:
            for k in range(sizes.contacts_per_account):
                contacts["account_id"].append(info["id"])
                contacts["name"].append(f"Customer {info['n']:03}-{k}")
                contacts["email"].append(f"person{k}@account{info['n']:03}.example")
                contacts["buyer_role"].append(roles[k % len(roles)])
                contacts["influence"].append(rng.randint(1, 5))
                contacts["relationship_strength"].append(rng.randint(1, 5))
                contacts["last_interaction"].append(self.today - timedelta(days=rng.randint(0, 200)))
        contact_rows = insert_rows(Contact, contacts, returning=["id", "account_id"])
        quality = {info["id"]: info["quality"] for info in self.account_info}
        version = survey_defaults_ensure().versions.order_by("-number").first()
        assert version is not None  # the default survey has a version
        version.in_use = True
        version.save(update_fields=["in_use"])
        questions = {q.role: q.pk for q in Question.objects.filter(version=version)}
        text_question = next((q.pk for q in Question.objects.filter(version=version, kind="text")), None)
        # One campaign per quarter over two years, the newest closed a month ago (no follow-ups are due).
        campaigns = max(1, min(8, sizes.periods))
        per_campaign = min(len(contact_rows), math.ceil(sizes.responses / campaigns))
        left = sizes.responses
        invitations: dict[str, list[Any]] = {
            k: [] for k in ("campaign_id", "contact_id", "token_hash", "status", "sent_at", "completed_at")
        }
        answered: list[tuple[int, datetime, float]] = []
        for c in range(campaigns):
            sent = self.now - timedelta(days=45 + 91 * c)
            campaign = Campaign.objects.create(
                name=f"Relationship pulse {timezone.localdate(sent):%Y-%m}",
                version=version,
                status=Campaign.Status.CLOSED,
                send_at=sent,
                sent_at=sent,
                closes_at=sent + timedelta(days=14),
                closed_at=sent + timedelta(days=14),
            )
            chosen = set(rng.sample(range(len(contact_rows)), min(per_campaign, left)))
            left -= len(chosen)
            for i, (contact_id, account_id) in enumerate(contact_rows):
                done = i in chosen
                submitted = sent + timedelta(seconds=rng.randint(600, 13 * 86400))
                invitations["campaign_id"].append(campaign.pk)
                invitations["contact_id"].append(contact_id)
                invitations["token_hash"].append(f"{rng.getrandbits(256):064x}")
                invitations["status"].append(Invitation.Status.COMPLETED if done else Invitation.Status.SENT)
                invitations["sent_at"].append(sent)
                invitations["completed_at"].append(submitted if done else None)
                if done:
                    answered.append((len(invitations["campaign_id"]) - 1, submitted, quality[account_id]))
        invitation_ids = insert_rows(Invitation, invitations, returning=["id"])
        responses: dict[str, list[Any]] = {
            k: [] for k in ("invitation_id", "answers", "nps", "attitude", "intent", "comment", "submitted_at")
        }
        for row, submitted, q in answered:
            nps = max(0, min(10, round(rng.gauss(4 + 6 * q, 1.4))))
            attitude = max(1, min(5, round(rng.gauss(1.5 + 3.5 * q, 0.8))))
            intent = max(1, min(5, round(rng.gauss(1.5 + 3.5 * q, 0.9))))
            comment = rng.choice(COMMENTS) if rng.random() < 0.3 else ""
            answers: dict[str, Any] = {
                str(questions.get("nps")): nps,
                str(questions.get("attitude")): attitude,
                str(questions.get("intent")): intent,
            }
            if text_question and comment:
                answers[str(text_question)] = comment
            responses["invitation_id"].append(invitation_ids[row][0])
            responses["answers"].append(answers)
            responses["nps"].append(nps)
            responses["attitude"].append(Decimal(attitude))
            responses["intent"].append(Decimal(intent))
            responses["comment"].append(comment)
            responses["submitted_at"].append(submitted)
        insert_rows(Response, responses)

    # incidents, revenue -------------------------------------------------------------------------------------

    def incidents(self) -> None:
        rng = self.rng
        categories = [c.pk for c in IncidentCategory.objects.all()]
        # Accounts in poor health have more incidents.
        weights = [0.3 + (1 - info["quality"]) * 2 for info in self.account_info]
        ids = [info["id"] for info in self.account_info]
        count = self.sizes.incidents
        cols: dict[str, list[Any]] = {
            k: []
            for k in ("account_id", "category_id", "severity", "opened_at", "resolved_at", "summary", "external_ref")
        }
        for n, account_id in enumerate(rng.choices(ids, weights=weights, k=count)):
            opened = self.now - timedelta(seconds=rng.randint(3600, 730 * 86400))
            open_still = opened > self.now - timedelta(days=5) and rng.random() < 0.5
            cols["account_id"].append(account_id)
            cols["category_id"].append(rng.choice(categories))
            cols["severity"].append(_pick(rng, SEVERITIES))
            cols["opened_at"].append(opened)
            cols["resolved_at"].append(None if open_still else opened + timedelta(minutes=rng.randint(20, 4320)))
            cols["summary"].append(rng.choice(INCIDENTS))
            cols["external_ref"].append(f"INC-{n:06}")
        insert_rows(Incident, cols)
        worst = sorted(self.account_info, key=lambda i: i["quality"])[: max(1, len(self.account_info) // 20)]
        insert_rows(
            RecurringIssue,
            {
                "account_id": [i["id"] for i in worst],
                "category_id": [categories[n % len(categories)] for n in range(len(worst))],
                "owner_id": [i["owner"].pk for i in worst],
                "status": [RecurringIssue.Status.OPEN] * len(worst),
                "opened_at": [self.now - timedelta(days=rng.randint(3, 60)) for _ in worst],
            },
        )

    def revenue(self) -> None:
        split = [0.15, 0.25, 0.2, 0.4]
        cols: dict[str, list[Any]] = {
            k: [] for k in ("account_id", "year", "quarter", "source_id", "amount", "currency")
        }
        for info in self.account_info:
            for back in range(self.sizes.revenue_years):
                scale = 1 - 0.08 * back + self.rng.uniform(-0.05, 0.05)
                for s_index, source in enumerate(self.sources):
                    cols["account_id"].append(info["id"])
                    cols["year"].append(self.today.year - back)
                    cols["quarter"].append(0)
                    cols["source_id"].append(source.pk)
                    cols["amount"].append(_money(info["revenue"] * split[s_index % len(split)] * scale))
                    cols["currency"].append(info["currency"])
        insert_rows(RevenueEntry, cols)

    # QBRs, teams, plans, actions --------------------------------------------------------------------------------

    def qbrs(self) -> None:
        rng, today = self.rng, self.today
        quarters, day = [], today
        for _ in range(5):  # this quarter and the four before it
            period = period_of(day, 3)
            quarters.append(period)
            day = period.start - timedelta(days=1)
        cols: dict[str, list[Any]] = {
            k: []
            for k in ("account_id", "period_label", "period_start", "period_end", "scheduled_at", "status", "held_at")
        }
        current_rows = []
        for info in self.account_info:
            if not info["tier"].strategic or info["lost"]:
                continue
            for q_index, period in enumerate(quarters):
                middle = period.start + (period.end - period.start) / 2
                if q_index == 0 and middle < today and rng.random() < 0.6:
                    status, held, scheduled = Qbr.Status.HELD, self.at(middle), self.at(middle)
                elif q_index == 0:
                    day = max(middle, today + timedelta(days=rng.randint(2, 25)))
                    status, held, scheduled = Qbr.Status.PLANNED, None, self.at(day)
                    current_rows.append(len(cols["account_id"]))
                elif rng.random() < 0.88:
                    status, held, scheduled = Qbr.Status.HELD, self.at(middle), self.at(middle)
                elif rng.random() < 0.5:
                    continue  # never planned
                else:
                    status, held, scheduled = Qbr.Status.CANCELLED, None, None
                cols["account_id"].append(info["id"])
                cols["period_label"].append(period.label)
                cols["period_start"].append(period.start)
                cols["period_end"].append(period.end)
                cols["scheduled_at"].append(scheduled)
                cols["status"].append(status)
                cols["held_at"].append(held)
        ids = insert_rows(Qbr, cols, returning=["id"])
        milestones: dict[str, list[Any]] = {k: [] for k in ("qbr_id", "kind", "due", "done_at")}
        offsets = {
            Milestone.Kind.INVITE: -30,
            Milestone.Kind.AGENDA: -14,
            Milestone.Kind.PREREAD: -7,
            Milestone.Kind.MINUTES: 2,
        }
        for row in current_rows:
            held_on = timezone.localdate(cols["scheduled_at"][row])
            for kind, offset in offsets.items():
                due = held_on + timedelta(days=offset)
                milestones["qbr_id"].append(ids[row][0])
                milestones["kind"].append(kind)
                milestones["due"].append(due)
                milestones["done_at"].append(self.at(due) if due < today and rng.random() < 0.92 else None)
        insert_rows(Milestone, milestones)

    def team_and_plans(self) -> None:
        rng = self.rng
        people = [self.staff.executive, *self.staff.members, *self.staff.managers]
        others = [r for r in TeamRole.values if r != TeamRole.ACCOUNT_MANAGER]
        team: dict[str, list[Any]] = {"account_id": [], "user_id": [], "role": []}
        reviews: dict[str, list[Any]] = {k: [] for k in ("account_id", "version", "reviewed_at", "reviewed_by_id")}
        assessments: dict[str, list[Any]] = {
            k: [] for k in ("account_id", "contract_id", "title", "status", "started_on", "currency", "created_by_id")
        }
        for info in self.account_info:
            team["account_id"].append(info["id"])
            team["user_id"].append(info["owner"].pk)
            team["role"].append(TeamRole.ACCOUNT_MANAGER)
            roles = others if rng.random() < 0.7 else rng.sample(others, rng.randint(2, len(others) - 1))
            for role in roles:
                team["account_id"].append(info["id"])
                team["user_id"].append(rng.choice(people).pk)
                team["role"].append(role)
            if rng.random() < 0.85:
                reviews["account_id"].append(info["id"])
                reviews["version"].append(1)
                reviews["reviewed_at"].append(self.now - timedelta(days=rng.randint(1, 120)))
                reviews["reviewed_by_id"].append(info["owner"].pk)
            if info.get("running_id") and rng.random() < 0.2:
                assessments["account_id"].append(info["id"])
                assessments["contract_id"].append(info["running_id"])
                assessments["title"].append(f"Mid-contract assessment {self.today.year}")
                assessments["status"].append(rng.choice(Assessment.Status.values))
                assessments["started_on"].append(max(info["running_start"], self.today - timedelta(days=60)))
                assessments["currency"].append(info["currency"])
                assessments["created_by_id"].append(info["owner"].pk)
        insert_rows(TeamAssignment, team)
        insert_rows(PlanReview, reviews)
        insert_rows(Assessment, assessments)

    def actions(self) -> None:
        rng = self.rng
        people = [*self.staff.managers, *self.staff.members, self.staff.executive]
        cols: dict[str, list[Any]] = {
            k: [] for k in ("account_id", "title", "owner_id", "due", "status", "created_at", "closed_at")
        }
        for info in self.account_info:
            for _ in range(rng.randint(0, 4)):
                status = rng.choice(
                    (
                        ActionItem.Status.OPEN,
                        ActionItem.Status.OPEN,
                        ActionItem.Status.IN_PROGRESS,
                        ActionItem.Status.DONE,
                    )
                )
                created = self.now - timedelta(days=rng.randint(10, 120))
                cols["account_id"].append(info["id"])
                cols["title"].append(rng.choice(ACTIONS))
                cols["owner_id"].append(info["owner"].pk if rng.random() < 0.6 else rng.choice(people).pk)
                cols["due"].append(self.today + timedelta(days=rng.randint(-45, 45)))
                cols["status"].append(status)
                cols["created_at"].append(created)
                cols["closed_at"].append(created + timedelta(days=5) if status == ActionItem.Status.DONE else None)
        insert_rows(ActionItem, cols)


# --- many tenants -------------------------------------------------------------------------------------------


def owned_tables() -> list[str]:
    """Every tenant-owned table."""

    return [m._meta.db_table for m in apps.get_models() if issubclass(m, TenantOwned) and not m._meta.proxy]


def tables() -> list[str]:
    """The tables bench tenants fill: every tenant-owned one, and the tenants and users themselves."""
    return ["sam_tenant", "sam_user", *owned_tables()]


def vacuum_analyze(names: Iterable[str] | None = None) -> bool:
    """VACUUM ANALYZE the bench tables (or the ``names`` given) as the owner role (the app role may not), so
    queries right after seeding are planned with statistics that know the new rows. False when no owner role is
    configured."""

    owner = getattr(settings, "DB_OWNER", None)
    if not owner:
        return False
    db = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=str(db["NAME"]),
        user=str(owner["USER"]),
        password=str(owner["PASSWORD"]) or None,
        host=str(owner["HOST"]) or None,
        port=str(owner["PORT"]) or None,
        autocommit=True,
    ) as conn:
        for table in tables() if names is None else names:
            conn.execute(f'VACUUM ANALYZE "{table}"')  # names from the models' metadata or the bench's constants
    return True


def numbered(prefix: str) -> Any:
    """The prefix's numbered tenants (``<prefix>-000``...)."""

    return Tenant.objects.filter(slug__regex=rf"^{prefix}-[0-9]{{3}}$")


def seed_tenants(
    count: int,
    *,
    prefix: str = "bench",
    user: Any = None,
    sizes: Sizes | None = None,
    jobs: int = 1,
    say: Callable[[str], None] = lambda _: None,
) -> list[Any]:
    """Tenants ``<prefix>-000`` to ``<prefix>-<count - 1>``: the missing ones are made (by ``jobs`` processes at
    once), the others kept. ``user`` becomes an admin of each (kept tenants too, unless a member already)."""

    sizes = sizes or Sizes()
    staff = staff_ensure(prefix)
    existing = {t.slug for t in numbered(prefix)}
    missing = [n for n in range(count) if slug_of(prefix, n) not in existing]
    started = time.monotonic()
    if existing & {slug_of(prefix, n) for n in range(count)}:
        kept = count - len(missing)
        say(f"{_tenants(kept)} {'exists' if kept == 1 else 'exist'} already, kept")
    parallel = jobs > 1 and len(missing) > 1
    work = [(n, prefix, staff, sizes, parallel) for n in missing]
    if parallel:
        # Forked workers must not share the parent's database connection: each opens its own.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            for slug, seconds in pool.map(_seed_one, work):
                say(f"{slug}: made in {seconds:.2f} s")
    else:
        for item in work:
            slug, seconds = _seed_one(item)
            say(f"{slug}: made in {seconds:.2f} s")
    tenants = list(numbered(prefix).filter(slug__in=[slug_of(prefix, n) for n in range(count)]).order_by("slug"))
    if user is not None:
        for tenant in tenants:
            with tenant_context(tenant):
                Membership.objects.get_or_create(user=user, defaults={"role": Role.ADMIN})
    say(f"{_tenants(len(missing))} made, {count} ready, in {time.monotonic() - started:.1f} s")
    return tenants


def _tenants(count: int) -> str:
    return f"{count} tenant{'' if count == 1 else 's'}"


def _seed_one(item: tuple[int, str, Staff, Sizes, bool]) -> tuple[str, float]:
    index, prefix, staff, sizes, in_worker = item
    started = time.monotonic()
    tenant = seed_tenant(index, prefix=prefix, staff=staff, sizes=sizes)
    if in_worker:
        connections.close_all()  # a worker process ends without closing its connection otherwise
    return tenant.slug, time.monotonic() - started


def drop_tenants(tenants: Sequence[Any], *, say: Callable[[str], None] = lambda _: None) -> None:
    """Delete tenants with all their rows: one DELETE per table per tenant (sam.lifecycle.workspace_delete), far
    faster than the ORM's cascade over tens of thousands of rows."""
    started = time.monotonic()
    for tenant in tenants:
        workspace_delete(tenant)
        say(f"{tenant.slug}: dropped")
    if tenants:
        say(f"{_tenants(len(tenants))} dropped in {time.monotonic() - started:.1f} s")
