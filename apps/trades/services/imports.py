"""Import jobs: start one (deterministic id), run it page by page from its checkpoint, finish or fail.

Lifecycle: queued → running → done | failed | parked.

* Same user + broker + window → the same job (`import_job_id`). Starting a job that is queued, running or
  done returns it as it is. Starting a *failed* job resumes it from its checkpoint (the pages already
  committed are kept). A job whose runs have failed `IMPORT_JOB_MAX_ATTEMPTS` times is *parked*: starting it
  again is refused until an operator releases it from the admin.
* Each page is one transaction: the trades, the job's counts and checkpoint, and the `import.progress`
  event commit together, so a worker killed at any point loses nothing and a re-run never counts twice.
  A page is only committed by the runner that holds the job's current checkpoint, so two runners of the
  same job (a redelivered message next to a live one) cannot both commit it.
* Scoring of the new trade ids is handed to the score queue after each page commits.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.services import audit_record
from apps.bias.services.prefetch import candles_prefetch_start, candles_prefetch_wait
from apps.brokers.adapters.base import TradePage
from apps.brokers.services import connection_adapter
from apps.core.errors import Conflict, DomainError, ExternalServiceError, ValidationFailed
from apps.events.services import event_append

from ..models import ImportJob
from ..parsers import ParseError, parse_file
from ..selectors import broker_connection_active_for, broker_connection_for_job
from .mappings import column_mapping_from_dict
from .upsert import trade_upsert_many

logger = logging.getLogger(__name__)

API_BROKERS = ("coinbase", "binance", "stub")
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=366 * 3)
SCORE_BATCH = 1000
UPLOAD_PAGE_SIZE = 1000
FINISHED = ("done", "failed", "parked")


def _max_attempts() -> int:
    return settings.IMPORT_JOB_MAX_ATTEMPTS


def _stale_after() -> timedelta:
    return timedelta(seconds=settings.IMPORT_JOB_STALE_SECONDS)


def import_job_id(*, user_id: str, broker: str, since: datetime, until: datetime) -> str:
    raw = f"{user_id}|{broker}|{since.isoformat()}|{until.isoformat()}"
    return hashlib.sha256(raw.encode()).hexdigest()


def import_window(*, since: datetime | None, until: datetime | None,
                  now: datetime | None = None) -> tuple[datetime, datetime]:
    """The window to import. Defaults: until = now (to the minute), since = until − 30 days.

    Flooring `until` to the minute makes a repeated click within the same minute the same job.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    for name, value in (("since", since), ("until", until)):
        if value is not None and timezone.is_naive(value):
            errors[name] = ["Give a timezone (e.g. 2026-01-31T00:00:00Z)."]
    if errors:
        raise ValidationFailed("Dates need a timezone.", fields=errors)
    until = until or now.replace(second=0, microsecond=0)
    since = since or until - DEFAULT_WINDOW
    if until > now + timedelta(minutes=1):
        raise ValidationFailed("until cannot be in the future.", fields={"until": ["In the future."]})
    if since >= until:
        raise ValidationFailed("since must be before until.", fields={"since": ["Not before until."]})
    if until - since > MAX_WINDOW:
        raise ValidationFailed("The window is too long (at most 3 years).", fields={"since": ["Too early."]})
    return since.astimezone(UTC), until.astimezone(UTC)


def import_job_start(*, user, broker: str, since: datetime | None = None, until: datetime | None = None,
                     enqueue: bool = True) -> ImportJob:
    """Start (or return) the import of `broker` trades in the window for `user`."""
    if broker not in API_BROKERS:
        raise ValidationFailed(f"Unknown broker {broker!r}.", fields={"broker": ["Unknown broker."]})
    since, until = import_window(since=since, until=until)
    connection = broker_connection_active_for(user=user, broker=broker)
    if connection is None:
        raise Conflict(f"There is no active {broker} connection. Connect it first.", code="not_connected")
    job_id = import_job_id(user_id=user.pk, broker=broker, since=since, until=until)
    with transaction.atomic():
        job, created = ImportJob.objects.select_for_update().get_or_create(
            id=job_id,
            defaults={"user": user, "broker": broker, "source": "api", "since": since, "until": until,
                      "connection_id": connection.pk},
        )
        if created:
            _announce_start(job)
        elif not _restart_if_needed(job, connection_id=connection.pk):
            return job
        if enqueue:
            transaction.on_commit(lambda: _enqueue(job.id))
    return job


