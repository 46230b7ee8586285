from django.apps import AppConfig


class BrokersConfig(AppConfig):
    name = "apps.brokers"
    label = "brokers"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
