"""Embedded default: SQLite, in-memory channel layer, jobs in-process, demo data, stub exchange."""
from .base import *  # noqa: F401,F403
from .base import BASE_DIR, env

# The real error pages by default; DJANGO_DEBUG=1 is the developer flag for Django's debug pages. Static files
# are served by WhiteNoise (from the finders) either way.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
(BASE_DIR / "var" / "staticfiles").mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STUB_EXCHANGE_EMBEDDED = env.bool("STUB_EXCHANGE_EMBEDDED", default=True)
OUTBOX_RELAY_EMBEDDED = env.bool("OUTBOX_RELAY_EMBEDDED", default=True)
# Background jobs run on an in-process runner (the POST answers 202 at once; progress via the outbox), one
# at a time: SQLite has one writer.
JOBS_IN_PROCESS = env.bool("JOBS_IN_PROCESS", default=CELERY_TASK_ALWAYS_EAGER)
LOG_FORMAT = env("LOG_FORMAT", default="console")
