"""One search over a workspace: accounts, contacts, actions, timeline entries, QBRs and documents.

Each kind is one query (the timeline two: its best ids, then their rows; documents one more per kind with a
viewer rule of its own among the hits), so a search costs the same number of queries whatever the data. The
models' managers scope each query to the current tenant (and row-level security again); nothing of an account
that was deleted is ever found.

Names (accounts, contacts) match by trigrams: every word inside the name (``ILIKE '%word%'``), or the words
close to a part of the name (``%>``: word similarity, which forgives a typo). They rank by: the name starting
with what was typed, then word similarity, then similarity of the whole name (the shorter, closer name first).
Text (actions, the timeline, QBRs, documents) matches by full-text search with every word as a prefix
(``'renew':* & 'glob':*``, config ``simple``), on the stored ``search`` vectors where the model has one, and
ranks by ``ts_rank`` (an action's title matching counts one more).

Indexes: the app's role is under row-level security, and PostgreSQL evaluates a query's own conditions before
the policy's (inside an index scan) only when their functions are LEAKPROOF. The set-up marks ``ts_match_vq``
(``@@``) so (sam/localstack.py, scripts/docker-db-init.sh, README "Search and row-level security"), and the
timeline and actions use their GIN indexes; where it is not marked, each scans the tenant's rows (50,000 timeline
entries: about 35 ms more on the 2-core development machine). ``ILIKE`` and the trigram operators are not
leakproof: names are matched over the tenant's accounts and contacts (2,000 contacts: a few milliseconds).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorExact,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import formats, timezone
from django.utils.safestring import SafeString

from accounts.models import Account, ActionItem, Contact, TimelineEntry
from qbr.models import Qbr
from sam.documents import registry
from sam.http import TenantRequest
from sam.models import Document
from sam.permissions import can
from sam.tenancy.urls import tenant_reverse
from search.terms import Terms, highlight

SNIPPET_CHARS = 160
RANKED = 2_000  # timeline entries ranked at most: the latest logged matches


@dataclass(frozen=True)
class Hit:
    """One thing found: its link text (matches marked), where it leads, what it belongs to, an excerpt."""

    pk: int
    title: SafeString
    url: str
    context: str
    snippet: SafeString | None = None


@dataclass(frozen=True)
class Group:
    """The hits of one kind, best first; ``more`` when there were more than were asked for."""

    key: str
    label: str
    hits: list[Hit]
    more: bool


Finder = Callable[[Terms, int, TenantRequest], tuple[list[Hit], bool]]


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    action: str  # what the member's role must allow (sam.roles) to be shown this kind
    find: Finder


def search_run(*, terms: Terms, per_kind: int, request: TenantRequest) -> list[Group]:
    """The hits of every kind the member may see, at most ``per_kind`` of each; kinds with none left out."""
    if not terms:
        return []
    groups = []
    for kind in KINDS:
        if not can(request, kind.action):
            continue
        hits, more = kind.find(terms, per_kind, request)
        if hits:
            groups.append(Group(kind.key, kind.label, hits, more))
    return groups


def _prefix_query(terms: Terms) -> SearchQuery:
    # Safe: terms.tsquery holds only letters and digits of the words, and our own quotes, "&" and ":*".
    return SearchQuery(terms.tsquery, search_type="raw", config="simple")


def _name_match(field: str, terms: Terms) -> Q:
    every_word = functools.reduce(operator.and_, (Q(**{f"{field}__icontains": w}) for w in terms.words))
    # The lookup as an expression: django.contrib.postgres (which would register it by name) is not installed.
    return every_word | Q(TrigramWordSimilar(F(field), Value(terms.text)))


def _name_rank(field: str, terms: Terms) -> Any:
    starts = Case(When(**{f"{field}__istartswith": terms.text}, then=Value(1.0)), default=Value(0.0))
    return starts + TrigramWordSimilarity(terms.text, field) + TrigramSimilarity(field, terms.text)


def _split(rows: list[Any], limit: int) -> tuple[list[Any], bool]:
    """The first ``limit`` rows (one more was fetched), and whether there were more."""
    return rows[:limit], len(rows) > limit


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return formats.date_format(value, "j M Y") if value else ""


def _joined(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


# --- the kinds ------------------------------------------------------------------------------------------------


def accounts_find(terms: Terms, limit: int, request: TenantRequest) -> tuple[list[Hit], bool]:
    rows, more = _split(
        list(
            Account.objects.alive()
            .filter(_name_match("name", terms))
            .annotate(rank=_name_rank("name", terms))
            .order_by("-rank", "name", "pk")
            .values("pk", "name", "industry", "status", "tier__name")[: limit + 1]
        ),
        limit,
    )
    hits = [
        Hit(
            pk=r["pk"],
            title=highlight(r["name"], terms, prefix=False),
            url=tenant_reverse("account_detail", r["pk"]),
            context=_joined(r["tier__name"], r["industry"], Account.Status(r["status"]).label),
        )
        for r in rows
    ]
    return hits, more


def contacts_find(terms: Terms, limit: int, request: TenantRequest) -> tuple[list[Hit], bool]:
    rows, more = _split(
        list(
            Contact.objects.filter(account__deleted_at__isnull=True)
            .filter(_name_match("name", terms))
            .annotate(rank=_name_rank("name", terms))
            .order_by("-rank", "name", "pk")
            .values("pk", "name", "title", "account_id", "account__name")[: limit + 1]
        ),
        limit,
    )
    hits = [
        Hit(
            pk=r["pk"],
            title=highlight(r["name"], terms, prefix=False),
            url=tenant_reverse("account_detail", r["account_id"]) + "?tab=contacts",
            context=_joined(r["title"], r["account__name"]),
        )
        for r in rows
    ]
    return hits, more


def actions_find(terms: Terms, limit: int, request: TenantRequest) -> tuple[list[Hit], bool]:
    query = _prefix_query(terms)
    in_title = Case(
        When(SearchVectorExact(SearchVector("title", config="simple"), query), then=Value(1.0)),
        default=Value(0.0),
    )
    rows, more = _split(
        list(
            ActionItem.objects.filter(account__deleted_at__isnull=True, search=query)
            .annotate(rank=Cast(SearchRank(F("search"), query), FloatField()) + in_title)
            .order_by("-rank", "due", "-pk")
            .values("pk", "title", "detail", "status", "due", "account_id", "account__name")[: limit + 1]
        ),
        limit,
    )
    hits = []
    for r in rows:
        detail = highlight(r["detail"], terms, limit=SNIPPET_CHARS) if r["detail"] else None
        hits.append(
            Hit(
                pk=r["pk"],
                title=highlight(r["title"], terms),
                url=tenant_reverse("account_detail", r["account_id"]) + "?tab=actions&show=all",
                context=_joined(
                    r["account__name"],
                    ActionItem.Status(r["status"]).label,
                    f"due {_date(r['due'])}" if r["due"] else "",
                ),
                snippet=detail if detail and "<mark>" in detail else None,
            )
        )
    return hits, more


def timeline_find(terms: Terms, limit: int, request: TenantRequest) -> tuple[list[Hit], bool]:
    matches = TimelineEntry.objects.filter(account__deleted_at__isnull=True, search=_prefix_query(terms))
    ids, more = _split(_best_of_recent(matches, terms, limit + 1), limit)
    found = {
        r["pk"]: r
        for r in TimelineEntry.objects.filter(pk__in=ids).values(
            "pk", "kind", "summary", "occurred_at", "account_id", "account__name"
        )
    }
    hits = [
        Hit(
            pk=r["pk"],
            title=highlight(r["summary"], terms, limit=SNIPPET_CHARS),
            url=tenant_reverse("account_detail", r["account_id"]) + _at_entry(r["pk"], r["occurred_at"]),
            context=_joined(TimelineEntry.Kind(r["kind"]).label, r["account__name"], _date(r["occurred_at"])),
        )
        for r in (found[pk] for pk in ids if pk in found)
    ]
    return hits, more


def _at_entry(pk: int, occurred_at: datetime) -> str:
    """The timeline from this entry on: a cursor just above it (accounts.timeline_selectors reads it), and its
    anchor, so an entry deep in a long story opens at the top of the page."""
    return f"?tab=timeline&cursor={occurred_at.timestamp():.6f}_{pk + 1}#entry-{pk}"


def _best_of_recent(matches: QuerySet[TimelineEntry], terms: Terms, limit: int) -> list[int]:
    """The ids of the best ranked of the RANKED most recently logged matches, best first.

    A long timeline is scanned to find the matches (see the module's docstring); ranking them all is not needed
    too. When the words are common (a two-letter prefix, as the box asks after two keystrokes) most entries
    match: taking the latest logged ones by id lets PostgreSQL walk the primary key backwards and stop after
    RANKED matches, instead of finding and ranking tens of thousands. The inner query is the model manager's
    (scoped to the tenant; row-level security applies to it as to any other); ours only ranks its rows.
    """
    recent = matches.order_by("-pk").values("pk", "occurred_at", "search")[:RANKED]
    inner, params = recent.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT recent.pk FROM ({inner}) AS recent "  # noqa: S608  (a query compiled by the ORM)
            "ORDER BY ts_rank(recent.search, to_tsquery('simple', %s)) DESC, recent.occurred_at DESC, recent.pk DESC "
            "LIMIT %s",
            [*params, terms.tsquery, limit],
        )
        return [pk for (pk,) in cursor.fetchall()]


def qbrs_find(terms: Terms, limit: int, request: TenantRequest) -> tuple[list[Hit], bool]:
    query = _prefix_query(terms)
    vector = SearchVector(Value("QBR"), "period_label", "account__name", "location", config="simple")
    rows, more = _split(
        list(
            Qbr.objects.filter(account__deleted_at__isnull=True)
            .annotate(found=vector)
            .filter(found=query)
            .annotate(rank=SearchRank(F("found"), query))
            .order_by("-rank", "-period_start", "-pk")
            .values("pk", "period_label", "status", "scheduled_at", "location", "account__name")[: limit + 1]
        ),
        limit,
    )
    hits = [
        Hit(
            pk=r["pk"],
            title=highlight(f"QBR {r['period_label']}, {r['account__name']}", terms),
            url=tenant_reverse("qbr_detail", r["pk"]),
            context=_joined(Qbr.Status(r["status"]).label, _date(r["scheduled_at"])),
            snippet=highlight(r["location"], terms) if r["location"] else None,
        )
        for r in rows
    ]
    return hits, more


def _live_subjects(specs: dict[str, registry.DocumentKind]) -> Q:
    """Documents of the registered kinds whose subject is not (of) a deleted account: one subquery per subject
    model that belongs to an account (the account itself, a QBR, a scorecard...); none for the others (the
    portfolio, a 4 R's round)."""
    models = {spec.subject_model for spec in specs.values()}
    parts = []
    for model in sorted(models, key=registry.subject_label):
        about = Q(subject_type=registry.subject_label(model))
        if model is Account:
            about &= Q(subject_id__in=Account.objects.alive().values("pk"))
        elif any(f.name == "account" and f.related_model is Account for f in model._meta.get_fields()):
            manager: Any = model._default_manager
            about &= Q(subject_id__in=manager.filter(account__deleted_at__isnull=True).values("pk"))
        parts.append(about)
    return Q(kind__in=list(specs)) & functools.reduce(operator.or_, parts)


def _kind_label(specs: dict[str, registry.DocumentKind]) -> RawSQL:
    """The document's kind as its label, so "minutes" or "VoC" finds the documents of that kind."""
    whens = " ".join("WHEN %s THEN %s" for _ in specs)
    params = [value for key, spec in specs.items() for value in (key, spec.label)]
    kind = f"{connection.ops.quote_name(Document._meta.db_table)}.{connection.ops.quote_name('kind')}"
    return RawSQL(f"CASE {kind} {whens} ELSE '' END", params, output_field=TextField())  # noqa: S611


def documents_find(terms: Terms, limit: int, request: TenantRequest) -> tuple[list[Hit], bool]:
    specs = {spec.key: spec for spec in registry.kinds()}
    if not specs:
        return [], False
    query = _prefix_query(terms)
    vector = SearchVector("title", _kind_label(specs), config="simple")
    # Each render is a version: the latest ready one of each document is what is found.
    latest = (
        Document.objects.filter(status=Document.Status.READY)
        .exclude(file="")
        .order_by("kind", "subject_type", "subject_id", "title", "-version")
        .distinct("kind", "subject_type", "subject_id", "title")
        .values("pk")
    )
    # Kinds with a viewer rule of their own (a 4 R's result is its respondent's) are checked after the query,
    # so a few more are fetched than shown.
    wanted = limit * 3 if any(spec.viewer for spec in specs.values()) else limit
    found = list(
        Document.objects.filter(_live_subjects(specs), pk__in=latest)
        .annotate(found=vector)
        .filter(found=query)
        .annotate(rank=SearchRank(F("found"), query))
        .order_by("-rank", "-finished_at", "-pk")
        .values("pk", "kind", "title", "version", "finished_at", "subject_id")[: wanted + 1]
    )
    rows, more = _split(_viewable(found, specs, request), limit)
    hits = [
        Hit(
            pk=r["pk"],
            title=highlight(r["title"], terms),
            url=tenant_reverse("document_download", r["pk"]),
            context=_joined(specs[r["kind"]].label, f"PDF, version {r['version']}", _date(r["finished_at"])),
        )
        for r in rows
    ]
    return hits, more or len(found) > wanted


def _viewable(
    rows: list[dict[str, Any]], specs: dict[str, registry.DocumentKind], request: TenantRequest
) -> list[dict[str, Any]]:
    """The rows this member may open: a kind's own viewer rule decides on its subjects (one query per kind)."""
    allowed: dict[str, set[int]] = {}
    for key in {r["kind"] for r in rows if specs[r["kind"]].viewer is not None}:
        spec = specs[key]
        ids = [r["subject_id"] for r in rows if r["kind"] == key]
        subjects = spec.subject_model.objects.filter(pk__in=ids)  # type: ignore[attr-defined]
        allowed[key] = {s.pk for s in subjects if spec.viewer and spec.viewer(request, s)}
    return [r for r in rows if r["kind"] not in allowed or r["subject_id"] in allowed[r["kind"]]]


KINDS: Sequence[Kind] = (
    Kind("accounts", "Accounts", "account.view", accounts_find),
    Kind("contacts", "Contacts", "account.view", contacts_find),
    Kind("actions", "Actions", "account.view", actions_find),
    Kind("timeline", "Timeline", "account.view", timeline_find),
    Kind("qbrs", "QBRs", "account.view", qbrs_find),
    Kind("documents", "Documents", "report.view", documents_find),
)
