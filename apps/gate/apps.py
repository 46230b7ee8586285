from django.apps import AppConfig


class GateConfig(AppConfig):
    name = "apps.gate"
    label = "gate"
    verbose_name = "Gate"

    def ready(self) -> None:
        from . import checks, hooks, services  # noqa: F401 - registers the job kind and the check

        hooks.register()
