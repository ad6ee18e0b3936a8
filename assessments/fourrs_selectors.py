"""The 4 R's in the workspace, read: who takes it, rounds' rollups (averages only, from three people and once the
round has closed), each person's result, the organisation's picture on a day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from assessments import fourrs
from assessments.models import AssessmentSettings, FourRsInvitation, FourRsResult, FourRsRound, Scope
from sam.models import Membership, User
from sam.roles import allowed


def respondents() -> Any:
    """The members whose role takes the self-assessment (viewers do not)."""

    roles = [
        role for role in Membership.objects.values_list("role", flat=True).distinct() if allowed(role, "fourrs.take")
    ]
    return User.objects.filter(pk__in=Membership.objects.filter(role__in=roles).values("user_id")).order_by(
        "full_name", "email"
    )


# The fewest answers whose averages are shown. With two, each respondent works out the other's every rating
# (twice the average less their own); a workspace may ask for more (AssessmentSettings), never fewer.
MIN_GROUP = 3


def min_group() -> int:
    return max(MIN_GROUP, AssessmentSettings.current().fourrs_min_answers)


def _count_only(respondents: int, why: str, least: int) -> dict[str, Any]:
    return {
        **fourrs.rollup([]),
        "respondents": respondents,
        "hidden": True,
        "why": why,
        "needed": max(0, least - respondents),
    }


def hidden(result: dict[str, Any], least: int | None = None) -> dict[str, Any]:
    """A rollup of fewer than ``min_group()`` answers keeps only its count: its averages would give away what
    one person answered."""
    least = least or min_group()
    if result["respondents"] >= least:
        return {**result, "hidden": False, "why": ""}
    return _count_only(result["respondents"], "few", least)


def round_rollup(round: FourRsRound, answers: list[Any] | None = None, least: int | None = None) -> dict[str, Any]:
    """A round's averages, once it has closed and from enough answers. While it is open only the count shows:
    watching the averages move as one more person answers would show that person's ratings."""
    if answers is None:
        answers = list(FourRsResult.objects.filter(round=round).values_list("answers", flat=True))
    least = least or min_group()
    if round.is_open():
        return _count_only(len(answers), "open", least)
    return hidden(fourrs.rollup(answers, on=round.opens_on), least)


def rollup_as_of(day: date, *, scope: str = Scope.ORGANISATION, account: Any = None) -> dict[str, Any]:
    """The organisation's (or one account team's) picture on a day: each person's latest self-assessment of
    the year before it, alone or in a round, averaged."""

    end = timezone.make_aware(datetime.combine(day, time.max))
    found = FourRsResult.objects.filter(scope=scope, taken_at__lte=end, taken_at__gt=end - timedelta(days=365))
    if account is not None:
        found = found.filter(account=account)
    latest: dict[int, Any] = {}
    for respondent, answers in found.order_by("taken_at", "pk").values_list("respondent_id", "answers"):
        latest[respondent] = answers
    return hidden(fourrs.rollup(latest.values()))


def round_people(round: FourRsRound) -> list[dict[str, Any]]:
    """Who is invited and whether they answered (never what they answered)."""
    answered = dict(FourRsResult.objects.filter(round=round).values_list("respondent_id", "taken_at"))
    return [
        {"user": inv.user, "answered_at": answered.get(inv.user_id)}
        for inv in FourRsInvitation.objects.filter(round=round).select_related("user").order_by("user__full_name")
    ]


def result_of(item: FourRsResult) -> dict[str, Any]:
    """One person's answers seen as a rollup of one (the same page and PDF as a round's)."""
    return fourrs.rollup([item.answers], on=timezone.localtime(item.taken_at).date())
