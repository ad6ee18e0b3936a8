from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.core import checks
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save


class SamConfig(AppConfig):
    name = "sam"
    verbose_name = "SAM core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: these modules load models, which Django allows once the app registry is ready.
        from sam import auth_backend, authlog, services, sessions, signals, text
        from sam import checks as sam_checks
        from sam import tasks as core_tasks  # noqa: F401  (registers its Celery tasks: services publish them by name)
        from sam.api import schema  # noqa: F401  (OpenAPI auth descriptions)
        from sam.documents import tasks as document_tasks  # noqa: F401  (registers the render task)
        from sam.models import User
        from sam.navigation import register

        register("admin", "Admin", "members", order=90, icon="settings", action="tenant.manage_members")
        services.register_email_hooks()
        from sam import export

        export.register()
        checks.register(sam_checks.tenant_unique_constraints, checks.Tags.models)
        checks.register(sam_checks.tenant_keys, checks.Tags.models)
        post_migrate.connect(signals.after_migrate, dispatch_uid="sam-grant-app-role")
        pre_save.connect(text.clean_on_save, dispatch_uid="sam-clean-text")
        user_logged_in.connect(sessions.signed_in, dispatch_uid="sam-session-start")
        authlog.connect()
        for signal in (post_save, post_delete):  # a changed or removed user is not served from the cache
            signal.connect(auth_backend.user_changed, sender=User, dispatch_uid=f"sam-user-cache-{signal is post_save}")
