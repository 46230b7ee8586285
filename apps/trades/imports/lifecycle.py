"""The import job's state machine; every transition is one transaction with its `import.progress` event.

    queued ─claim─▶ running ─page…─▶ done
      ▲                │    └──────▶ failed  (the source refused: reconnect, fix the file; a restart resumes)
      └─retry later────┘    └──────▶ parked  (attempts used up; an operator releases it)

The shared mechanics (lease, retry with backoff, reaper) are `apps.core.jobs`; this module adds what an
import announces at each step and the hand-off at its final state: `import finished` hooks, called once
per final state inside its transaction.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction

from apps.accounts.services import audit_record
from apps.brokers.types import TradePage
from apps.core.errors import Conflict
from apps.core.jobs import (
    JobStatus,
    job_dispatch,
    job_done,
    job_fail,
    job_kind_register,
    job_locked,
    job_requeue,
)
from apps.events.services import event_append

from ..hooks import ImportFinished, import_finished_notify
from ..models import ImportJob
from ..services.upsert import trade_raw_attach, trade_upsert_many

TASK = "trades.import_job_run"


def _announce(job: ImportJob, *, done: bool = False) -> None:
    payload = {"jobId": job.id, "page": job.pages, "fetched": job.fetched, "inserted": job.inserted,
               "duplicates": job.duplicates, "skipped": job.skipped, "status": job.status, "done": done,
               "attempts": job.attempts}
    if job.error:
        payload["error"] = job.error
    event_append(user=_user_of(job), type="import.progress", payload=payload)


def _user_of(job: ImportJob):
    """The job's user as `event_append` needs it (its key): the row each page locks comes without it, and
    loading it would cost a query a page."""
    if ImportJob.user.is_cached(job):
        return job.user
    return ImportJob.user.field.related_model(pk=job.user_id)


def _on_final(job: ImportJob) -> None:
    _announce(job, done=True)
    action = "import_done" if job.status == JobStatus.DONE else "import_failed"
    audit_record(user=job.user, action=action,
                 meta={"jobId": job.id, "status": job.status, "fetched": job.fetched, "inserted": job.inserted,
                       "duplicates": job.duplicates, "skipped": job.skipped, "error": job.error})
    import_finished_notify(ImportFinished(job_id=job.id, user_id=job.user_id, status=job.status,
                                          inserted=job.inserted))


def _on_retry(job: ImportJob) -> None:
    _announce(job)


job_kind_register(model=ImportJob, task_name=TASK, max_attempts=lambda: settings.IMPORT_JOB_MAX_ATTEMPTS,
                  on_final=_on_final, on_retry=_on_retry)


def import_job_open(*, job_id: str, defaults: dict, on_create: Callable[[ImportJob], None] | None = None,
                    on_resume: Callable[[ImportJob], None] | None = None, enqueue: bool = True) -> ImportJob:
    """Create the job (queued), or return the existing one — resumed when it failed, sent to a runner
    again when it is unfinished (a live runner keeps it; a dead one's work is taken over). Done jobs are
    returned as they are; parked ones are refused until an operator releases them."""
    with transaction.atomic():
        job, created = ImportJob.objects.select_for_update().get_or_create(id=job_id, defaults=defaults)
        if created:
            if on_create is not None:
                on_create(job)
            audit_record(user=job.user, action="import_start",
                         meta={"jobId": job.id, "broker": job.broker, "source": job.source})
            _announce(job)
        elif job.status == JobStatus.PARKED:
            raise Conflict("This import failed too many times and is parked until an operator releases it.",
                           code="import_parked")
        elif job.status == JobStatus.FAILED:
            if on_resume is not None:
                on_resume(job)
            job_requeue(task_name=TASK, job=job)
            audit_record(user=job.user, action="import_start",
                         meta={"jobId": job.id, "broker": job.broker, "source": job.source, "resumed": True})
            _announce(job)
            return job
        elif job.status == JobStatus.DONE:
            return job
        if enqueue:
            job_dispatch(task_name=TASK, job_id=job.id)
    return job


def import_job_release(*, job_id: str) -> ImportJob:
    """Operator action: give a parked job a fresh set of attempts and queue it again."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(of=("self",)).select_related("user").get(id=job_id)
        if job.status == JobStatus.PARKED:
            job_requeue(task_name=TASK, job=job, reset_attempts=True)
            _announce(job)
    return job


@contextmanager
def import_page_transaction(*, final: bool) -> Iterator[None]:
    """The transaction of one page. On PostgreSQL a page that is not the job's last commits without waiting
    for its WAL flush (`synchronous_commit` off for this transaction only), as bulk loads do: a server crash
    may then forget the last pages committed (those of the last 3 × `wal_writer_delay`, 0.6 s by default),
    never part of one. A page's trades commit with the job's checkpoint, so the job then resumes from the
    checkpoint the server kept and stores every trade exactly once (what other sessions saw of a forgotten
    page, its progress event or its trades, comes back with it). Everything else waits for the flush as
    before: the last page (the job done, its hand-off), a failure or a retry (`job_fail`), any other
    transaction — and each flush makes every earlier commit durable too. A worker that dies loses nothing
    committed. Inside a caller's transaction the caller's commit decides."""
    deferred = not final and connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if deferred:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def import_page_commit(*, job_id: str, owner: str, page: TradePage) -> ImportJob | None:
    """Store one page: trades, counts, checkpoint, lease and the progress event in one transaction; the
    last page (no next cursor) also finishes the job. None (nothing written) when this runner lost the
    lease meanwhile."""
    with import_page_transaction(final=not page.next_cursor):
        job = job_locked(task_name=TASK, job_id=job_id, owner=owner)
        if job is None:
            return None
        result = trade_upsert_many(user=job.user_id, broker=job.broker, items=list(page.items))
        if page.raw:
            trade_raw_attach(user=job.user_id, broker=job.broker, trade_ids=result.inserted_ids, raw=page.raw)
        job.fetched += len(page.items)
        job.inserted += result.inserted
        job.duplicates += result.duplicates
        job.pages += 1
        job.cursor = page.next_cursor or ""
        job.save(update_fields=["fetched", "inserted", "duplicates", "pages", "cursor", "lease_expires_at",
                                "updated_at"])
        if page.next_cursor:
            _announce(job)
        else:
            job_done(task_name=TASK, job=job)
    return job


def import_job_fail(*, job_id: str, owner: str | None, error: str, retry: bool) -> ImportJob | None:
    """This run failed: retried later (`retry`, attempts left), else failed (a reason the user can act
    on) or parked. Counts and the checkpoint stay, so the next run resumes after the last stored page."""
    return job_fail(task_name=TASK, job_id=job_id, owner=owner, error=error, retry=retry)
