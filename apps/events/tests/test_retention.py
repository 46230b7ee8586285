from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.events import partitions
from apps.events.models import EventOutbox
from apps.events.services import event_append, outbox_retention_run
from apps.events.tasks import outbox_retention_task

pytestmark = pytest.mark.django_db


def _months() -> list[date]:
    with connection.cursor() as cursor:
        return partitions.partition_months(cursor)


def _partition_of(event_id: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM events_eventoutbox WHERE id = %s", [event_id])
        return cursor.fetchone()[0]


def _event_at(user, moment: datetime) -> EventOutbox:
    with transaction.atomic():
        event = event_append(user=user, type="test.ping", payload={})
        EventOutbox.objects.filter(id=event.id).update(ts=moment)
    return EventOutbox.objects.get(id=event.id)


@pytest.mark.postgres
def test_migration_created_current_and_next_month_partitions():
    # The month the migration ran in, not the month now: a test run that crosses a month's end runs this
    # after the month the database was built in (a minute's margin: the migration read the clock just before
    # it was recorded as applied).
    applied = MigrationRecorder.Migration.objects.get(app="events", name="0001_initial").applied
    ran_in = {partitions.month_start(applied - timedelta(minutes=1)), partitions.month_start(applied)}
    assert any({month, partitions.month_add(month, 1)} <= set(_months()) for month in ran_in)


@pytest.mark.postgres
def test_rows_land_in_their_month_partition(user):
    with transaction.atomic():
        event = event_append(user=user, type="test.ping", payload={})
    assert _partition_of(event.id) == partitions.partition_name(partitions.month_start(event.ts))


@pytest.mark.postgres
def test_retention_creates_ahead_drops_old_and_is_idempotent(user):
    now = datetime(2031, 5, 14, 12, tzinfo=UTC)
    # Rows for months that have no partition yet go to the default partition, then move when it is created.
    old = _event_at(user, datetime(2031, 1, 20, tzinfo=UTC))
    kept = _event_at(user, datetime(2031, 3, 2, tzinfo=UTC))
    current = _event_at(user, datetime(2031, 5, 1, tzinfo=UTC))
    assert _partition_of(current.id) == partitions.DEFAULT
    with connection.cursor() as cursor:
        partitions.partition_ensure(cursor, month=date(2031, 1, 1))
        partitions.partition_ensure(cursor, month=date(2031, 3, 1))
    result = outbox_retention_run(now=now)
    assert result["created"] == ["events_eventoutbox_p203105", "events_eventoutbox_p203106"]
    # cutoff 2031-02-13: January ends before it → dropped; March is kept.
    assert "events_eventoutbox_p203101" in result["dropped"]
    assert all(name < "events_eventoutbox_p203102" for name in result["dropped"])
    assert _partition_of(current.id) == "events_eventoutbox_p203105"
    assert not EventOutbox.objects.filter(id=old.id).exists()
    assert EventOutbox.objects.filter(id=kept.id).exists()
    again = outbox_retention_run(now=now)
    assert again == {"created": [], "dropped": [], "deleted": 0}
    assert {date(2031, 3, 1), date(2031, 5, 1), date(2031, 6, 1)} <= set(_months())
    assert date(2031, 1, 1) not in _months()


@pytest.mark.postgres
def test_default_partition_rows_older_than_retention_are_purged(user):
    stale = _event_at(user, datetime(2020, 1, 1, tzinfo=UTC))
    assert _partition_of(stale.id) == partitions.DEFAULT
    outbox_retention_run()
    assert not EventOutbox.objects.filter(id=stale.id).exists()


def test_command_and_task_run_the_job(user, capsys):
    fresh = _event_at(user, timezone.now() - timedelta(days=1))
    call_command("outbox_retention")
    assert '"created"' in capsys.readouterr().out
    outbox_retention_task.delay().get()
    assert EventOutbox.objects.filter(id=fresh.id).exists()


def test_beat_schedule_is_registered():
    task = PeriodicTask.objects.get(task="apps.events.tasks.outbox_retention_task")
    assert task.enabled and task.crontab is not None
