"""CSV import of accounts, contacts and incidents: preview with per-row errors, then all-or-nothing.

A check and a commit run the very same code: every row goes through the
same service as a form would, inside one transaction; a check always rolls
back, a commit rolls back too unless every row passed.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts import services
from accounts.import_kinds import import_kind, register_import_kind
from accounts.models import Account, BuyerRole, ImportBatch, Incident, IncidentCategory, Tier
from sam.csvsafe import neutralise
from sam.models import Membership, User
from sam.numbers import whole

MAX_ROWS = 5000


class CsvError(Exception):
    """The file as a whole cannot be read."""


def parse_csv(raw: bytes, kind: str) -> list[dict[str, str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError("The file is not UTF-8 text. Save it as 'CSV UTF-8' and upload again.") from exc
    if "\x00" in text:
        raise CsvError("The file contains NUL characters: it is not a CSV text file.")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise CsvError("The file is empty.")
    header = [h.strip().lower() for h in reader.fieldnames]
    spec = import_kind(kind)
    if spec is None:
        raise CsvError("Unknown kind of import.")
    required, optional = spec.required, spec.optional
    missing = [c for c in required if c not in header]
    if missing:
        raise CsvError(f"Missing column(s): {', '.join(missing)}. Expected: {', '.join(required + optional)}.")
    unknown = [h for h in header if h not in required + optional]
    if unknown:
        raise CsvError(f"Unknown column(s): {', '.join(unknown)}. Expected: {', '.join(required + optional)}.")
    rows = []
    for raw_row in reader:
        rows.append({k.strip().lower(): neutralise((v or "").strip()) for k, v in raw_row.items() if k is not None})
        if len(rows) > MAX_ROWS:
            raise CsvError(f"More than {MAX_ROWS} rows: split the file.")
    if not rows:
        raise CsvError("The file has a header but no rows.")
    return rows


def batch_create(*, kind: str, raw: bytes, filename: str, acting_user: User) -> ImportBatch:
    rows = parse_csv(raw, kind)
    batch = ImportBatch(kind=kind, filename=filename[:200], rows=rows, created_by=acting_user)
    batch.errors = run(batch, acting_user=acting_user, commit=False)
    batch.save()
    return batch


def batch_commit(*, batch: ImportBatch, acting_user: User) -> list[list[Any]]:
    """Save every row, or none: returns the errors (empty when saved)."""
    errors = run(batch, acting_user=acting_user, commit=True)
    batch.errors = errors
    if not errors:
        batch.committed_at = timezone.now()
    batch.save(update_fields=["errors", "committed_at", "warning"])
    return errors


def run(batch: ImportBatch, *, acting_user: User, commit: bool) -> list[list[Any]]:
    """Every row through its service in one transaction; rolled back unless committing a clean file.

    The last warning (e.g. the portfolio cap) is kept on the batch for the preview.
    """
    spec = import_kind(batch.kind)
    assert spec is not None  # the batch's kind was validated when it was made
    importer = spec.importer
    errors: list[list[Any]] = []
    with transaction.atomic():
        lookups = _Lookups()
        for number, row in enumerate(batch.rows, start=2):  # row 1 is the header
            lookups.row_number = number
            try:
                with transaction.atomic():
                    importer(row, lookups, acting_user)
            except ValidationError as exc:
                errors.append([number, _messages(exc)])
        if not errors:
            for finish in lookups.finishers:  # work done once for the whole file, e.g. recomputing
                finish()
        batch.warning = lookups.warnings[-1] if lookups.warnings else ""
        if errors or not commit:
            transaction.set_rollback(True)
    return errors


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {msg}" for field, msgs in exc.message_dict.items() for msg in msgs]
    return list(exc.messages)


class _Lookups:
    """Names in the CSV resolved to this tenant's rows (cached for the run)."""

    def __init__(self) -> None:
        self.tiers = {t.name.lower(): t for t in Tier.objects.all()}
        self.categories = {c.name.lower(): c for c in IncidentCategory.objects.filter(active=True)}
        self.members = {m.user.email.lower(): m.user for m in Membership.objects.select_related("user")}
        self.warnings: list[str] = []
        self.finishers: list[Any] = []
        self.seen: dict[Any, int] = {}  # for importers that refuse the same thing twice in one file
        self.row_number = 0
        self.cache: dict[str, Any] = {}  # free for importers to keep their own lookups

    def account(self, name: str, field: str = "account") -> Account:
        found = Account.objects.alive().filter(name__iexact=name).first() if name else None
        if found is None:
            raise ValidationError({field: f"No account named {name!r}."})
        return found


def _choice(value: str, choices: list[str], field: str, default: str) -> str:
    value = (value or default).strip().lower().replace(" ", "_")
    if value not in choices:
        raise ValidationError({field: f"{value!r} is not one of {', '.join(choices)}."})
    return value


def cell_decimal(value: str, field: str) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation as exc:
        raise ValidationError({field: f"{value!r} is not a number."}) from exc
    if not number.is_finite() or abs(number) >= Decimal("1e14"):
        raise ValidationError({field: f"{value!r} is not a usable amount."})
    if number < 0:
        raise ValidationError({field: "Cannot be negative."})
    return number


def cell_int(value: str, field: str, low: int, high: int, default: int) -> int:
    if not value:
        return default
    number = whole(value)
    if number is None or not low <= number <= high:
        raise ValidationError({field: f"Use a whole number from {low} to {high}."})
    return number


