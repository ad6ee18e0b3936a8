from typing import Any

from django.apps import AppConfig

from sam.tenancy.urls import tenant_reverse


class QbrConfig(AppConfig):
    name = "qbr"
    verbose_name = "Quarterly business reviews"

    def ready(self) -> None:
        # Imported here, not at the top: these modules load models, which Django allows once the app registry is ready.
        from accounts.sources import register_source
        from qbr import tasks  # noqa: F401  (registers its Celery tasks: services publish them by name)
        from qbr.models import ACTION_SOURCE
        from sam.navigation import register

        register("qbrs", "QBRs", "qbr_list", order=30, icon="calendar-event")
        register_source(ACTION_SOURCE, "QBR", _qbr_link)
        from accounts.events import register_backfill, register_event
        from qbr.services import EVENT_HELD, EVENT_MINUTES, timeline_backfill

        register_backfill(timeline_backfill)

        register_event(EVENT_HELD, "QBR held", _qbr_link)
        register_event(EVENT_MINUTES, "Minutes sent", _qbr_link)
        from qbr.demo import seed_qbrs
        from sam.demo import register_seeder

        register_seeder(seed_qbrs)
        from qbr import api, reports

        reports.register()
        from qbr.selectors import account_fact
        from sam.facts import register_account_fact

        register_account_fact(account_fact)
        from qbr.selectors import qbrs_on_time_source
        from scorecards.sources import register as register_metric_source

        register_metric_source("qbrs_on_time", "QBRs held on time (%)", qbrs_on_time_source)
        from sam.api.registry import register as register_api

        for prefix, viewset, basename in api.ROUTES:
            register_api(prefix, viewset, basename=basename)


def _qbr_link(item: Any, slug: str) -> str | None:

    source = str(item.source_id)
    return tenant_reverse("qbr_detail", int(source), slug=slug) if source.isdigit() else None
