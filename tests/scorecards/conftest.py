"""Fixtures of the scorecard tests."""

from __future__ import annotations

import pytest

from scorecards import selectors, services
from scorecards.models import ScorecardTemplate


@pytest.fixture
def survey_metrics_by_hand(tenant_a) -> ScorecardTemplate:
    """Tenant A's default template as templates were before the survey program filled them: NPS and service
    satisfaction entered by hand (what these tests enter values into)."""
    with tenant_a.ctx():
        template = services.template_defaults_ensure()
        selectors.current_version(template).metrics.filter(key__in=["nps", "satisfaction"]).update(source="manual")
    return template