def _restart_if_needed(job: ImportJob, *, connection_id: str = "") -> bool:
    """Called with the job row locked. True when the job was (re)queued and needs a runner."""
    if job.status == "parked":
        raise Conflict("This import failed too many times and is parked until an operator releases it.",
                       code="import_parked")
    if job.status == "failed":
        job.status, job.error, job.finished_at = "queued", "", None
        if connection_id:
            job.connection_id = connection_id
        job.save(update_fields=["status", "error", "finished_at", "connection_id", "updated_at"])
        _announce_start(job)
        return True
    if job.status in ("queued", "running") and job.updated_at < timezone.now() - _stale_after():
        job.save(update_fields=["updated_at"])  # a runner was lost: hand the job to a new one
        return True
    return False


def _announce_start(job: ImportJob) -> None:
    audit_record(user=job.user, action="import_start",
                 meta={"jobId": job.id, "broker": job.broker, "source": job.source})
    event_append(user=job.user, type="import.progress", payload=_progress(job, page=job.pages, done=False))


def import_job_release(*, job_id: str, enqueue: bool = True) -> ImportJob:
    """Operator action: give a parked job a fresh set of attempts and queue it again."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(id=job_id)
        if job.status != "parked":
            return job
        job.status, job.error, job.attempts, job.finished_at = "queued", "", 0, None
        job.save(update_fields=["status", "error", "attempts", "finished_at", "updated_at"])
        _announce_start(job)
        if enqueue:
            transaction.on_commit(lambda: _enqueue(job.id))
    return job


def _enqueue(job_id: str) -> None:
    from ..runner import import_job_enqueue

    import_job_enqueue(job_id=job_id)


def import_job_run(*, job_id: str) -> ImportJob | None:
    """Run the job from its checkpoint to the end. Safe to call again at any point, from any process."""
    job = _claim(job_id)
    if job is None or job.status != "running":
        return job
    if job.source == "upload":
        return _run_upload(job)
    return _run_api(job)


def _claim(job_id: str) -> ImportJob | None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(id=job_id).first()
        if job is None or job.status in FINISHED:
            return job
        job.status = "running"
        job.attempts += 1
        job.save(update_fields=["status", "attempts", "updated_at"])
    return job


def _run_api(job: ImportJob) -> ImportJob | None:
    connection = broker_connection_for_job(user_id=job.user_id, connection_id=job.connection_id)
    if connection is None or connection.status != "active":
        return import_job_fail(job_id=job.id, error=f"The {job.broker} connection is no longer active. "
                                                    "Reconnect it, then start the import again.")
    try:
        adapter = connection_adapter(connection=connection)
    except ExternalServiceError as exc:
        return import_job_fail(job_id=job.id, error=_readable(job.broker, exc))
    except DomainError as exc:  # paused or disconnected meanwhile, or no adapter for this broker
        return import_job_fail(job_id=job.id, error=exc.message)
    cursor = job.cursor or None
    prefetches = []  # candles for the pages so far, fetched while the next pages arrive
    while True:
        try:
            page = adapter.fetch_trades(since=job.since, until=job.until, cursor=cursor)
        except ExternalServiceError as exc:
            return import_job_fail(job_id=job.id, error=_readable(job.broker, exc))
        if page.next_cursor:
            prefetches.append(candles_prefetch_start(trades=page.items))
        else:  # the last page hands the trades to scoring: let it find the prefetched candles stored
            candles_prefetch_wait(prefetches)
        committed = import_job_commit_page(job_id=job.id, expected_cursor=cursor or "", page=page)
        if committed is None or committed.status != "running":
            return committed
        cursor = page.next_cursor


def _readable(broker: str, exc: ExternalServiceError) -> str:
    name = broker.capitalize()
    return exc.message if name in exc.message else f"{name}: {exc.message}"


def _run_upload(job: ImportJob) -> ImportJob | None:
    upload = job.upload
    mapping = column_mapping_from_dict(upload.mapping) if upload.mapping else None
    try:
        result = parse_file(bytes(upload.content), mapping=mapping, filename=upload.filename)
    except ParseError as exc:
        return import_job_fail(job_id=job.id, error=exc.message, park=True)
    offset = int(job.cursor or 0)
    while True:
        items = result.trades[offset:offset + UPLOAD_PAGE_SIZE]
        following = offset + len(items)
        next_cursor = str(following) if following < len(result.trades) else None
        committed = import_job_commit_page(job_id=job.id, expected_cursor=str(offset) if offset else "",
                                           page=TradePage(items=items, next_cursor=next_cursor))
        if committed is None or committed.status != "running":
            return committed
        offset = following


def import_job_commit_page(*, job_id: str, expected_cursor: str, page: TradePage) -> ImportJob | None:
    """Store one page: trades, counts, checkpoint and the progress event in one transaction.

    Returns None (and writes nothing) when the job moved on without this runner — another runner
    committed from the same checkpoint, or the job was finished meanwhile.
    """
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("user").get(id=job_id)
        if job.status != "running" or job.cursor != expected_cursor:
            return None
        result = trade_upsert_many(user=job.user, broker=job.broker, items=list(page.items))
        done = not page.next_cursor
        job.fetched += len(page.items)
        job.inserted += result.inserted
        job.duplicates += result.duplicates
        job.pages += 1
        job.cursor = page.next_cursor or ""
        fields = ["fetched", "inserted", "duplicates", "pages", "cursor", "updated_at"]
        if done:
            job.status, job.finished_at = "done", timezone.now()
            fields += ["status", "finished_at"]
        job.save(update_fields=fields)
        event_append(user=job.user, type="import.progress", payload=_progress(job, page=job.pages, done=done))
        if done:
            audit_record(user=job.user, action="import_done", meta={"jobId": job.id, **_counts(job)})
        if result.inserted_ids:
            user_id, ids = job.user_id, list(result.inserted_ids)
            transaction.on_commit(lambda: trade_scoring_enqueue(user_id=user_id, trade_ids=ids))
    return job


def import_job_fail(*, job_id: str, error: str, park: bool = False) -> ImportJob | None:
    """End this run with a readable error; park the job once it has failed too often."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("user").filter(id=job_id).first()
        if job is None or job.status in FINISHED:
            return job
        job.status = "parked" if park or job.attempts >= _max_attempts() else "failed"
        job.error = error[:2000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at", "updated_at"])
        event_append(user=job.user, type="import.progress",
                     payload={**_progress(job, page=job.pages, done=True), "error": job.error})
        audit_record(user=job.user, action="import_failed",
                     meta={"jobId": job.id, "status": job.status, "error": job.error})
    logger.warning("import job %s %s: %s", job.id, job.status, job.error)
    return job


def trade_scoring_enqueue(*, user_id: str, trade_ids: Iterable[str]) -> None:
    """Hand new trades to the score queue in batches (call after commit)."""
    from apps.bias.tasks import bias_score_trades_task

    ids = list(trade_ids)
    for start in range(0, len(ids), SCORE_BATCH):
        batch = ids[start:start + SCORE_BATCH]
        try:
            bias_score_trades_task.delay(user_id=str(user_id), trade_ids=batch)
        except Exception:  # the trades are committed; a failed hand-off must not undo or fail the import
            logger.exception("handing %d new trades of user %s to scoring failed", len(batch), user_id)


def _counts(job: ImportJob) -> dict:
    return {"fetched": job.fetched, "inserted": job.inserted, "duplicates": job.duplicates,
            "skipped": job.skipped}


def _progress(job: ImportJob, *, page: int, done: bool) -> dict:
    return {"jobId": job.id, "page": page, "fetched": job.fetched, "inserted": job.inserted,
            "duplicates": job.duplicates, "skipped": job.skipped, "status": job.status, "done": done}

