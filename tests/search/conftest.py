from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from accounts import services
from accounts.models import Account, ActionItem, Contact, TimelineEntry
from qbr.models import Qbr
from sam.models import Document


def contact(account: Account, name: str, **extra) -> Contact:
    return services.contact_save(account=account, data={"name": name, **extra})


def action(account: Account, title: str, detail: str = "") -> ActionItem:
    return services.action_item_add(account=account, title=title, detail=detail)[0]


def entry(account: Account, summary: str, *, kind: str = "note", when: datetime | None = None) -> TimelineEntry:
    return TimelineEntry.objects.create(account=account, kind=kind, summary=summary, occurred_at=when or timezone.now())


def qbr(account: Account, label: str = "2026-Q3", start: date = date(2026, 7, 1), **extra) -> Qbr:
    return Qbr.objects.create(
        account=account, period_label=label, period_start=start, period_end=start.replace(month=start.month + 2),
        **extra,
    )  # fmt: skip


def document(subject: Qbr, title: str, *, version: int = 1, status: str = "ready") -> Document:
    return Document.objects.create(
        kind="qbr_minutes", subject_type="qbr.qbr", subject_id=subject.pk, version=version, title=title,
        status=status, file="documents/test.pdf", finished_at=timezone.now(),
    )  # fmt: skip


def soft_delete(account: Account) -> None:
    Account.objects.filter(pk=account.pk).update(deleted_at=timezone.now())
