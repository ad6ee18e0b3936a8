from django.apps import AppConfig
from django.db.models.signals import post_save

from sam.tenancy.context import tenant_context
from sam.tenancy.urls import tenant_reverse


class VocConfig(AppConfig):
    name = "voc"
    verbose_name = "Voice of the customer"

    def ready(self) -> None:
        # Imported here, not at the top: these modules load models, which Django allows once the app registry is ready.
        from sam.navigation import register
        from voc import tasks  # noqa: F401  (registers its Celery tasks: services publish them by name)

        register("surveys", "Surveys", "voc_campaigns", order=50, icon="message-circle")
        from accounts.sources import register_source
        from accounts.tabs import register_tab
        from sam.demo import register_seeder
        from sam.facts import register_account_fact
        from scorecards.sources import register as register_metric_source
        from voc import api, campaigns, reports, selectors, services
        from voc.demo import seed_surveys
        from voc.models import ACTION_SOURCE
        from voc.views import account_tab_context

        campaigns.register()
        from voc import triggers

        triggers.register()
        from accounts.events import register_backfill, register_event

        register_event(services.EVENT_ANSWERED, "Survey answered", _campaign_link)
        register_backfill(lambda: services.answers_record(days=None))
        reports.register()
        register_source(ACTION_SOURCE, "Survey", _campaign_link)
        register_tab("voc", "Voice of the customer", account_tab_context, "voc/_account_tab.html")
        register_account_fact(selectors.account_fact)
        for key, label, source in selectors.METRIC_SOURCES:
            register_metric_source(key, label, source)
        register_seeder(seed_surveys)
        from accounts.privacy import register_eraser

        register_eraser(services.contact_answers_anonymise)
        from sam.api.registry import register as register_api

        for prefix, viewset, basename in api.ROUTES:
            register_api(prefix, viewset, basename=basename)
        from sam.models import Tenant

        post_save.connect(_tenant_defaults, sender=Tenant, dispatch_uid="voc-tenant-defaults")


def _campaign_link(item: object, slug: str) -> str | None:

    source = str(getattr(item, "source_id", ""))
    return tenant_reverse("voc_campaign", int(source), slug=slug) if source.isdigit() else None


def _tenant_defaults(sender: type, instance: object, created: bool, **kwargs: object) -> None:
    """A new tenant starts with the default relationship survey."""
    if created:
        # Imported here: models and services load models, which apps.py may not do at import time.
        from sam.models import Tenant
        from voc.services import survey_defaults_ensure

        assert isinstance(instance, Tenant)
        with tenant_context(instance):
            survey_defaults_ensure()
