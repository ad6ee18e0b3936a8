"""Reads of playbooks: the admin's list with each playbook's recent runs, and an account's playbook groups with
their progress (a constant number of queries each)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

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


def playbook_list() -> list[dict[str, Any]]:
    """Every playbook with its steps, how often it fired and its latest runs. Three queries."""
    playbooks = list(
        Playbook.objects.prefetch_related("steps")
        .annotate(fired=Count("runs"), live=Count("runs", filter=Q(runs__cleared_at__isnull=True)))
        .order_by("-active", "name")
    )
    recent: dict[int, list[RunProgress]] = {}
    runs = PlaybookRun.objects.filter(playbook__in=playbooks).select_related("account").order_by("-fired_at", "-pk")
    for progress in _progress(runs, 200):
        mine = recent.setdefault(progress.run.playbook_id, [])
        if len(mine) < 5:
            mine.append(progress)
    return [{"playbook": p, "recent": recent.get(p.pk, [])} for p in playbooks]
