"""Celery entry points (dispatched by name through apps.core.jobs; nothing imports this module)."""
from celery import shared_task

from .services.exports import export_execute
from .services.files import stored_files_delete_execute


@shared_task(name="analytics.export", acks_late=True, reject_on_worker_lost=True, queue="default")
def export_run_task(*, job_id: str) -> None:
    export_execute(job_id=job_id)


@shared_task(name="analytics.files_delete", acks_late=True, reject_on_worker_lost=True, queue="default")
def stored_files_delete_task(*, job_id: str) -> None:
    stored_files_delete_execute(job_id=job_id)
