"""Where an action item came from, as a link: each source kind registers how to find its page.

Apps register their kinds at start-up (qbr, assessments, voc, scorecards),
so the register links back without the accounts app importing them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

SourceLink = Callable[[Any, str], str | None]
_links: dict[str, SourceLink] = {}


def register_source(kind: str, link: SourceLink) -> None:
    """``link(item, tenant_slug)`` returns the URL of the item's source object, or None."""
    _links[kind] = link


def source_url(item: Any, tenant_slug: str) -> str | None:
    link = _links.get(item.source_kind)
    if link is None or not item.source_id:
        return None
    try:
        return link(item, tenant_slug)
    except Exception:  # a source that cannot be resolved any more has no link
        return None


def _tab(tab: str) -> SourceLink:
    return lambda item, slug: reverse("account_detail", args=[slug, item.account_id]) + f"?tab={tab}"


register_source("plan", _tab("plan"))
register_source("incident", _tab("incidents"))
register_source(
    "scorecard_alert",
    lambda item, slug: reverse("account_scorecard", args=[slug, item.account_id]),
)
register_source(
    "recurring_issue",
    lambda item, slug: reverse("recurring_edit", args=[slug, item.account_id, int(item.source_id)]),
)
