from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Executive dashboard"

    def ready(self) -> None:
        # Imported here, not at the top: these modules load models, which Django allows once the app registry is ready.
        from dashboard import (
            api,
            reports,
            tasks,  # noqa: F401  (registers its Celery tasks: services publish them by name)
        )
        from sam.api.registry import register as register_api
        from sam.facts import register_account_fact
        from sam.navigation import register

        register("dashboard", "Dashboard", "dashboard", order=0, icon="home")
        reports.register()
        register_api("dashboard", api.DashboardViewSet, basename="dashboard")
        from dashboard.views import risk_fact

        register_account_fact(risk_fact)
        from dashboard import cache

        cache.connect()
