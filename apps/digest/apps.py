from django.apps import AppConfig


class DigestConfig(AppConfig):
    name = "apps.digest"
    label = "digest"

    def ready(self) -> None:
        from . import services, tasks  # noqa: F401  (the job kind and the task names, in every process)
