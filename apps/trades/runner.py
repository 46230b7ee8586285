"""Where an import job runs.

With a Celery broker the job goes to the `import` queue. In the embedded default (no Redis, Celery eager)
running it inline would hold the HTTP request until the whole import finished, so when
`IMPORT_JOBS_IN_THREAD` is on (twin.settings.local) the job runs on a small in-process thread pool instead:
the POST answers 202 at once and progress arrives through the outbox like in production. Jobs are
idempotent and resumable, so a process stopped mid-import loses nothing: starting the import again
continues from the last committed page.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import close_old_connections, connection

from apps.core.background import background_pool

logger = logging.getLogger(__name__)


def import_job_enqueue(*, job_id: str) -> None:
    from .tasks import import_job_run_task

    if settings.IMPORT_JOBS_IN_THREAD:
        background_pool("import", workers=2).submit(_run_in_thread, job_id)
    else:
        import_job_run_task.delay(job_id=job_id)


def _run_in_thread(job_id: str) -> None:
    from .tasks import import_job_run_task

    close_old_connections()
    try:
        import_job_run_task.apply(kwargs={"job_id": job_id})
    except Exception:
        logger.exception("import job %s failed in the embedded runner", job_id)
    finally:
        connection.close()
