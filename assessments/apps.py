from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from sam.navigation import register

        register("assessments", "Assessments", None, order=40, icon="clipboard-check")
