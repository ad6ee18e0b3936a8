from django.apps import AppConfig


class VocConfig(AppConfig):
    name = "voc"
    verbose_name = "Voice of the customer"

    def ready(self) -> None:
        from sam.navigation import register

        register("surveys", "Surveys", None, order=50, icon="message-circle")
        from django.db.models.signals import post_save

        from sam.models import Tenant

        post_save.connect(_tenant_defaults, sender=Tenant, dispatch_uid="voc-tenant-defaults")


def _tenant_defaults(sender: type, instance: object, created: bool, **kwargs: object) -> None:
    """A new tenant starts with the default relationship survey."""
    if created:
        from sam.tenancy.context import tenant_context
        from voc.services import survey_defaults_ensure

        with tenant_context(instance):
            survey_defaults_ensure()
