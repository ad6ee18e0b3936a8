"""Survey results on the scorecard: the default template takes NPS, satisfaction, loyalty and the response rate
from the VoC program; a template made before can take them over, once, from the templates page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sam.models import AuditEvent
from sam.roles import Role
from scorecards import selectors, services, sources, templating
from scorecards.models import ScorecardTemplate, TemplateVersion
from tests.voc.test_campaigns import answered

pytestmark = pytest.mark.django_db

SURVEY = {"satisfaction": "voc_satisfaction", "nps": "voc_nps", "loyalty": "voc_loyalty",
          "response_rate": "voc_response_rate"}  # fmt: skip
CARD = b"Take survey results from the VoC program"


def url(world, name, *args):
    return reverse(name, args=[world.tenant.slug, *args])


def older_template(world) -> ScorecardTemplate:
    """The default template as tenants had it before: NPS and satisfaction entered by hand, no loyalty metric and
    no response rate."""
    with world.ctx():
        template = services.template_defaults_ensure()
        version = selectors.current_version(template)
        version.metrics.filter(key__in=["nps", "satisfaction"]).update(source="manual")
        version.metrics.filter(key__in=["loyalty", "response_rate"]).delete()
    return template


def start_scorecard(world, account, days_ago=0):
    with world.ctx():
        period = services.period_for(timezone.localdate() - timedelta(days=days_ago))
        return services.scorecard_for(account=account, period=period)


def test_the_default_template_takes_the_survey_metrics_from_the_voc_program(tenant_a):
    with tenant_a.ctx():
        template = ScorecardTemplate.objects.get(is_default=True)
        metrics = {m.key: m for m in selectors.current_version(template).metrics.all()}
        assert not templating.survey_switch_plan(template).applies
    assert {key: metrics[key].source for key in SURVEY} == SURVEY
    assert all(sources.get(source) is not None for source in SURVEY.values())
    assert [m.key for m in metrics.values() if m.area == "customer_insight" and m.source == "manual"] == []
    loyalty = metrics["loyalty"]
    assert (loyalty.area, loyalty.unit, loyalty.min_value, loyalty.max_value) == ("customer_insight", "percent", 0, 100)
    assert "truly loyal" in loyalty.description and "cut-offs" in loyalty.description


def test_a_new_scorecard_shows_the_survey_results_and_refuses_them_by_hand(tenant_a, account_a, client_for):
    answered(tenant_a, account_a, [10, 9, 3, None], attitude="5", intent="4")
    card = start_scorecard(tenant_a, account_a)
    with tenant_a.ctx():
        services.scorecard_fill_computed(card)
        values = {mv.metric.key: mv for mv in card.values.select_related("metric")}
        with pytest.raises(ValidationError, match="computed"):
            services.value_set(scorecard=card, metric=values["nps"].metric, value="40", acting_user=None)
    assert {key: values[key].value for key in SURVEY} == {
        "nps": Decimal("33.30"), "satisfaction": Decimal("5.00"), "loyalty": Decimal("100.00"),
        "response_rate": Decimal("75.00"),
    }  # fmt: skip
    assert values["loyalty"].computed_from.startswith("3 of 3 contacts who answered are truly loyal")
    page = client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).get(url(tenant_a, "account_scorecard", account_a.pk))
    assert b"Truly loyal contacts" in page.content and b"3 of 3 contacts who answered are truly loyal" in page.content


def test_the_switch_makes_a_new_version_once_and_started_scorecards_keep_theirs(tenant_a, account_a):
    template = older_template(tenant_a)
    card = start_scorecard(tenant_a, account_a)
    with tenant_a.ctx():
        v1 = card.version
        services.value_set(scorecard=card, metric=v1.metrics.get(key="nps"), value="35", acting_user=None)
        plan = templating.survey_switch_plan(template)
        assert plan.switch == {"satisfaction": "voc_satisfaction", "nps": "voc_nps"}
        assert plan.add == ["loyalty", "response_rate"]
        assert plan.switched_names == ["Service satisfaction", "Net Promoter Score"]

        v2 = templating.survey_switch_apply(template=template, acting_user=tenant_a.admin)
        assert v2.number == 2 and selectors.current_version(template).pk == v2.pk
        assert {m.key: m.source for m in v2.metrics.filter(key__in=SURVEY)} == SURVEY
        assert v2.metrics.count() == v1.metrics.count() + 2
        loyalty, rate = v2.metrics.get(key="loyalty"), v2.metrics.get(key="response_rate")
        assert (loyalty.area, rate.area) == ("customer_insight", "involvement")
        assert loyalty.order > v2.metrics.get(key="nps").order  # after the area's metrics
        # the version in use is left as it was, and so is the scorecard on it with its value entered by hand
        assert set(v1.metrics.filter(key__in=SURVEY).values_list("key", "source")) == {
            ("satisfaction", "manual"), ("nps", "manual")
        }  # fmt: skip
        card.refresh_from_db()
        assert card.version_id == v1.pk and card.values.get(metric__key="nps").value == 35
        event = AuditEvent.objects.get(action="scorecard_template.survey_sources")
        assert event.actor == tenant_a.admin and event.object_id == str(template.pk)
        assert event.data == {"version": 2, "switched": ["satisfaction", "nps"], "added": ["loyalty", "response_rate"]}

        assert templating.survey_switch_apply(template=template, acting_user=tenant_a.admin) is None  # once
        assert not templating.survey_switch_plan(template).applies
        assert TemplateVersion.objects.filter(template=template).count() == 2
        assert AuditEvent.objects.filter(action="scorecard_template.survey_sources").count() == 1
    assert start_scorecard(tenant_a, account_a, days_ago=100).version_id == v2.pk  # new scorecards start on it


def test_the_switch_on_a_version_no_scorecard_uses_changes_it_in_place(tenant_a):
    template = older_template(tenant_a)
    with tenant_a.ctx():
        version = templating.survey_switch_apply(template=template, acting_user=None)
        assert version.number == 1 and TemplateVersion.objects.filter(template=template).count() == 1
        assert {m.key: m.source for m in version.metrics.filter(key__in=SURVEY)} == SURVEY


def test_the_switch_leaves_what_an_admin_retired_deleted_or_already_feeds(tenant_a, account_a):
    template = older_template(tenant_a)
    start_scorecard(tenant_a, account_a)
    with tenant_a.ctx():
        templating.metric_retire(template=template, key="satisfaction", retired=True, acting_user=None)
        rate = templating.metric_add(template=template, acting_user=None, data={
            "name": "Answers to our surveys", "area": "involvement", "unit": "percent", "direction": "higher",
            "target": "50", "amber": "30", "red": "10", "weight": "1", "source": "voc_response_rate",
        })  # fmt: skip
        plan = templating.survey_switch_plan(template)
        assert (plan.switch, plan.add) == ({"nps": "voc_nps"}, ["loyalty"])
        assert rate.key not in plan.switch

    fresh = start_scorecard(tenant_a, account_a, days_ago=100)  # the new version is in use now
    with tenant_a.ctx():
        assert fresh.version.number == 2
        v3 = templating.survey_switch_apply(template=template, acting_user=None)
        templating.metric_delete(template=template, key="loyalty", acting_user=None)  # an admin's choice
        assert selectors.current_version(template).pk == v3.pk  # deleted from the draft itself, no trace but audit
        assert not templating.survey_switch_plan(template).applies  # a deleted metric is not offered again


def test_the_templates_page_offers_the_switch_only_when_it_applies(tenant_a, account_a, client_for):
    client = client_for(tenant_a.admin)
    assert CARD not in client.get(url(tenant_a, "scorecard_templates")).content  # a new tenant has it already
    template = older_template(tenant_a)
    start_scorecard(tenant_a, account_a)
    page = client.get(url(tenant_a, "scorecard_templates")).content.decode()
    action = url(tenant_a, "scorecard_template_survey_sources", template.pk)
    assert CARD.decode() in page and f'action="{action}"' in page
    assert "instead of entered by hand: Service satisfaction, Net Promoter Score." in page
    assert "New metrics: Truly loyal contacts, Survey response rate." in page
    assert "Scorecards already started keep their version" in page

    done = client.post(action, follow=True).content.decode()
    assert "now takes its survey results from the VoC program" in done and "new ones use version 2" in done
    assert CARD.decode() not in done
    again = client.post(action, follow=True).content.decode()
    assert "already takes its survey results from the VoC program" in again
    with tenant_a.ctx():
        assert TemplateVersion.objects.filter(template=template).count() == 2
    assert client.get(action).status_code == 405


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.EXECUTIVE, Role.MEMBER, Role.VIEWER])
def test_only_admins_make_the_switch(tenant_a, client_for, role):
    template = older_template(tenant_a)
    response = client_for(tenant_a.users[role]).post(url(tenant_a, "scorecard_template_survey_sources", template.pk))
    assert response.status_code == 403
    with tenant_a.ctx():
        assert templating.survey_switch_plan(template).applies
        assert not AuditEvent.objects.filter(action="scorecard_template.survey_sources").exists()


def test_another_tenants_template_is_not_found(tenant_a, tenant_b, client_for):
    theirs = older_template(tenant_b)
    response = client_for(tenant_a.admin).post(url(tenant_a, "scorecard_template_survey_sources", theirs.pk))
    assert response.status_code == 404
    with tenant_b.ctx():
        assert templating.survey_switch_plan(theirs).applies
    assert client_for(tenant_b.admin).post(url(tenant_b, "scorecard_template_survey_sources", 0)).status_code == 404
