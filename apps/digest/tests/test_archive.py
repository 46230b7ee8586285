"""Retention: digests older than six months go to storage as JSON and leave the database, idempotently."""
from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from apps.digest.archive import archive_name, digests_archive, months_before
from apps.digest.models import Digest
from apps.digest.periods import week_parse

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clean_storage(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield
    shutil.rmtree(tmp_path / "media", ignore_errors=True)


def stored(user, label: str, **extra) -> Digest:
    week = week_parse(value=label, zone="UTC")
    return Digest.objects.create(user=user, period_start=week.start, period_end=week.end, week=label,
                                 payload={"week": label, "trades": 3, "labels": {"FOMO": 2}}, status="done",
                                 built_at=week.end, **extra)


def read_archive(name: str) -> dict:
    with default_storage.open(name, "rb") as handle:
        return json.loads(handle.read())


def test_months_before_clamps_to_the_end_of_shorter_months():
    assert months_before(datetime(2026, 8, 31, 10, tzinfo=UTC), 6) == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert months_before(NOW, 6) == datetime(2026, 5, 29, 12, tzinfo=UTC)
    assert months_before(datetime(2026, 3, 15, tzinfo=UTC), 6) == datetime(2025, 9, 15, tzinfo=UTC)


def test_old_digests_are_written_to_storage_then_deleted_and_recent_ones_stay(user, other_user):
    old = stored(user, "2026-W20")  # ends Mon 18 May 2026, before the cutoff of 29 May
    older = stored(other_user, "2026-W01")
    recent = stored(user, "2026-W22")  # ends 1 Jun 2026

    result = digests_archive(now=NOW)

    assert result == {"archived": 2, "cutoff": "2026-05-29T12:00:00+00:00"}
    assert list(Digest.objects.values_list("id", flat=True)) == [recent.id]
    record = read_archive(f"digests/{user.id}/2026-W20.json")
    assert record == {"id": old.id, "userId": user.id, "week": "2026-W20", "timezone": "UTC",
                      "periodStart": "2026-05-11T00:00:00+00:00", "periodEnd": "2026-05-18T00:00:00+00:00",
                      "status": "done", "createdAt": old.created_at.isoformat(),
                      "builtAt": "2026-05-18T00:00:00+00:00", "deliveredAt": None,
                      "payload": {"week": "2026-W20", "trades": 3, "labels": {"FOMO": 2}}}
    assert read_archive(f"digests/{other_user.id}/2026-W01.json")["id"] == older.id


def test_a_run_that_died_after_writing_is_finished_by_the_next_one_without_a_second_file(user):
    digest = stored(user, "2026-W20")
    name = archive_name(digest)
    # the first run wrote the file and died before deleting the row
    digests_archive(now=NOW)
    Digest.objects.bulk_create([digest])  # the row back, as if the delete never committed
    Digest.objects.filter(pk=digest.pk).update(updated_at=digest.updated_at)

    assert digests_archive(now=NOW)["archived"] == 1
    assert Digest.objects.count() == 0
    _dirs, files = default_storage.listdir(f"digests/{user.id}")
    assert files == ["2026-W20.json"]
    assert read_archive(name)["id"] == digest.id


def test_a_stale_file_under_the_same_name_is_replaced_not_duplicated(user):
    digest = stored(user, "2026-W20")
    default_storage.save(archive_name(digest), __import__("io").BytesIO(b"{}"))

    assert digests_archive(now=NOW)["archived"] == 1
    _dirs, files = default_storage.listdir(f"digests/{user.id}")
    assert files == ["2026-W20.json"]
    assert read_archive(archive_name(digest))["payload"]["trades"] == 3


def test_a_storage_that_fails_deletes_nothing(user, monkeypatch):
    stored(user, "2026-W20")

    def refuse(name, content, max_length=None):
        raise OSError("disk full")

    monkeypatch.setattr(default_storage, "save", refuse)
    with pytest.raises(OSError):
        digests_archive(now=NOW)
    assert Digest.objects.count() == 1


def test_the_command_archives(user, capsys):
    stored(user, "2020-W01")

    call_command("digest_archive")

    assert Digest.objects.count() == 0
    assert "1 digest(s) archived" in capsys.readouterr().out
