"""The request side of an import: validate, decide the job's id, open (or resume) the job.

Same user + broker + window → the same API job; same user + file + mapping → the same upload job, so
asking twice is the same job. An uploaded file is parsed here, once: an unreadable file is refused at once
(400, nothing written), and the job keeps the parsed trades and the report (format, rows skipped by type,
unreadable rows) for the worker and the user.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.core.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from apps.core.jobs import JobStatus

from ..models import ColumnMappingPreset, ImportJob, ImportUpload
from ..parsers import ParseError, parse_file
from ..selectors import broker_connection_active_for
from ..services.mappings import column_mapping_from_dict
from .lifecycle import import_job_open
from .sources import upload_items_encode

API_BROKERS = ("coinbase", "binance", "stub")
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=366 * 3)
MAX_REPORTED_ERRORS = 200


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
    """Start (or return, or resume) the import of `broker` trades in the window for `user`."""
    if broker not in API_BROKERS:
        raise ValidationFailed(f"Unknown broker {broker!r}.", fields={"broker": ["Unknown broker."]})
    since, until = import_window(since=since, until=until)
    connection = broker_connection_active_for(user=user, broker=broker)
    if connection is None:
        raise Conflict(f"There is no active {broker} connection. Connect it first.", code="not_connected")

    def use_current_connection(job: ImportJob) -> None:
        job.connection_id = connection.pk
        job.save(update_fields=["connection_id", "updated_at"])

    return import_job_open(
        job_id=import_job_id(user_id=user.pk, broker=broker, since=since, until=until),
        defaults={"user": user, "broker": broker, "source": "api", "since": since, "until": until,
                  "connection_id": connection.pk},
        on_resume=use_current_connection, enqueue=enqueue,
    )


def _upload_job_id(*, user_id: str, digest: str, mapping: dict | None) -> str:
    mapping_key = json.dumps(mapping, sort_keys=True) if mapping else ""
    return hashlib.sha256(f"{user_id}|upload|{digest}|{mapping_key}".encode()).hexdigest()


def upload_import_start(*, user, data: bytes, filename: str = "", mapping_name: str | None = None,
                        enqueue: bool = True) -> ImportJob:
    """Parse `data`, then queue its import. Same file (and mapping) again → the same job."""
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise PayloadTooLarge(f"The file is larger than {settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB.")
    mapping_dict = None
    mapping = None
    if mapping_name:
        preset = ColumnMappingPreset.objects.filter(user=user, name=mapping_name).first()
        if preset is None:
            raise NotFound(f"There is no saved column mapping called {mapping_name!r}.", code="mapping_not_found")
        mapping_dict = preset.mapping
        mapping = column_mapping_from_dict(mapping_dict)
    digest = hashlib.sha256(data).hexdigest()
    job_id = _upload_job_id(user_id=user.pk, digest=digest, mapping=mapping_dict)
    existing = ImportJob.objects.filter(id=job_id, user=user).first()
    if existing is not None and existing.status == JobStatus.DONE:
        return existing
    try:
        result = parse_file(data, mapping=mapping, filename=filename)
    except ParseError as exc:
        raise ValidationFailed(exc.message, code=exc.code) from exc
    report = {
        "format": result.format,
        "filename": filename,
        "totalRows": result.total_rows,
        "trades": len(result.trades),
        "skippedByType": dict(result.skipped),
        "errorCount": len(result.errors),
        "errors": [{"line": e.line, "reason": e.reason} for e in result.errors[:MAX_REPORTED_ERRORS]],
        "notes": [{"line": n.line, "reason": n.reason} for n in result.notes[:MAX_REPORTED_ERRORS]],
        "mapping": mapping_name or "",
    }

    def keep_parsed_trades(job: ImportJob) -> None:
        ImportUpload.objects.create(job=job, filename=filename[:255], digest=digest, size=len(data),
                                    mapping=mapping_dict, items=upload_items_encode(result.trades),
                                    raw=json.loads(json.dumps(result.raw, default=str)))

    return import_job_open(
        job_id=job_id,
        defaults={"user": user, "broker": result.broker, "source": "upload",
                  "skipped": sum(result.skipped.values()) + len(result.errors), "report": report},
        on_create=keep_parsed_trades, enqueue=enqueue,
    )
