"""Worker entry points for digests (dispatched by name; nothing imports this module)."""
from celery import shared_task

from .archive import digests_archive
from .services import digest_execute, digest_run_execute, digests_schedule_due


@shared_task(name="digest.build", acks_late=True, reject_on_worker_lost=True, queue="digest")
def digest_build_task(*, job_id: str) -> str | None:
    digest = digest_execute(job_id=job_id)
    return digest.status if digest else None


@shared_task(name="digest.run", acks_late=True, reject_on_worker_lost=True, queue="digest")
def digest_run_task(*, job_id: str) -> str | None:
    run = digest_run_execute(job_id=job_id)
    return run.status if run else None


@shared_task(name="digest.weekly", acks_late=True, reject_on_worker_lost=True, queue="digest")
def digest_weekly_task() -> int:
    return digests_schedule_due()


@shared_task(name="digest.archive", acks_late=True, reject_on_worker_lost=True, queue="digest")
def digest_archive_task() -> int:
    return digests_archive()["archived"]
