from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Strategic accounts"

    def ready(self) -> None:
        from sam.navigation import register

        register("accounts", "Accounts", None, order=10, icon="building-skyscraper")