def cell_date(value: str, field: str) -> Any:
    if not value:
        return None
    try:
        parsed = parse_date(value)
    except ValueError:  # well formed but impossible, e.g. 2026-13-01
        parsed = None
    if parsed is None:
        raise ValidationError({field: f"{value!r} is not a date (use YYYY-MM-DD)."})
    return parsed


def _datetime(value: str, field: str, *, required: bool = False) -> datetime | None:
    if not value:
        if required:
            raise ValidationError({field: "Required."})
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            parsed = datetime(day.year, day.month, day.day) if day else None
    except ValueError:  # well formed but impossible, e.g. 2026-02-30 10:00
        parsed = None
    if parsed is None:
        raise ValidationError({field: f"{value!r} is not a date and time (use YYYY-MM-DD HH:MM)."})
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _text(row: dict[str, str], field: str, limit: int, *, required: bool = False) -> str:
    value = row.get(field, "")
    if required and not value:
        raise ValidationError({field: "Required."})
    if len(value) > limit:
        raise ValidationError({field: f"Too long: {len(value)} characters, at most {limit}."})
    return value


def _account_row(row: dict[str, str], lookups: _Lookups, acting_user: User) -> None:
    tier = lookups.tiers.get(row.get("tier", "").lower())
    if tier is None:
        raise ValidationError({"tier": f"No tier named {row.get('tier')!r}."})
    owner = None
    if row.get("owner_email"):
        owner = lookups.members.get(row["owner_email"].lower())
        if owner is None:
            raise ValidationError({"owner_email": "No member of this workspace has this email."})
    currency = (row.get("currency") or "USD").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError({"currency": "Use a three-letter currency code."})
    data = {
        "name": _text(row, "name", 200, required=True),
        "industry": _text(row, "industry", 120),
        "tier": tier,
        "status": _choice(row.get("status", ""), Account.Status.values, "status", "active"),
        "owner": owner,
        "annual_revenue": cell_decimal(row.get("annual_revenue", ""), "annual_revenue"),
        "currency": currency,
        "parent": lookups.account(row["parent"], "parent") if row.get("parent") else None,
    }
    _, warning = services.account_create(data=data, acting_user=acting_user)
    if warning:
        lookups.warnings.append(warning)


def _contact_row(row: dict[str, str], lookups: _Lookups, acting_user: User) -> None:
    account = lookups.account(row.get("account", ""))
    email = row.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": "Not an email address."}) from exc
    data = {
        "name": _text(row, "name", 200, required=True),
        "title": _text(row, "title", 200),
        "email": _text(row, "email", 254),
        "phone": _text(row, "phone", 40),
        "buyer_role": _choice(row.get("buyer_role", ""), BuyerRole.values, "buyer_role", "other"),
        "influence": cell_int(row.get("influence", ""), "influence", 1, 5, 3),
        "relationship_strength": cell_int(row.get("relationship_strength", ""), "relationship_strength", 1, 5, 3),
        "last_interaction": cell_date(row.get("last_interaction", ""), "last_interaction"),
        "opted_out": row.get("opted_out", "").lower() in {"1", "yes", "true", "y"},
    }
    services.contact_save(account=account, data=data)


def _incident_row(row: dict[str, str], lookups: _Lookups, acting_user: User) -> None:
    account = lookups.account(row.get("account", ""))
    category = lookups.categories.get(row.get("category", "").lower())
    if category is None:
        raise ValidationError({"category": f"No incident category named {row.get('category')!r}."})
    data = {
        "category": category,
        "severity": _choice(row.get("severity", ""), Incident.Severity.values, "severity", "medium"),
        "opened_at": _datetime(row.get("opened_at", ""), "opened_at", required=True),
        "resolved_at": _datetime(row.get("resolved_at", ""), "resolved_at"),
        "summary": _text(row, "summary", 500, required=True),
        "external_ref": _text(row, "external_ref", 100),
    }
    services.incident_record(account=account, data=data)


def register_own_kinds() -> None:
    """The imports of the accounts app itself (called from AccountsConfig.ready)."""
    register_import_kind(
        "accounts",
        label="Accounts",
        required=["name", "tier"],
        optional=["industry", "status", "owner_email", "annual_revenue", "currency", "parent"],
        importer=_account_row,
        example="name,tier,industry,status,owner_email,annual_revenue,currency,parent\n"
        "Globex Corporation,Strategic,Manufacturing,active,am@example.com,12500000,USD,",
        done_url="portfolio",
    )
    register_import_kind(
        "contacts",
        label="Contacts",
        required=["account", "name"],
        optional=[
            "title",
            "email",
            "phone",
            "buyer_role",
            "influence",
            "relationship_strength",
            "last_interaction",
            "opted_out",
        ],
        importer=_contact_row,
        example="account,name,title,email,phone,buyer_role,influence,relationship_strength,last_interaction,"
        "opted_out\nGlobex Corporation,Hank Scorpio,CEO,hank@globex.example,,economic,5,3,2026-10-01,no",
        done_url="portfolio",
    )
    register_import_kind(
        "incidents",
        label="Incidents",
        required=["account", "category", "opened_at", "summary"],
        optional=["severity", "resolved_at", "external_ref"],
        importer=_incident_row,
        example="account,category,severity,opened_at,resolved_at,summary,external_ref\n"
        "Globex Corporation,Outage,high,2026-11-02 09:15,2026-11-02 11:40,Portal down in prime hours,INC-1042",
        done_url="portfolio",
    )
