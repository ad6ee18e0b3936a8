from django.apps import AppConfig


class SearchConfig(AppConfig):
    """One search box in the page header: accounts, contacts, actions, timeline, QBRs and documents."""

    name = "search"
    verbose_name = "Search"
