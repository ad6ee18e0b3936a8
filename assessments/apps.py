from typing import Any

from django.apps import AppConfig

from sam.tenancy.urls import tenant_reverse


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        # Imported here, not at the top: these modules load models, which Django allows once the app registry is ready.
        from accounts.sources import register_source
        from accounts.tabs import register_tab
        from assessments import (
            api,
            reports,
            selectors,
            tasks,  # noqa: F401  (registers its Celery tasks: services publish them by name)
        )
        from assessments.demo import seed_assessments
        from assessments.models import ACTION_SOURCE
        from assessments.views import account_tab_context
        from sam.api.registry import register as register_api
        from sam.demo import register_seeder
        from sam.facts import register_account_fact
        from sam.navigation import register

        register("assessments", "Assessments", "assessment_list", order=40, icon="clipboard-check")
        reports.register()
        register_source(ACTION_SOURCE, "Assessment", _assessment_link)
        from accounts.events import register_backfill, register_event
        from assessments.services import EVENT_SHARED, timeline_backfill

        register_backfill(timeline_backfill)
        register_event(EVENT_SHARED, "Assessment shared", _assessment_link)
        register_tab("assessments", "Assessments", account_tab_context, "assessments/_account_tab.html")
        register_account_fact(selectors.account_fact)
        register_seeder(seed_assessments)
        for prefix, viewset, basename in api.ROUTES:
            register_api(prefix, viewset, basename=basename)


def _assessment_link(item: Any, slug: str) -> str | None:
    """An action from an accepted recommendation links to its assessment; a mid-contract prompt to starting one."""

    source = str(item.source_id)
    if source.isdigit():
        return tenant_reverse("assessment_detail", int(source), slug=slug)
    if source.startswith("contract-") and source[9:].isdigit():
        return tenant_reverse("assessment_new", item.account_id, slug=slug) + f"?contract={source[9:]}"
    return None
