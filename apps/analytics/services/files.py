"""Deleting stored files as a durable job: retried until every path is gone."""
from __future__ import annotations

from datetime import datetime

from django.core.files.storage import default_storage
from django.db import transaction

from apps.core.jobs import (
    JobStatus,
    job_claim,
    job_dispatch,
    job_done,
    job_fail,
    job_kind_register,
    job_locked,
    job_requeue,
)

from ..models import StoredFileDeletion

TASK = "analytics.files_delete"
MAX_ATTEMPTS = 50  # storage outages end; the row stays visible (admin) if they do not

job_kind_register(model=StoredFileDeletion, task_name=TASK, max_attempts=MAX_ATTEMPTS)


def stored_files_delete_schedule(*, paths: list[str], reason: str, not_before: datetime | None = None
                                 ) -> StoredFileDeletion | None:
    """Queue the deletion of `paths` (after `not_before`); inside the caller's transaction. None when empty."""
    if not paths:
        return None
    job = StoredFileDeletion.objects.create(paths=sorted(set(paths)), reason=reason, not_before=not_before)
    countdown = max(0.0, (not_before - job.created_at).total_seconds()) if not_before else 0
    job_dispatch(task_name=TASK, job_id=job.id, countdown=countdown)
    return job


def stored_files_delete_execute(*, job_id: str) -> StoredFileDeletion | None:
    job, owner = job_claim(task_name=TASK, job_id=job_id)
    if owner is None:
        return job
    try:
        for path in job.paths:
            default_storage.delete(path)  # a missing file is not an error
    except Exception as exc:
        return job_fail(task_name=TASK, job_id=job_id, owner=owner, retry=True,
                        error=f"The storage refused a delete ({type(exc).__name__}); trying again.")
    with transaction.atomic():
        locked = job_locked(task_name=TASK, job_id=job_id, owner=owner)
        if locked is None:
            return job
        locked.deleted = len(locked.paths)
        locked.save(update_fields=["deleted", "updated_at"])
        job_done(task_name=TASK, job=locked)
    return locked


def stored_files_delete_release(*, job_id: str) -> StoredFileDeletion | None:
    """A parked or failed deletion → queued again with fresh attempts (the operator's "release")."""
    with transaction.atomic():
        job = StoredFileDeletion.objects.select_for_update().filter(id=job_id).first()
        if job is None or job.status not in (JobStatus.PARKED, JobStatus.FAILED):
            return job
        job_requeue(task_name=TASK, job=job, reset_attempts=True)
    return job
