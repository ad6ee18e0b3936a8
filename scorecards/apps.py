from django.apps import AppConfig


class ScorecardsConfig(AppConfig):
    name = "scorecards"
    verbose_name = "Account scorecards"

    def ready(self) -> None:
        from sam.navigation import register

        register("scorecards", "Scorecards", None, order=20, icon="chart-bar")
