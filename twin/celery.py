import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twin.settings.local")

app = Celery("twin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("import", "score", "sim", "digest", "default")]
app.autodiscover_tasks()

import apps.core.observability.celery  # noqa: E402,F401  (request ids in task headers, task metrics)
