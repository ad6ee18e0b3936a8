"""Survey arithmetic: pure functions, no database.

- NPS: 0-10 "how likely to recommend"; 9-10 promoters, 7-8 passives, 0-6
  detractors; NPS = % promoters - % detractors, from -100 to 100. No answers:
  no NPS (None), never zero.
- Loyalty segments from two axes, attitude (satisfaction) and behaviour
  (intent to continue), each on the 1-5 rating scale, high at or above the
  tenant's cut-off: truly loyal (both high), accessible (attitude high,
  intent low), trapped (intent high, attitude low), high risk (both low).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PROMOTER, PASSIVE, DETRACTOR = "promoter", "passive", "detractor"
TRULY_LOYAL, ACCESSIBLE, TRAPPED, HIGH_RISK = "truly_loyal", "accessible", "trapped", "high_risk"
DETRACTOR_HIGH = 6  # the highest detractor score
SEGMENT_LABELS = {TRULY_LOYAL: "Truly loyal", ACCESSIBLE: "Accessible", TRAPPED: "Trapped", HIGH_RISK: "High risk"}


def nps_category(score: int) -> str:
    if not 0 <= score <= 10:
        raise ValueError("An NPS answer is a whole number from 0 to 10.")
    return PROMOTER if score >= 9 else PASSIVE if score > DETRACTOR_HIGH else DETRACTOR


@dataclass(frozen=True)
class Nps:
    responses: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        if not self.responses:
            return None
        return round((self.promoters - self.detractors) * 100 / self.responses, 1)

    def share(self, part: int) -> float | None:
        return round(part * 100 / self.responses, 1) if self.responses else None

    @property
    def promoter_share(self) -> float | None:
        return self.share(self.promoters)

    @property
    def passive_share(self) -> float | None:
        return self.share(self.passives)

    @property
    def detractor_share(self) -> float | None:
        return self.share(self.detractors)


def nps(scores: Iterable[int]) -> Nps:
    counts = {PROMOTER: 0, PASSIVE: 0, DETRACTOR: 0}
    total = 0
    for score in scores:
        counts[nps_category(score)] += 1
        total += 1
    return Nps(total, counts[PROMOTER], counts[PASSIVE], counts[DETRACTOR])


def segment(
    attitude: float | None, intent: float | None, *, attitude_cutoff: float = 4, intent_cutoff: float = 4
) -> str | None:
    """The loyalty segment of one answer pair (None without both axes)."""
    if attitude is None or intent is None:
        return None
    high_attitude, high_intent = attitude >= attitude_cutoff, intent >= intent_cutoff
    if high_attitude and high_intent:
        return TRULY_LOYAL
    if high_attitude:
        return ACCESSIBLE
    if high_intent:
        return TRAPPED
    return HIGH_RISK


def account_segment(
    pairs: Iterable[tuple[float | None, float | None]], *, attitude_cutoff: float = 4, intent_cutoff: float = 4
) -> str | None:
    """An account's segment: the segment of the means of its contacts' answers on each axis."""
    attitudes, intents = [], []
    for attitude, intent in pairs:
        if attitude is not None and intent is not None:
            attitudes.append(attitude)
            intents.append(intent)
    if not attitudes:
        return None
    return segment(
        sum(attitudes) / len(attitudes),
        sum(intents) / len(intents),
        attitude_cutoff=attitude_cutoff,
        intent_cutoff=intent_cutoff,
    )
