"""NPS arithmetic and the loyalty segment table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voc import scoring


def test_nps_edge_cases():
    assert scoring.nps([]).score is None  # no responses: no NPS, never zero
    assert scoring.nps([7, 8, 7]).score == 0.0  # all passives
    assert scoring.nps([6]).score == -100.0  # one detractor
    assert scoring.nps([10, 9]).score == 100.0
    mixed = scoring.nps([10, 9, 8, 6, 0])
    assert (mixed.promoters, mixed.passives, mixed.detractors) == (2, 1, 2) and mixed.score == 0.0
    assert mixed.share(mixed.promoters) == 40.0
    assert scoring.nps([10, 10, 3]).score == 33.3
    for bad in (-1, 11):
        with pytest.raises(ValueError):
            scoring.nps([bad])


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=200))
def test_nps_stays_within_its_bounds(scores):
    result = scoring.nps(scores)
    assert -100 <= result.score <= 100
    assert result.promoters + result.passives + result.detractors == len(scores)


@pytest.mark.parametrize(
    ("attitude", "intent", "expected"),
    [
        (5, 5, "truly_loyal"),
        (4, 4, "truly_loyal"),  # the cut-off counts as high
        (5, 2, "accessible"),
        (2, 5, "trapped"),
        (1, 3.9, "high_risk"),
        (None, 5, None),
        (5, None, None),
    ],
)
def test_segment_table(attitude, intent, expected):
    assert scoring.segment(attitude, intent) == expected


def test_tenant_cut_offs_and_account_segment():
    assert scoring.segment(3.5, 3.5, attitude_cutoff=3, intent_cutoff=3) == "truly_loyal"
    assert scoring.account_segment([(5, 5), (1, 1), (None, 4)]) == "high_risk"  # means 3 and 3
    assert scoring.account_segment([(5, 4), (4, 5)]) == "truly_loyal"
    assert scoring.account_segment([]) is None
