from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        # Imported here, not at the top: services load models, which Django allows once the app registry is ready.
        from portal import services

        services.register()
