"""Durable background jobs: a row per job, a state machine, a lease while it runs, and a reaper.

Every piece of background work (an import, a scoring run, a simulation, a digest) is a row of a model that
extends `LeasedJob`. The row, not a queue message, is the truth:

    queued ──claim──▶ running ──▶ done
      ▲                  │  ├───▶ failed   (a reason the user can act on; starting it again resumes it)
      └──retry later─────┘  └───▶ parked   (attempts used up; an operator releases it)

* `job_dispatch` hands a job id to its task by name: a Celery queue in production, the in-process runner
  in the embedded default (`JOBS_IN_PROCESS`). Called inside a transaction it is sent on commit. Sending the
  same id twice is harmless: only one runner can hold the lease.
* `job_claim` takes the lease (queued, or running with an expired lease → running, attempts + 1);
  `job_claim_many` takes many of one kind in one statement (a batch), `job_locked_many` / `job_done_many`
  lock and finish them together;
  `job_lease_kept` renews it from a helper thread while the work runs; `job_locked` re-checks, inside the
  caller's transaction, that the lease is still this runner's before a write.
* `job_fail` schedules a retry with backoff (queued, `not_before`) or ends the job; a final state calls
  the kind's `on_final` inside the same transaction (hand-offs such as "score what this import stored").
* `jobs_reap` (beat every few seconds; a thread in the embedded default) re-dispatches running jobs whose
  lease expired (the worker died) and queued jobs nobody picked up. A job claimed after its attempts are
  used up is parked with the reason, so nothing stays unfinished.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from .background import background_pool
from .errors import DomainError
from .ids import new_id

logger = logging.getLogger(__name__)


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    PARKED = "parked", "Parked"


FINAL_STATUSES = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.PARKED})


class LeasedJob(models.Model):
    """The columns every job row shares (the concrete model adds its id, owner and payload)."""

    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_owner = models.CharField(max_length=32, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class JobKind:
    """How the reaper and the runner treat one model's jobs."""

    model: type[LeasedJob]
    task_name: str
    max_attempts: Callable[[], int]
    on_final: Callable[[LeasedJob], None] | None = None
    on_retry: Callable[[LeasedJob], None] | None = None


_kinds: dict[str, JobKind] = {}
_discovery_lock = threading.Lock()


def job_kind_register(*, model: type[LeasedJob], task_name: str, max_attempts: Callable[[], int] | int = 3,
                      on_final: Callable[[LeasedJob], None] | None = None,
                      on_retry: Callable[[LeasedJob], None] | None = None) -> JobKind:
    """Declare a job model and the Celery task (by name) that runs one of its rows: `task(job_id=...)`.

    `on_final(job)` runs inside the transaction that gives the job its final state (done, failed, parked);
    `on_retry(job)` inside the one that queues it again after a failed attempt."""
    attempts = max_attempts if callable(max_attempts) else (lambda: max_attempts)
    kind = JobKind(model=model, task_name=task_name, max_attempts=attempts, on_final=on_final, on_retry=on_retry)
    _kinds[task_name] = kind
    return kind


def job_kind(task_name: str) -> JobKind:
    return _kinds[task_name]


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.JOB_LEASE_SECONDS)


