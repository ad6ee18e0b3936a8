"""Template admin: versions made by changes to templates in use, retire instead of delete, weights, checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sam.models import AuditEvent
from sam.roles import Role
from scorecards import selectors, services, templating
from scorecards.models import MetricDefinition, Scorecard, ScorecardTemplate, TemplateVersion

pytestmark = pytest.mark.django_db

GOOD = {
    **{"name": "On-site visits", "area": "involvement", "unit": "number", "direction": "higher"},
    **{"target": "6", "amber": "3", "red": "0", "weight": "1", "source": "manual", "visibility": "joint"},
    "description": "",
}


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def default_template():
    return services.template_defaults_ensure()


def test_changes_to_an_unused_version_stay_in_it(tenant_a):
    with tenant_a.ctx():
        template = default_template()
        version = selectors.current_version(template)
        metric = templating.metric_add(template=template, data=GOOD, acting_user=None)
        assert metric.version_id == version.pk and metric.key == "on_site_visits"
        assert TemplateVersion.objects.filter(template=template).count() == 1
        assert AuditEvent.objects.filter(action="scorecard_template.metric_add").exists()


def test_a_change_to_a_version_in_use_makes_a_new_one_and_old_scores_stay(tenant_a, account_a):
    with tenant_a.ctx():
        template = default_template()
        card = services.scorecard_for(account=account_a, period=services.period_for(timezone.localdate()))
        v1 = card.version
        for key, value in (("growth", "6"), ("reference", "3"), ("share_of_wallet", "45"), ("events", "2")):
            services.value_set(scorecard=card, metric=v1.metrics.get(key=key), value=value, acting_user=None)
        card.refresh_from_db()
        before = (card.health, dict(card.area_scores))

        changed = dict(GOOD, name="Revenue growth", area="financial", unit="percent", target="20", amber="10",
                       red="0")  # fmt: skip
        templating.metric_update(template=template, key="growth", data=changed, acting_user=None)
        templating.weights_set(template=template, data={"financial": 80, "execution": 5, "customer_insight": 5,
                               "competitive_position": 5, "involvement": 5}, acting_user=None)  # fmt: skip
        templating.metric_retire(template=template, key="events", retired=True, acting_user=None)

        v2 = selectors.current_version(template)
        assert v2.number == 2 and TemplateVersion.objects.filter(template=template).count() == 2
        assert v1.metrics.get(key="growth").target == 10 and v2.metrics.get(key="growth").target == 20
        assert not v1.metrics.get(key="events").retired and v2.metrics.get(key="events").retired
        assert set(v1.metrics.values_list("key", flat=True)) == set(v2.metrics.values_list("key", flat=True))

        services.scorecard_compute(card)  # recomputing the old scorecard gives what it gave
        card.refresh_from_db()
        assert (card.health, card.area_scores) == before and card.version_id == v1.pk

        other = services.scorecard_for(
            account=account_a, period=services.period_for(timezone.localdate() - timedelta(days=400))
        )
        assert other.version_id == v2.pk


def test_a_metric_with_values_cannot_be_deleted_only_retired(tenant_a, account_a):
    with tenant_a.ctx():
        template = default_template()
        card = services.scorecard_for(account=account_a, period=services.period_for(timezone.localdate()))
        services.value_set(scorecard=card, metric=card.version.metrics.get(key="growth"), value="5", acting_user=None)
        with pytest.raises(ValidationError, match="retire it"):
            templating.metric_delete(template=template, key="growth", acting_user=None)
        assert selectors.current_version(template).metrics.filter(key="growth").exists()
        templating.metric_delete(template=template, key="suppliers", acting_user=None)  # no values: goes
        assert not selectors.current_version(template).metrics.filter(key="suppliers").exists()
        assert card.version.metrics.filter(key="suppliers").exists()  # the scorecard's version keeps it


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": "lots"}, "target"),
        ({"red": ""}, "red"),
        ({"amber": "8"}, "amber"),  # above the target, higher is better
        ({"direction": "lower"}, "amber"),  # thresholds the wrong way round for lower is better
        ({"red": "6", "amber": "6"}, "red"),
        ({"source": "crystal_ball"}, "source"),
        ({"area": "vibes"}, "area"),
        ({"name": "x" * 121}, "name"),
        ({"name": ""}, "name"),
        ({"weight": "0"}, "weight"),
        ({"weight": "1e400"}, "weight"),
        ({"unit": "percent", "target": "5000", "amber": "10", "red": "0"}, "target"),
        ({"min_value": "5", "max_value": "1"}, "max_value"),
        ({"max_value": "4"}, "target"),  # the target 6 lies above the highest value
        ({"min_value": "x"}, "min_value"),
    ],
)
def test_bad_metrics_are_refused_with_the_field(tenant_a, change, field):
    with tenant_a.ctx():
        template = default_template()
        count = MetricDefinition.objects.count()
        with pytest.raises(ValidationError) as caught:
            templating.metric_add(template=template, data={**GOOD, **change}, acting_user=None)
        assert field in caught.value.message_dict
        assert MetricDefinition.objects.count() == count


def test_weights_are_normalised_with_a_note_and_nonsense_refused(tenant_a):
    with tenant_a.ctx():
        template = default_template()
        version = templating.weights_set(template=template, data={"financial": "30", "execution": "30",
                                         "customer_insight": "30"}, acting_user=None)  # fmt: skip
        note = selectors.weights_note(version.area_weights)
        assert "90" in note["note"] and round(note["shares"]["financial"], 1) == 33.3
        assert selectors.weights_note(services.DEFAULT_AREA_WEIGHTS)["note"] == ""
        for bad in ({"financial": "-5"}, {"financial": "abc"}, dict.fromkeys(services.DEFAULT_AREA_WEIGHTS, "0")):
            with pytest.raises(ValidationError):
                templating.weights_set(template=template, data=bad, acting_user=None)
        assert selectors.current_version(template).area_weights["financial"] == 30


def test_new_template_copies_the_default_and_can_become_it(tenant_a, account_a):
    with tenant_a.ctx():
        default_template()
        template = templating.template_create(name="Tier 2 light", acting_user=None)
        assert (
            selectors.current_version(template).metrics.count()
            == MetricDefinition.objects.filter(version__template__is_default=True).count()
        )
        with pytest.raises(ValidationError):
            templating.template_create(name="tier 2 LIGHT", acting_user=None)
        templating.template_make_default(template=template, acting_user=None)
        assert ScorecardTemplate.objects.get(is_default=True).pk == template.pk
        card = services.scorecard_for(account=account_a, period=services.period_for(timezone.localdate()))
        assert card.version.template_id == template.pk


def test_admin_pages_add_edit_retire_and_refuse_bad_input(tenant_a, account_a, client_for):
    client = client_for(tenant_a.users[Role.ADMIN])
    with tenant_a.ctx():
        template = default_template()
        services.scorecard_for(account=account_a, period=services.period_for(timezone.localdate()))
    assert client.get(url("scorecard_templates")).status_code == 200
    page = client.get(url("scorecard_template", template.pk))
    assert page.status_code == 200 and b"your next change makes version 2" in page.content

    bad = client.post(url("scorecard_metric_add", template.pk), {**GOOD, "target": "six"})
    assert bad.status_code == 400 and b"Enter a number" in bad.content
    with tenant_a.ctx():
        assert TemplateVersion.objects.filter(template=template).count() == 1
    added = client.post(url("scorecard_metric_add", template.pk), GOOD, follow=True)
    text = added.content.decode()
    assert "new ones use version 2" in text and "On-site visits" in text, text[text.find("alert") - 200 :][:1500]
    with tenant_a.ctx():
        v2 = selectors.current_version(template)
        growth = v2.metrics.get(key="growth")
    edited = client.post(url("scorecard_metric_edit", template.pk, growth.pk),
                         {**GOOD, "name": "Growth, year on year", "area": "financial"})  # fmt: skip
    assert edited.status_code == 302
    weights = client.post(url("scorecard_template_weights", template.pk), {"financial": "50",
                          "execution": "20", "customer_insight": "10", "competitive_position": "10",
                          "involvement": "0"})  # fmt: skip
    assert weights.status_code == 302
    page = client.get(url("scorecard_template", template.pk))
    assert b"add up to 90, not 100" in page.content
    refused = client.post(url("scorecard_template_weights", template.pk), {"financial": "x"})
    assert refused.status_code == 400 and b"Enter a number" in refused.content
    nothing = client.post(url("scorecard_template_weights", template.pk), {"financial": "0"})
    assert nothing.status_code == 400 and b"At least one area needs a weight above zero" in nothing.content
    with tenant_a.ctx():
        growth = selectors.current_version(template).metrics.get(key="growth")
    retire = client.post(url("scorecard_metric_retire", template.pk, growth.pk), follow=True)
    assert b"Metric retired" in retire.content
    with tenant_a.ctx():
        assert selectors.current_version(template).number == 2  # the draft takes every change until used
        assert selectors.current_version(template).metrics.get(key="growth").retired
    assert client.post(url("scorecard_template", template.pk), {"action": "explode"}).status_code == 405
    restore = client.post(url("scorecard_metric_restore", template.pk, growth.pk), follow=True)
    assert b"Metric in use again" in restore.content
    with tenant_a.ctx():
        assert not selectors.current_version(template).metrics.get(key="growth").retired
        unused = selectors.current_version(template).metrics.get(key="on_site_visits")
    assert client.post(url("scorecard_metric_delete", template.pk, unused.pk)).status_code == 302
    assert client.post(url("scorecard_metric_delete", template.pk, 999999)).status_code == 404
    with tenant_a.ctx():
        assert not selectors.current_version(template).metrics.filter(key="on_site_visits").exists()


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.EXECUTIVE, Role.MEMBER, Role.VIEWER])
def test_only_admins_change_templates(tenant_a, client_for, role):
    with tenant_a.ctx():
        template = default_template()
    client = client_for(tenant_a.users[role])
    assert client.get(url("scorecard_templates")).status_code == 403
    assert client.post(url("scorecard_metric_add", template.pk), GOOD).status_code == 403
    with tenant_a.ctx():
        assert not MetricDefinition.objects.filter(key="on_site_visits").exists()


def test_template_pages_query_counts_are_constant(tenant_a, client_for, django_assert_max_num_queries):
    client = client_for(tenant_a.users[Role.ADMIN])
    with tenant_a.ctx():
        template = default_template()
        for n in range(30):
            templating.metric_add(template=template, data={**GOOD, "name": f"Extra {n}"}, acting_user=None)
    client.get(url("scorecard_template", template.pk))  # the first visit: the session remembers the workspace
    with django_assert_max_num_queries(12):
        assert client.get(url("scorecard_template", template.pk)).status_code == 200
    client.get(url("scorecard_templates"))  # the first visit makes the recent periods
    with django_assert_max_num_queries(12):  # 10, and the period-length setting read twice (page and form)
        assert client.get(url("scorecard_templates")).status_code == 200


def test_scorecard_of_old_version_stays_when_default_changes(tenant_a, account_a):
    with tenant_a.ctx():
        card = services.scorecard_for(account=account_a, period=services.period_for(timezone.localdate()))
        templating.template_make_default(template=templating.template_create(name="B", acting_user=None),
                                         acting_user=None)  # fmt: skip
        assert Scorecard.objects.get(pk=card.pk).version_id == card.version_id


def test_admin_closes_a_period_then_only_admins_correct_it(tenant_a, account_a, client_for):
    from django.core.exceptions import PermissionDenied

    from accounts import services as account_services

    with tenant_a.ctx():
        period = services.period_for(timezone.localdate() - timedelta(days=100))
        card = services.scorecard_for(account=account_a, period=period)
        account_services.action_item_add(account=account_a, title="Late one", due=period.start)
    admin = client_for(tenant_a.users[Role.ADMIN])
    assert (
        client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).post(url("scorecard_period_close", period.pk)).status_code
        == 403
    )
    response = admin.post(url("scorecard_period_close", period.pk), follow=True)
    assert f"{period.label} is closed".encode() in response.content
    with tenant_a.ctx():
        period.refresh_from_db()
        assert period.closed
        assert AuditEvent.objects.filter(action="scorecard.period_close").exists()
        incidents = card.version.metrics.get(key="incidents")
        assert card.values.get(metric=incidents).computed_from  # computed values were taken before locking
        reference = card.version.metrics.get(key="reference")
        card = Scorecard.objects.select_related("period").get(pk=card.pk)
        with pytest.raises(PermissionDenied):
            services.value_set(scorecard=card, metric=reference, value="4", acting_user=None)
        services.value_set(scorecard=card, metric=reference, value="4", acting_user=None, is_admin=True)
        assert AuditEvent.objects.filter(action="scorecard.closed_edit").exists()
    admin.post(url("scorecard_period_open", period.pk))
    with tenant_a.ctx():
        period.refresh_from_db()
        assert not period.closed
    assert b"Open again" not in admin.get(url("scorecard_templates")).content


def test_an_open_scorecard_moves_to_the_newest_version_keeping_its_values(tenant_a, account_a, client_for):
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    with tenant_a.ctx():
        template = default_template()
        card = services.scorecard_for(account=account_a, period=services.period_for(timezone.localdate()))
        v1 = card.version
        for key, value in (("growth", "6"), ("events", "2")):
            services.value_set(scorecard=card, metric=v1.metrics.get(key=key), value=value, acting_user=None)
        templating.metric_add(template=template, data=GOOD, acting_user=None)
        templating.metric_retire(template=template, key="events", retired=True, acting_user=None)
    page = am.get(url("account_scorecard", account_a.pk))
    assert b"Use version 2" in page.content and b"On-site visits" not in page.content
    moved = am.post(url("scorecard_upgrade", card.pk), follow=True)
    assert b"now uses version 2" in moved.content and b"On-site visits" in moved.content
    with tenant_a.ctx():
        card.refresh_from_db()
        assert card.version.number == 2
        values = dict(card.values.values_list("metric__key", "value"))
        assert values["growth"] == 6 and "events" not in values
        assert all(mv.metric.version_id == card.version_id for mv in card.values.select_related("metric"))
        assert AuditEvent.objects.get(action="scorecard.upgrade").data["dropped"] == ["events"]
    assert client_for(tenant_a.users[Role.VIEWER]).post(url("scorecard_upgrade", card.pk)).status_code == 403
