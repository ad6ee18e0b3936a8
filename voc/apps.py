from django.apps import AppConfig


class VocConfig(AppConfig):
    name = "voc"
    verbose_name = "Voice of the customer"

    def ready(self) -> None:
        from sam.navigation import register

        register("surveys", "Surveys", None, order=50, icon="message-circle")