def retry_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: 2, 4, 8 … capped at a minute."""
    return float(min(60, 2 ** max(1, attempts)))


# --- dispatch -------------------------------------------------------------------------------------------

def job_dispatch(*, task_name: str, job_id: str, countdown: float = 0) -> None:
    """Run `task_name(job_id=job_id)` in the background; after commit when called inside a transaction."""
    transaction.on_commit(lambda: _send(task_name, job_id, countdown))


def job_task(task_name: str):
    """The Celery task registered under `task_name` (the apps' tasks modules are loaded on first use)."""
    from celery import current_app
    from celery.exceptions import NotRegistered

    try:
        return current_app.tasks[task_name]
    except NotRegistered:
        with _discovery_lock:  # one thread imports the tasks modules; the others wait for it
            if task_name not in current_app.tasks:
                current_app.autodiscover_tasks(force=True)  # every installed app's tasks module
        return current_app.tasks[task_name]


def _send(task_name: str, job_id: str, countdown: float) -> None:
    try:
        if settings.JOBS_IN_PROCESS:
            _in_process_submit(task_name, job_id, countdown)
        else:
            job_task(task_name).apply_async(kwargs={"job_id": job_id}, countdown=countdown or None)
    except Exception:  # the row is queued: the reaper sends it again, nothing is lost
        logger.exception("dispatching %s(%s) failed; the reaper will retry", task_name, job_id)


def _in_process_submit(task_name: str, job_id: str, countdown: float) -> None:
    pool = background_pool("jobs", workers=settings.JOBS_IN_PROCESS_WORKERS)
    if countdown > 0:
        timer = threading.Timer(countdown, lambda: pool.submit(_in_process_run, task_name, job_id))
        timer.daemon = True
        timer.start()
    else:
        pool.submit(_in_process_run, task_name, job_id)


def _in_process_run(task_name: str, job_id: str) -> None:
    """The embedded default's worker: the same task body a Celery worker runs, on a pool thread."""
    close_old_connections()
    try:
        job_task(task_name).run(job_id=job_id)
    except Exception:  # recorded on the job row by the task itself; the reaper covers anything else
        logger.exception("%s(%s) failed in the in-process runner", task_name, job_id)
    finally:
        connection.close()


# --- lease ----------------------------------------------------------------------------------------------

def job_claim(*, task_name: str, job_id: str, serialize_on: str | None = None,
              may_start: Callable[[LeasedJob], bool] | None = None) -> tuple[LeasedJob | None, str | None]:
    """Take the job's lease. Returns (job, owner) — owner None when this runner must not run it.

    Not claimed: unknown or finished jobs, a live lease held by another runner, a retry not yet due, or
    `may_start(job)` saying no (called with the row locked). Claims that name the same `serialize_on` key
    are taken one at a time (e.g. one scoring run per user). A job whose attempts are used up is parked
    here, with the last reason, and its kind's `on_final` runs.
    """
    kind = _kinds[task_name]
    if serialize_on is None and may_start is None and connection.vendor == "postgresql":
        claimed = _claim_at_once(kind, job_id)
        if claimed is not None:
            return claimed
    now = timezone.now()
    with transaction.atomic():
        if serialize_on:
            advisory_lock(serialize_on)
        job = kind.model.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return job, None
        if job.status == JobStatus.RUNNING and job.lease_expires_at and job.lease_expires_at > now:
            return job, None
        if job.not_before and job.not_before > now + timedelta(seconds=1):  # a retry not yet due
            return job, None
        if may_start is not None and not may_start(job):
            return job, None
        if job.attempts >= kind.max_attempts():
            reason = job.error or "The work stopped before it finished."
            _end(kind, job, JobStatus.PARKED, f"Stopped after {job.attempts} attempts. {reason}")
            return job, None
        owner = new_id()
        job.status, job.attempts, job.lease_owner = JobStatus.RUNNING, job.attempts + 1, owner
        job.lease_expires_at, job.not_before = now + lease_duration(), None
        job.save(update_fields=["status", "attempts", "lease_owner", "lease_expires_at", "not_before", "updated_at"])
    return job, owner


def _claim_at_once(kind: JobKind, job_id: str) -> tuple[LeasedJob, str] | None:
    """The usual claim as one statement (PostgreSQL): a queued job or an expired lease, due, attempts left →
    running under a new owner, the row returned. None when it does not apply: `job_claim` then looks at the
    row (a live lease, a retry not yet due, attempts used up, unknown or finished). A concurrent claim waits
    for the row and is checked again against its new state, so only one runner gets it."""
    model, quote = kind.model, connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    columns = ", ".join(f"job.{quote(field.column)}" for field in model._meta.concrete_fields)
    owner, now = new_id(), timezone.now()
    sql = f"""
        UPDATE {table} AS job SET status = %s, attempts = job.attempts + 1, lease_owner = %s,
               lease_expires_at = %s, not_before = NULL, updated_at = %s
        WHERE job.{pk} = %s AND job.attempts < %s
          AND (job.status = %s OR (job.status = %s AND (job.lease_expires_at IS NULL OR job.lease_expires_at <= %s)))
          AND (job.not_before IS NULL OR job.not_before <= %s)
        RETURNING {columns}"""
    rows = list(model.objects.raw(sql, [JobStatus.RUNNING, owner, now + lease_duration(), now, job_id,
                                        kind.max_attempts(), JobStatus.QUEUED, JobStatus.RUNNING, now,
                                        now + timedelta(seconds=1)]))
    return (rows[0], owner) if rows else None


def advisory_lock(key: str) -> None:
    """Inside a transaction: wait for, then hold until commit, a lock named `key` (PostgreSQL advisory lock;
    SQLite's IMMEDIATE transactions already admit one writer at a time)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def job_locked(*, task_name: str, job_id: str, owner: str) -> LeasedJob | None:
    """Inside a transaction: the job row, locked, if this runner still holds its lease; else None."""
    job = _kinds[task_name].model.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.status != JobStatus.RUNNING or job.lease_owner != owner:
        return None
    job.lease_expires_at = timezone.now() + lease_duration()
    return job


def job_claim_many(*, task_name: str, job_ids: list[str]) -> dict[str, str]:
    """Take the leases of many jobs of one kind at once. -> {job id: owner} for the jobs this runner now holds.

    On PostgreSQL one statement claims them all, by the rules of `job_claim` (without `serialize_on` and
    `may_start`): queued jobs and running ones whose lease expired, retries that are due, attempts left.
    Rows are locked in id order and checked again after any wait, so runners claiming overlapping sets at
    the same moment never both take a job and never deadlock. A job whose attempts are used up goes
    through `job_claim`, which parks it. Elsewhere (SQLite) each job is claimed with `job_claim`."""
    kind = _kinds[task_name]
    ids = sorted(set(job_ids))
    if not ids:
        return {}
    if connection.vendor != "postgresql":
        claimed = {job_id: job_claim(task_name=task_name, job_id=job_id)[1] for job_id in ids}
        return {job_id: owner for job_id, owner in claimed.items() if owner is not None}
    model, quote = kind.model, connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    owner, now, max_attempts = new_id(), timezone.now(), kind.max_attempts()
    sql = f"""
        WITH picked AS (
            SELECT {pk} FROM {table}
            WHERE {pk} = ANY(%s) AND attempts < %s
              AND (status = %s OR (status = %s AND (lease_expires_at IS NULL OR lease_expires_at <= %s)))
              AND (not_before IS NULL OR not_before <= %s)
            ORDER BY {pk} FOR UPDATE)
        UPDATE {table} AS job SET status = %s, attempts = job.attempts + 1, lease_owner = %s,
               lease_expires_at = %s, not_before = NULL, updated_at = %s
        FROM picked WHERE job.{pk} = picked.{pk} RETURNING job.{pk}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, max_attempts, JobStatus.QUEUED, JobStatus.RUNNING, now, now + timedelta(seconds=1),
                             JobStatus.RUNNING, owner, now + lease_duration(), now])
        claimed = {row[0]: owner for row in cursor.fetchall()}
    worn_out = model.objects.filter(pk__in=[i for i in ids if i not in claimed], attempts__gte=max_attempts,
                                    status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    for job_id in worn_out.values_list("pk", flat=True):
        _, parked_owner = job_claim(task_name=task_name, job_id=job_id)
        if parked_owner is not None:  # its attempts were reset meanwhile: it is this runner's now
            claimed[job_id] = parked_owner
    return claimed


def job_locked_many(*, task_name: str, owners: dict[str, str]) -> dict[str, LeasedJob]:
    """Inside a transaction: `job_locked` for many jobs in one query ({job id: owner} → {job id: locked row}
    for those whose lease the owner still holds)."""
    rows = _kinds[task_name].model.objects.select_for_update().filter(pk__in=list(owners), status=JobStatus.RUNNING)
    expires = timezone.now() + lease_duration()
    locked = {}
    for job in rows.order_by("pk"):
        if job.lease_owner == owners[job.pk]:
            job.lease_expires_at = expires
            locked[job.pk] = job
    return locked


@contextmanager
def job_lease_kept(*, task_name: str, job_id: str, owner: str) -> Iterator[None]:
    """Renew the lease from a helper thread every third of its duration while the block runs."""
    model = _kinds[task_name].model
    stop = threading.Event()
    interval = max(0.5, settings.JOB_LEASE_SECONDS / 3)

    def renew() -> None:
        try:
            while not stop.wait(interval):
                renewed = model.objects.filter(pk=job_id, lease_owner=owner, status=JobStatus.RUNNING).update(
                    lease_expires_at=timezone.now() + lease_duration())
                if not renewed:
                    return
        except Exception:  # a missed renewal only risks a second runner, which the lease check refuses
            logger.warning("renewing the lease of %s(%s) failed", task_name, job_id, exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=renew, name=f"lease-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)


# --- transitions ----------------------------------------------------------------------------------------

def job_done(*, task_name: str, job: LeasedJob) -> None:
    """Inside the caller's transaction, with the row locked (`job_locked`): running → done."""
    _end(_kinds[task_name], job, JobStatus.DONE, "")


def job_done_many(*, task_name: str, jobs: list[LeasedJob]) -> None:
    """`job_done` for many locked rows (`job_locked_many`): one update when the kind has no `on_final`."""
    kind = _kinds[task_name]
    if kind.on_final is not None or len(jobs) < 2:
        for job in jobs:
            _end(kind, job, JobStatus.DONE, "")
        return
    now = timezone.now()
    kind.model.objects.filter(pk__in=[job.pk for job in jobs]).update(
        status=JobStatus.DONE, error="", finished_at=now, lease_owner="", lease_expires_at=None, not_before=None,
        updated_at=now)
    for job in jobs:
        job.status, job.error, job.finished_at, job.updated_at = JobStatus.DONE, "", now, now
        job.lease_owner, job.lease_expires_at, job.not_before = "", None, None


def job_fail(*, task_name: str, job_id: str, error: str, retry: bool, owner: str | None = None) -> LeasedJob | None:
    """End a run that failed: queued again with backoff (`retry` and attempts left), else parked when
    `retry` (attempts used up) or failed (`retry` False: a reason the user can fix, e.g. a bad file).

    With `owner`, only the runner holding the lease may do it (None = an operator or a pre-check)."""
    kind = _kinds[task_name]
    with transaction.atomic():
        job = kind.model.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished or (owner is not None and job.lease_owner != owner):
            return job
        error = error[:2000]
        if retry and job.attempts < kind.max_attempts():
            delay = retry_delay(job.attempts)
            job.status, job.error, job.lease_owner, job.lease_expires_at = JobStatus.QUEUED, error, "", None
            job.not_before = timezone.now() + timedelta(seconds=delay)
            job.save(update_fields=["status", "error", "lease_owner", "lease_expires_at", "not_before",
                                    "updated_at"])
            if kind.on_retry is not None:
                kind.on_retry(job)
            job_dispatch(task_name=task_name, job_id=job.pk, countdown=delay)
        else:
            _end(kind, job, JobStatus.PARKED if retry else JobStatus.FAILED, error)
    logger.warning("%s(%s) %s: %s", task_name, job_id, job.status, job.error)
    return job


def job_run(*, task_name: str, job_id: str, work: Callable[[LeasedJob], object],
            finish: Callable[[LeasedJob, object], None], crash_message: str, retry_domain_errors: bool = False,
            serialize_on: str | None = None, may_start: Callable[[LeasedJob], bool] | None = None) -> LeasedJob | None:
    """The whole life of one run: claim the lease, `work(job)` outside any transaction with the lease kept,
    then `finish(locked_job, result)` and done in one transaction — only while this runner holds the lease.

    A `DomainError` from the work fails the job with its message (retried when `retry_domain_errors`); any
    other exception is retried with `crash_message` (formatted with `{error}`, the exception's type)."""
    job, owner = job_claim(task_name=task_name, job_id=job_id, serialize_on=serialize_on, may_start=may_start)
    if owner is None:
        return job
    try:
        with job_lease_kept(task_name=task_name, job_id=job_id, owner=owner):
            result = work(job)
    except DomainError as exc:
        return job_fail(task_name=task_name, job_id=job_id, owner=owner, error=exc.message,
                        retry=retry_domain_errors)
    except Exception as exc:
        logger.warning("%s(%s) attempt %d failed", task_name, job_id, job.attempts, exc_info=True)
        return job_fail(task_name=task_name, job_id=job_id, owner=owner, retry=True,
                        error=crash_message.format(error=type(exc).__name__))
    with transaction.atomic():
        locked = job_locked(task_name=task_name, job_id=job_id, owner=owner)
        if locked is None:  # another runner took the job over meanwhile
            return _kinds[task_name].model.objects.filter(pk=job_id).first()
        finish(locked, result)
        job_done(task_name=task_name, job=locked)
    return locked


def job_requeue(*, task_name: str, job: LeasedJob, reset_attempts: bool = False) -> None:
    """Inside a transaction, row locked: a failed or parked job → queued (resumes where it stopped)."""
    job.status, job.error, job.finished_at, job.not_before = JobStatus.QUEUED, "", None, None
    job.lease_owner, job.lease_expires_at = "", None
    if reset_attempts:
        job.attempts = 0
    job.save(update_fields=["status", "error", "finished_at", "not_before", "lease_owner", "lease_expires_at",
                            "attempts", "updated_at"])
    job_dispatch(task_name=task_name, job_id=job.pk)


def _end(kind: JobKind, job: LeasedJob, status: str, error: str) -> None:
    job.status, job.error, job.finished_at = status, error[:2000], timezone.now()
    job.lease_owner, job.lease_expires_at, job.not_before = "", None, None
    job.save(update_fields=["status", "error", "finished_at", "lease_owner", "lease_expires_at", "not_before",
                            "updated_at"])
    if kind.on_final is not None:
        kind.on_final(job)


# --- reaper ---------------------------------------------------------------------------------------------

def jobs_reap(*, now: datetime | None = None, forgotten_after: float | None = None) -> int:
    """Send again every job whose runner died (lease expired) or that nobody picked up (queued for longer
    than `forgotten_after` seconds, default JOB_REDISPATCH_SECONDS). Returns how many."""
    now = now or timezone.now()
    wait = settings.JOB_REDISPATCH_SECONDS if forgotten_after is None else forgotten_after
    forgotten = now - timedelta(seconds=wait)
    sent = 0
    for kind in list(_kinds.values()):
        due = (
            Q(status=JobStatus.RUNNING, lease_expires_at__lt=now)
            | Q(status=JobStatus.RUNNING, lease_expires_at__isnull=True, updated_at__lt=forgotten)
            | (Q(status=JobStatus.QUEUED, updated_at__lt=forgotten)
               & (Q(not_before__isnull=True) | Q(not_before__lte=now)))
        )
        ids = list(kind.model.objects.filter(due).order_by("updated_at").values_list("pk", flat=True)[:500])
        if not ids:
            continue
        # Touch queued rows so each is sent once per period, not on every tick.
        kind.model.objects.filter(pk__in=ids, status=JobStatus.QUEUED).update(updated_at=now)
        for job_id in ids:
            _send(kind.task_name, job_id, 0)
        sent += len(ids)
        logger.info("reaper: sent %d %s job(s) again", len(ids), kind.task_name)
    return sent


_reaper = {"thread": None}
_reaper_lock = threading.Lock()
_embedded_periodic: list[Callable[[], object]] = []


def embedded_periodic_register(work: Callable[[], object]) -> Callable[[], object]:
    """Register periodic work that beat runs in production (e.g. ending expired cooldowns) to run on every pass
    of the embedded reaper too, where there is no beat. Register in AppConfig.ready()."""
    if work not in _embedded_periodic:
        _embedded_periodic.append(work)
    return work


def reaper_embedded_pass(*, forgotten_after: float | None = None) -> None:
    """One pass of the embedded reaper: send again what needs it, then the registered periodic work (each
    failure logged, the others still run)."""
    jobs_reap(forgotten_after=forgotten_after)
    for work in list(_embedded_periodic):
        try:
            work()
        except Exception:
            logger.exception("embedded periodic work %s failed; trying again next pass", getattr(work, "__name__", work))


def reaper_embedded_start() -> None:
    """The embedded default has no beat: run the reaper on a daemon thread of the web process (once)."""
    if not settings.JOBS_IN_PROCESS or _reaper["thread"] is not None:
        return
    with _reaper_lock:
        if _reaper["thread"] is not None:
            return

        def loop() -> None:
            # A fresh process has no runner yet: whatever is queued (e.g. left by a restart mid-import) is
            # waiting for this one, so the first pass sends every queued job at once.
            forgotten_after: float | None = 0
            while True:
                try:
                    close_old_connections()
                    reaper_embedded_pass(forgotten_after=forgotten_after)
                    forgotten_after = None
                except Exception:
                    logger.exception("the embedded job reaper failed; trying again")
                finally:
                    connection.close()
                threading.Event().wait(settings.JOB_REAPER_INTERVAL_SECONDS)

        thread = threading.Thread(target=loop, name="job-reaper", daemon=True)
        _reaper["thread"] = thread
        thread.start()


def jobs_run_pending(*, limit: int = 1000, wait_seconds: float = 600.0, **filters) -> int:
    """Run the queued jobs (of every kind whose rows have the `filters`' fields, e.g. user_id=…) here, one
    after another, until none is due and none is running elsewhere. For a command that must see its work
    finished before it exits (the demo seed): a job handed off on commit may already be running on the
    in-process pool (or a worker), so a job another runner holds a live lease on is waited for (at most
    `wait_seconds` in all), and one whose lease ran out is run here."""
    def has_fields(model) -> bool:
        names = {f.attname for f in model._meta.concrete_fields} | {f.name for f in model._meta.concrete_fields}
        return all(key.split("__")[0] in names for key in filters)

    kinds = [kind for kind in list(_kinds.values()) if has_fields(kind.model)]
    deadline = time.monotonic() + wait_seconds
    ran = 0
    while ran < limit:
        now = timezone.now()
        lapsed = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
        due = ((Q(status=JobStatus.QUEUED) & (Q(not_before__isnull=True) | Q(not_before__lte=now)))
               | (Q(status=JobStatus.RUNNING) & lapsed))
        found = next(((kind, pk) for kind in kinds
                      for pk in kind.model.objects.filter(due, **filters).order_by("updated_at")
                      .values_list("pk", flat=True)[:1]), None)
        if found is not None:
            kind, job_id = found
            job_task(kind.task_name).run(job_id=job_id)
            if not kind.model.objects.filter(due, pk=job_id).exists():
                ran += 1
                continue
            # not taken (e.g. one scoring run per user at a time and another one holds it): wait as below
        held = any(kind.model.objects.filter(status=JobStatus.RUNNING, **filters).exists() for kind in kinds)
        if not (held or found) or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return ran
