"""The survey program's playbook triggers: a detractor's answer, and an account in the high-risk loyalty segment
(registered in VocConfig.ready; the playbook check in accounts fires them)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from accounts.models import ActionItem, PlaybookRun
from accounts.triggers import Firing, Trigger, register_trigger
from sam.numbers import whole
from voc import scoring
from voc.models import ACTION_SOURCE, Response, VocSettings
from voc.scoring import DETRACTOR_HIGH

DETRACTOR, HIGH_RISK = "detractor", "high_risk"
# A detractor's answer fires its playbook while this recent: the check runs every few minutes, and a playbook made
# or switched on later still follows up the answers of the quarter's survey.
DETRACTOR_DAYS = 90
# The loyalty segment of an account: from its contacts' answers of the last year.
SEGMENT_DAYS = 365


def _detractors(days: int | None, now: datetime) -> Firing:
    anonymous = VocSettings.current().anonymous
    rows = Response.objects.filter(
        nps__lte=DETRACTOR_HIGH,
        submitted_at__gte=now - timedelta(days=DETRACTOR_DAYS),
        submitted_at__lte=now,
        invitation__contact__account__deleted_at__isnull=True,
    ).values_list("pk", "invitation__contact__account_id", "invitation__contact__name", "nps", "comment")
    firing: Firing = {}
    for pk, account_id, name, nps, comment in rows:
        if anonymous:  # the steps, the timeline and the search show neither who nor their words
            firing[(account_id, str(pk))] = f"A contact scored {nps}/10 in a survey (answers are anonymous)."
            continue
        said = f" Their comment: \u201c{comment[:500]}\u201d" if comment else " No comment was left."
        firing[(account_id, str(pk))] = f"{name} scored {nps}/10 in a survey.{said}"
    return firing


def _high_risk(days: int | None, now: datetime) -> Firing:
    config = VocSettings.current()
    cut = {"attitude_cutoff": float(config.attitude_cutoff), "intent_cutoff": float(config.intent_cutoff)}
    hide_under = config.anonymity_threshold if config.anonymous else 0
    pairs: dict[int, list[tuple[float | None, float | None]]] = defaultdict(list)
    for account_id, attitude, intent in Response.objects.filter(
        submitted_at__gte=now - timedelta(days=SEGMENT_DAYS),
        submitted_at__lte=now,
        invitation__contact__account__deleted_at__isnull=True,
    ).values_list("invitation__contact__account_id", "attitude", "intent"):
        pairs[account_id].append(
            (float(attitude) if attitude is not None else None, float(intent) if intent is not None else None)
        )
    return {
        (account_id, ""): "The account's survey answers of the last year place it in the high-risk loyalty segment "
        "(low satisfaction and low intent to continue)."
        for account_id, mine in pairs.items()
        if len(mine) >= hide_under and scoring.account_segment(mine, **cut) == scoring.HIGH_RISK
    }


def _detractor_fired(run: PlaybookRun, items: list[Any]) -> None:
    """The answer remembers its follow-up (the survey pages link to it), and the steps name the survey as their
    source, so the survey report counts them among its follow-ups."""
    pk = whole(run.subject, digits=18)
    response = Response.objects.filter(pk=pk).select_related("invitation").first() if pk else None
    if response is None or not items:
        return
    ActionItem.objects.filter(pk__in=[i.pk for i in items]).update(
        source_kind=ACTION_SOURCE, source_id=str(response.invitation.campaign_id)
    )
    Response.objects.filter(pk=response.pk).update(follow_up=items[0])


def register() -> None:
    register_trigger(Trigger(DETRACTOR, "A detractor's survey answer", _detractors, on_fire=_detractor_fired))
    register_trigger(Trigger(HIGH_RISK, "Account in the high-risk loyalty segment", _high_risk))
