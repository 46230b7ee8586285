from __future__ import annotations

from celery import shared_task

from .services import outbox_retention_run


@shared_task(acks_late=True, reject_on_worker_lost=True)
def outbox_retention_task() -> dict:
    return outbox_retention_run()
