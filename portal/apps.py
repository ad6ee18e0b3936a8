from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        # Imported here, not at the top: services load models, which Django allows once the app registry is ready.
        from accounts.tabs import register_tab
        from portal import services, staff_views, tasks  # noqa: F401  (tasks: registers the Celery tasks)
        from portal.demo import seed_portal
        from sam.demo import register_seeder

        services.register()
        register_seeder(seed_portal)
        register_tab(staff_views.TAB, "Customer portal", staff_views.tab_context, "portal/_account_tab.html")
