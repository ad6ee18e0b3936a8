from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save

from sam.tenancy.context import tenant_context
from sam.tenancy.urls import tenant_reverse


class ScorecardsConfig(AppConfig):
    name = "scorecards"
    verbose_name = "Account scorecards"

    def ready(self) -> None:
        # Imported here, not at the top: these modules load models, which Django allows once the app registry is ready.
        from sam.models import Tenant
        from sam.navigation import register
        from scorecards import (
            sources,
            tasks,  # noqa: F401  (registers its Celery tasks: services publish them by name)
        )

        sources.register_own_sources()
        register("scorecards", "Scorecards", "heatmap", order=20, icon="chart-bar")
        from accounts.sources import register_source
        from scorecards.models import ACTION_SOURCE

        register_source(ACTION_SOURCE, "Scorecard alert", _scorecard_link)
        from accounts.events import register_backfill, register_event
        from scorecards import triggers
        from scorecards.services import EVENT_BAND, EVENT_CLOSED, timeline_backfill

        register_backfill(timeline_backfill)
        triggers.register()
        register_event(EVENT_CLOSED, "Scorecard closed", _scorecard_link)
        register_event(EVENT_BAND, "Health changed band", _scorecard_link)
        from sam.demo import register_seeder
        from scorecards.demo import seed_scorecards

        register_seeder(seed_scorecards)
        from accounts.reports import register_section
        from scorecards.reports import execution_section

        register_section(execution_section)
        from scorecards.reports import register_joint

        register_joint()
        from scorecards import imports

        imports.register()
        from scorecards import cache

        cache.connect()
        from sam.api.registry import register as register_api
        from scorecards import api

        for prefix, viewset, basename in api.ROUTES:
            register_api(prefix, viewset, basename=basename)
        post_save.connect(_tenant_defaults, sender=Tenant, dispatch_uid="scorecards-tenant-defaults")


def _tenant_defaults(sender: type, instance: Any, created: bool, **kwargs: Any) -> None:
    """A new tenant starts with the default scorecard template (examples in every area)."""
    if created:
        # Imported here: services load models, which apps.py may not do at import time.
        from scorecards.services import template_defaults_ensure

        with tenant_context(instance):
            template_defaults_ensure()


def _scorecard_link(item: Any, slug: str) -> str | None:

    return tenant_reverse("account_scorecard", item.account_id, slug=slug)
