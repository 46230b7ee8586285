"""What a worker does with an import job id: take the lease, page through the source, finish.

The same code runs on a Celery worker and on the embedded default's in-process runner. A run that raises
is never lost: what needs the user (a paused connection, refused credentials) fails the job with its
reason; what may pass by itself (an exchange outage, a database hiccup, a crash in our code) is retried
with backoff, and parked with its reason once the attempts are used up. A worker that dies leaves its lease to expire; the reaper hands the job to another runner, which
resumes after the last stored page.
"""
from __future__ import annotations

import logging

from apps.core.jobs import job_claim, job_lease_kept

from ..models import ImportJob
from .lifecycle import TASK, import_job_fail, import_page_commit
from .sources import ImportStopped, import_source_for

logger = logging.getLogger(__name__)


def import_job_run(*, job_id: str) -> ImportJob | None:
    """Run the job from its checkpoint to a final state. Safe to call again at any point, from any process."""
    job, owner = job_claim(task_name=TASK, job_id=job_id)
    if owner is None:
        return job
    try:
        with job_lease_kept(task_name=TASK, job_id=job_id, owner=owner):
            for page in import_source_for(job).pages(job):
                committed = import_page_commit(job_id=job_id, owner=owner, page=page)
                if committed is None:  # another runner took the job over; it carries on from our checkpoint
                    return ImportJob.objects.filter(id=job_id).first()
                job = committed
    except ImportStopped as exc:
        return import_job_fail(job_id=job_id, owner=owner, error=exc.message, retry=exc.retry)
    except Exception as exc:
        logger.exception("import job %s: attempt %d failed", job_id, job.attempts)
        return import_job_fail(job_id=job_id, owner=owner, retry=True,
                               error=f"The import stopped on our side ({type(exc).__name__}); it is retried "
                                     "automatically.")
    return job
