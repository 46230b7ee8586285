"""Worker entry points for imports: a job id in, one service call. Dispatched by name through
`apps.core.jobs` (nothing imports this module).

`acks_late` + `reject_on_worker_lost`: a worker child killed mid-import puts the message back at once; a
whole worker killed leaves the job's lease to expire, and the reaper hands it to another runner. Retries
are the job row's (backoff, then parked), identical on a worker and in the embedded runner.
"""
from celery import shared_task

from .imports import import_job_run
from .services import idempotency_purge_expired


@shared_task(name="trades.import_job_run", acks_late=True, reject_on_worker_lost=True, queue="import")
def import_job_run_task(*, job_id: str) -> str | None:
    job = import_job_run(job_id=job_id)
    return job.status if job else None


@shared_task(name="trades.idempotency_purge", queue="default")
def idempotency_purge_task() -> int:
    return idempotency_purge_expired()
