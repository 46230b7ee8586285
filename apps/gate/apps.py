from django.apps import AppConfig


class GateConfig(AppConfig):
    name = "apps.gate"
    label = "gate"
    verbose_name = "Gate"

    def ready(self) -> None:
        from . import hooks, services  # noqa: F401 - services registers the gate's job kind

        hooks.register()
