from django.apps import AppConfig


class SimulationsConfig(AppConfig):
    name = "apps.simulations"
    label = "simulations"

    def ready(self) -> None:
        # registers the `simulations.run` job kind in every process (the reaper needs it) and the task
        from . import services, tasks  # noqa: F401
