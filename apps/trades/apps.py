from django.apps import AppConfig


class TradesConfig(AppConfig):
    name = "apps.trades"
    label = "trades"

    def ready(self) -> None:
        from .imports import lifecycle  # noqa: F401 - registers the import job kind with the reaper
