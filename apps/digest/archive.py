"""Retention: digests whose week ended more than six calendar months ago leave the database.

Archiving one digest means: its full record (ids, period, time zone, status, timestamps and the whole
payload) is written as JSON to the default storage at ``digests/<user id>/<week>.json`` (the local media
directory, or S3 through django-storages in production), read back and compared, and only then is the row
deleted. A run that dies after the write and before the delete leaves the row in place; the next run finds
the same file, overwrites it with the same bytes and deletes the row, so nothing is lost and nothing is
archived twice under different names. The daily beat job `digest.archive` and
``python manage.py digest_archive`` run it.
"""
from __future__ import annotations

import json
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from .models import Digest

RETENTION_MONTHS = 6
BATCH = 200


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock moment `months` calendar months earlier (the day clamped to the month's end)."""
    import calendar

    month_index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def archive_name(digest: Digest) -> str:
    return f"digests/{digest.user_id}/{digest.week or digest.period_start.date().isoformat()}.json"


def archive_record(digest: Digest) -> bytes:
    def iso(value):
        return value.isoformat() if value else None

    record = {"id": digest.id, "userId": digest.user_id, "week": digest.week, "timezone": digest.timezone,
              "periodStart": iso(digest.period_start), "periodEnd": iso(digest.period_end),
              "status": digest.status, "createdAt": iso(digest.created_at), "builtAt": iso(digest.built_at),
              "deliveredAt": iso(digest.delivered_at), "payload": digest.payload}
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()


def _store(name: str, blob: bytes) -> None:
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as existing:
            if existing.read() == blob:
                return
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(blob))
    if saved != name:  # a backend that renamed instead of writing where we asked
        default_storage.delete(saved)
        raise OSError(f"the storage saved {name} as {saved}")
    with default_storage.open(name, "rb") as written:
        if written.read() != blob:
            raise OSError(f"{name} does not read back as written")


def digests_archive(*, now: datetime | None = None, months: int = RETENTION_MONTHS) -> dict:
    """Archive and delete every digest whose week ended more than `months` months before `now`."""
    cutoff = months_before(now or timezone.now(), months)
    archived = 0
    while True:
        batch = list(Digest.objects.filter(period_end__lt=cutoff).order_by("period_end", "id")[:BATCH])
        if not batch:
            break
        for digest in batch:
            _store(archive_name(digest), archive_record(digest))
            with transaction.atomic():
                archived += Digest.objects.filter(pk=digest.pk, updated_at=digest.updated_at).delete()[0]
        if len(batch) < BATCH:
            break
    return {"archived": archived, "cutoff": cutoff.isoformat()}
