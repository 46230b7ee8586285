from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"

    def ready(self) -> None:
        from . import hooks
        from .services import deletion, exports, files  # noqa: F401  (job kinds registered in every process)

        hooks.register()
