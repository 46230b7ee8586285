from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "apps.journal"
    label = "journal"
    verbose_name = "Journal"

    def ready(self) -> None:
        from . import hooks, ws_handlers  # noqa: F401 - ws_handlers registers this app's socket handlers

        hooks.register()
