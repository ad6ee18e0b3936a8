from django.apps import AppConfig


class QbrConfig(AppConfig):
    name = "qbr"
    verbose_name = "Quarterly business reviews"

    def ready(self) -> None:
        from sam.navigation import register

        register("qbrs", "QBRs", None, order=30, icon="calendar-event")
