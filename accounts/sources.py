"""Where an action item came from: the kinds of source, each registered by the app that owns it with its label
and how to find its page.

The accounts app registers its own kinds (manual, account plan, incident, recurring issue, renewal); qbr,
assessments, voc and scorecards register theirs in their ``AppConfig.ready()``, so the register names and
links back to them without the accounts app importing them. ``ActionItem.source_kind`` accepts only a
registered kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from sam.tenancy.urls import tenant_reverse

SourceLink = Callable[[Any, str], str | None]

MANUAL, PLAN, INCIDENT, RECURRING_ISSUE, RENEWAL = "manual", "plan", "incident", "recurring_issue", "renewal"


@dataclass(frozen=True)
class SourceKind:
    key: str
    label: str
    link: SourceLink | None


_kinds: dict[str, SourceKind] = {}


def register_source(kind: str, label: str, link: SourceLink | None = None) -> None:
    """``link(item, tenant_slug)`` returns the URL of the item's source object, or None."""
    if len(kind) > 20:
        raise ValueError(f"A source kind has at most 20 characters: {kind!r}")
    _kinds[kind] = SourceKind(kind, label, link)


def source_kinds() -> list[SourceKind]:
    return list(_kinds.values())


def source_label(kind: str) -> str:
    known = _kinds.get(kind)
    return known.label if known else kind


def validate_source_kind(value: str) -> None:
    if value not in _kinds:
        raise ValidationError(f"Unknown source of an action: {value!r}.")


def source_url(item: Any, tenant_slug: str) -> str | None:
    known = _kinds.get(item.source_kind)
    if known is None or known.link is None or not item.source_id:
        return None
    try:
        return known.link(item, tenant_slug)
    except Exception:  # a source that cannot be resolved any more has no link
        return None


def _tab(tab: str) -> SourceLink:
    return lambda item, slug: tenant_reverse("account_detail", item.account_id, slug=slug) + f"?tab={tab}"


def register_own_sources() -> None:
    """The kinds of the accounts app itself (called from AccountsConfig.ready)."""
    register_source(MANUAL, "Manual")
    register_source(PLAN, "Account plan", _tab("plan"))
    register_source(INCIDENT, "Incident", _tab("incidents"))
    register_source(
        RECURRING_ISSUE,
        "Recurring issue",
        lambda item, slug: tenant_reverse("recurring_edit", item.account_id, int(item.source_id), slug=slug),
    )
    register_source(RENEWAL, "Renewal")
