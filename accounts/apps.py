from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Strategic accounts"

    def ready(self) -> None:
        # Imported here, not at the top: these modules load models, which Django allows once the app registry is ready.
        from accounts import (  # noqa: F401  (tasks: importing it declares the Celery tasks)
            api,
            api_governance,
            api_money,
            api_timeline,
            imports,
            money_services,
            permissions,
            reports,
            sources,
            tasks,
        )
        from accounts.demo import seed_accounts, seed_governance
        from accounts.demo_money import seed_commercial
        from accounts.tabs import register_tab
        from accounts.views_governance import governance_tab_context
        from accounts.views_money import revenue_tab_context
        from sam.api.registry import register as register_api
        from sam.demo import register_seeder
        from sam.models import Tenant
        from sam.navigation import register

        sources.register_own_sources()
        from accounts import playbook_services, timeline_services, triggers
        from accounts.demo_history import seed_history
        from accounts.demo_timeline import seed_timeline
        from accounts.views_timeline import timeline_tab_context

        timeline_services.register_own()
        playbook_services.register_own()
        triggers.register_own()
        register_tab("timeline", "Timeline", timeline_tab_context, "accounts/_timeline_tab.html", after="overview")
        imports.register_own_kinds()
        money_services.register_imports()
        register("accounts", "Accounts", "portfolio", order=10, icon="building-skyscraper")
        register("my_actions", "My actions", "my_actions", order=11, icon="clipboard-check")
        permissions.register()
        reports.register()
        register_tab("revenue", "Revenue", revenue_tab_context, "accounts/_revenue_tab.html")
        register_tab("changes", "Changes & decisions", governance_tab_context, "accounts/_governance_tab.html")
        register_seeder(seed_accounts)
        register_seeder(seed_commercial)
        register_seeder(seed_governance)
        register_seeder(seed_timeline, last=True)
        register_seeder(seed_history, last=True)
        for prefix, viewset, basename in api.ROUTES + api_money.ROUTES + api_governance.ROUTES + api_timeline.ROUTES:
            register_api(prefix, viewset, basename=basename)
        post_save.connect(_tenant_defaults, sender=Tenant, dispatch_uid="accounts-tenant-defaults")


def _tenant_defaults(sender: type, instance: Any, created: bool, **kwargs: Any) -> None:
    """A new tenant starts with the default tiers, selection criteria and incident categories."""
    if created:
        # Imported here: services load models, which apps.py may not do at import time.
        from accounts.playbook_services import playbook_defaults_ensure
        from accounts.services import program_defaults_ensure
        from sam.tenancy.context import tenant_context

        with tenant_context(instance):
            program_defaults_ensure()
            playbook_defaults_ensure()
