from django.apps import AppConfig


class SamConfig(AppConfig):
    name = "sam"
    verbose_name = "SAM core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: these modules load models, which Django allows once the app registry is ready.
        from sam import auth_backend, checks, signals  # noqa: F401  (registers checks and handlers)
        from sam import tasks as core_tasks  # noqa: F401  (registers its Celery tasks: services publish them by name)
        from sam.api import schema  # noqa: F401  (OpenAPI auth descriptions)
        from sam.documents import tasks as document_tasks  # noqa: F401  (registers the render task)
        from sam.navigation import register

        register("admin", "Admin", "members", order=90, icon="settings", action="tenant.manage_members")
