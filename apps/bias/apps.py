from django.apps import AppConfig


class BiasConfig(AppConfig):
    name = "apps.bias"
    label = "bias"
    verbose_name = "Bias"

    def ready(self) -> None:
        from . import ws_handlers  # noqa: F401 - registers chat.ask_reflection and chat.feedback
