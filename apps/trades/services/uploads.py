"""File uploads: validate and parse in the request, store the bytes, import through the job path.

The file is parsed once in the request so an unreadable file is refused at once (400, nothing written)
and the report (format, rows skipped by type, unreadable rows) is on the job from the start. The worker
reads the stored bytes by job id, parses again and upserts page by page like an API import.
"""
from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import transaction

from apps.core.errors import NotFound, PayloadTooLarge, ValidationFailed

from ..models import ColumnMappingPreset, ImportJob, ImportUpload
from ..parsers import ParseError, parse_file
from .imports import _announce_start, _enqueue, _restart_if_needed
from .mappings import column_mapping_from_dict

MAX_REPORTED_ERRORS = 200


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
    try:
        result = parse_file(data, mapping=mapping, filename=filename)
    except ParseError as exc:
        raise ValidationFailed(exc.message, code=exc.code) from exc
    digest = hashlib.sha256(data).hexdigest()
    job_id = _upload_job_id(user_id=user.pk, digest=digest, mapping=mapping_dict)
    skipped_rows = sum(result.skipped.values()) + len(result.errors)
    report = {
        "format": result.format,
        "filename": filename,
        "totalRows": result.total_rows,
        "trades": len(result.trades),
        "skippedByType": dict(result.skipped),
        "errorCount": len(result.errors),
        "errors": [{"line": e.line, "reason": e.reason} for e in result.errors[:MAX_REPORTED_ERRORS]],
        "mapping": mapping_name or "",
    }
    with transaction.atomic():
        job, created = ImportJob.objects.select_for_update().get_or_create(
            id=job_id,
            defaults={"user": user, "broker": result.broker, "source": "upload", "skipped": skipped_rows,
                      "report": report},
        )
        if created:
            ImportUpload.objects.create(job=job, filename=filename[:255], digest=digest, size=len(data),
                                        content=data, mapping=mapping_dict)
            _announce_start(job)
        elif not _restart_if_needed(job):
            return job
        if enqueue:
            transaction.on_commit(lambda: _enqueue(job.id))
    return job
