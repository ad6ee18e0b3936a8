"""Reads of playbooks: the admin's list with each playbook's recent runs, and an account's playbook groups with
their progress (a constant number of queries each)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from accounts.models import ActionItem, Playbook, PlaybookRun


@dataclass
class RunProgress:
    run: PlaybookRun
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.done == self.total


def _progress(runs: QuerySet[PlaybookRun], limit: int) -> list[RunProgress]:
    closed = (ActionItem.Status.DONE, ActionItem.Status.DROPPED)
    rows = runs.annotate(total=Count("actions"), done=Count("actions", filter=Q(actions__status__in=closed)))
    return [RunProgress(r, r.done, r.total) for r in rows[:limit]]


def account_playbook_runs(account: Any, *, limit: int = 10) -> list[RunProgress]:
    """The account's latest playbook groups, live ones first, with how many of their steps are done. One query."""
    runs = PlaybookRun.objects.filter(account=account).select_related("playbook").order_by("-fired_at", "-pk")
    return _progress(runs, limit)


def playbook_list(*, latest: int = 5) -> list[dict[str, Any]]:
    """Every playbook with its steps, how often it fired and its ``latest`` runs with their progress. Four
    queries whatever the number of runs."""
    playbooks = list(
        Playbook.objects.prefetch_related("steps")
        .annotate(
            fired=Count("runs", distinct=True),
            live=Count("runs", filter=Q(runs__cleared_at__isnull=True), distinct=True),
        )
        .order_by("-active", "name")
    )
    newest = Window(RowNumber(), partition_by=[F("playbook_id")], order_by=[F("fired_at").desc(), F("pk").desc()])
    ids = (
        PlaybookRun.objects.filter(playbook__in=playbooks)
        .annotate(n=newest)
        .filter(n__lte=latest)
        .values_list("pk", flat=True)
    )
    recent: dict[int, list[RunProgress]] = {}
    runs = PlaybookRun.objects.filter(pk__in=list(ids)).select_related("account").order_by("-fired_at", "-pk")
    for progress in _progress(runs, len(playbooks) * latest):
        recent.setdefault(progress.run.playbook_id, []).append(progress)
    return [{"playbook": p, "recent": recent.get(p.pk, [])} for p in playbooks]
