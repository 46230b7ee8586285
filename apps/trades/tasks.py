"""Worker entry points for imports: a job id in, one service call.

`acks_late` + `reject_on_worker_lost`: a worker killed mid-import leaves the message to be delivered
again, and the job resumes from its last committed page. Infrastructure errors (database, broker of
messages) are retried with backoff a bounded number of times; after that the job is parked.
"""
from celery import shared_task
from django.db import DatabaseError

MAX_RETRIES = 3


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, queue="import", max_retries=MAX_RETRIES)
def import_job_run_task(self, *, job_id: str) -> str | None:
    from .services import import_job_fail, import_job_run

    try:
        job = import_job_run(job_id=job_id)
    except DatabaseError as exc:
        if self.request.retries < MAX_RETRIES:
            raise self.retry(exc=exc, countdown=min(300, 10 * 2 ** self.request.retries)) from exc
        import_job_fail(job_id=job_id, error="The import kept failing on our side; it is parked for a look.",
                        park=True)
        raise
    return job.status if job else None
