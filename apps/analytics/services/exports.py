"""Export of everything a user owns: a durable job writing a ZIP of JSON and CSV per table.

Tables come from the registry each app fills (`apps.core.userdata`); binary (sealed) columns and the
columns an app excludes are never written. CSV cells that a spreadsheet would run as a formula (starting
with `=`, `+`, `-`, `@`, tab or carriage return, other than a plain number) are prefixed with `'`.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import transaction
from django.utils import timezone

from apps.accounts.services import audit_record
from apps.core.errors import NotFound
from apps.core.jobs import JobStatus, job_dispatch, job_kind_register, job_run
from apps.core.userdata import user_data_sets, user_files
from apps.events.services import event_append

from ..models import ExportJob
from .files import stored_files_delete_schedule

TASK = "analytics.export"
LINK_SECONDS = 15 * 60
CHUNK = 2000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def session_hash(session_key: str) -> str:
    return hashlib.sha256(f"export:{session_key}".encode()).hexdigest()


def _signer(job: ExportJob) -> TimestampSigner:
    return TimestampSigner(salt=f"analytics.export:{job.session_hash}")


def export_link(*, job: ExportJob) -> str | None:
    """The download path of a finished export while it has not expired (signed for the asking session)."""
    if job.status != JobStatus.DONE or not job.expires_at or job.expires_at <= timezone.now():
        return None
    return f"/api/account/export/{job.id}/download?token={_signer(job).sign(job.id)}"


def _on_final(job: ExportJob) -> None:
    if job.status == JobStatus.DONE:
        event_append(user=job.user, type="export.ready", payload={
            "jobId": job.id, "url": export_link(job=job), "expiresAt": job.expires_at.isoformat(),
            "size": job.size, "tables": job.tables})


job_kind_register(model=ExportJob, task_name=TASK, max_attempts=3, on_final=_on_final)


def export_request(*, user, session_key: str) -> ExportJob:
    """Queue an export of everything the user owns (audit `export_requested`)."""
    with transaction.atomic():
        job = ExportJob.objects.create(user=user, session_hash=session_hash(session_key))
        audit_record(user=user, action="export_requested", meta={"jobId": job.id})
        job_dispatch(task_name=TASK, job_id=job.id)
    return job


def export_get(*, user, job_id: str) -> ExportJob:
    job = ExportJob.objects.filter(id=job_id, user=user).first()
    if job is None:
        raise NotFound("No such export.")
    return job


def export_file_for_download(*, user, session_key: str, job_id: str, token: str) -> tuple[ExportJob, File]:
    """The export's file when the link is this user's, from this session, and not expired; else NotFound
    (a link that is not yours looks exactly like one that does not exist)."""
    job = ExportJob.objects.filter(id=job_id, user=user).first()
    if job is None or job.session_hash != session_hash(session_key) or export_link(job=job) is None:
        raise NotFound("No such export.")
    try:
        if _signer(job).unsign(token or "", max_age=LINK_SECONDS) != job.id:
            raise NotFound("No such export.")
    except (BadSignature, SignatureExpired) as exc:
        raise NotFound("No such export.") from exc
    try:
        handle = default_storage.open(job.path, "rb")
    except FileNotFoundError as exc:
        raise NotFound("No such export.") from exc
    audit_record(user=user, action="export_downloaded", meta={"jobId": job.id})
    return job, handle


# --- the job ----------------------------------------------------------------------------------------------

def export_execute(*, job_id: str) -> ExportJob | None:
    def write_archive(job: ExportJob) -> tuple[str, int, dict]:
        path = f"exports/{job.user_id}/{job.id}.zip"
        with tempfile.TemporaryFile() as spool:
            tables = export_archive_write(user=job.user, target=spool)
            spool.seek(0)
            default_storage.delete(path)
            stored = default_storage.save(path, File(spool, name=f"{job.id}.zip"))
            return stored, default_storage.size(stored), tables

    def keep(locked: ExportJob, written: tuple[str, int, dict]) -> None:
        locked.path, locked.size, locked.tables = written
        locked.expires_at = timezone.now() + timedelta(seconds=LINK_SECONDS)
        locked.save(update_fields=["path", "size", "tables", "expires_at", "updated_at"])
        stored_files_delete_schedule(paths=[locked.path], reason="export_expired", not_before=locked.expires_at)

    return job_run(task_name=TASK, job_id=job_id, work=write_archive, finish=keep,
                   crash_message="Writing the export failed ({error}); trying again.")


def export_archive_write(*, user, target) -> dict[str, int]:
    """Write the ZIP to the binary file `target`: `<table>.json` and `<table>.csv` for every registered table,
    the user's stored files under `files/`, and `manifest.json`. Returns rows per table."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for dataset in user_data_sets():
            rows = dataset.queryset(user).order_by(*dataset.order_by).values(*(f.attname for f in dataset.fields()))
            with archive.open(f"{dataset.name}.json", "w") as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                out.write("[")
                count = 0
                for row in rows.iterator(chunk_size=CHUNK):
                    record = _record(dataset, row)
                    out.write(("," if count else "") + "\n" + json.dumps(record, ensure_ascii=False))
                    count += 1
                out.write("\n]\n")
                out.flush()
                out.detach()
            with archive.open(f"{dataset.name}.csv", "w") as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                writer = csv.writer(out)
                header = None
                for row in rows.iterator(chunk_size=CHUNK):
                    record = _record(dataset, row)
                    if header is None:
                        header = list(record)
                        writer.writerow(header)
                    writer.writerow([csv_cell(record.get(name)) for name in header])
                if header is None:
                    writer.writerow(dataset.columns())
                out.flush()
                out.detach()
            counts[dataset.name] = count
        files = [p for p in user_files(user) if not p.startswith("exports/")]
        for path in files:
            with default_storage.open(path, "rb") as source, archive.open(f"files/{path}", "w") as sink:
                for chunk in iter(lambda: source.read(1 << 16), b""):
                    sink.write(chunk)
        archive.writestr("manifest.json", json.dumps({
            "exportedAt": timezone.now().isoformat(), "userId": user.id, "tables": counts, "files": files,
            "format": "One JSON array and one CSV file per table; CSV cells a spreadsheet would run as a formula "
                      "start with an apostrophe."}, indent=2))
    return counts


def _record(dataset, row: dict) -> dict:
    """One exported row: the app's transform (it may open a sealed column), then binary columns dropped and
    every value made plain JSON."""
    if dataset.transform is not None:
        row = dataset.transform(dict(row))
    return {k: plain(v) for k, v in row.items() if not isinstance(v, bytes | memoryview)}


def plain(value):
    """A database value as JSON: Decimal as exact text, times ISO-8601, binary never."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return None
    return value


def csv_cell(value) -> str:
    """One CSV cell, escaped against formula injection (OWASP): text starting with = + - @ tab or CR gets a
    leading apostrophe, unless it is a plain number such as -12.5."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
