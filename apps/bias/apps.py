from django.apps import AppConfig


class BiasConfig(AppConfig):
    name = "apps.bias"
    label = "bias"
    verbose_name = "Bias"

    def ready(self) -> None:
        from . import hooks, ws_handlers  # noqa: F401 - ws_handlers registers chat.ask_reflection, chat.feedback

        hooks.register()
