"""Delivery is tracked per relay partition (RelayWatermark) instead of a `delivered_at` written to every event
row: the relay's second write per event goes, and the partial index over undelivered rows becomes an index
over positions (the next holder of a partition reads what lies above its watermark)."""
from django.db import migrations, models
from django.utils import timezone


def watermarks_from_rows(apps, schema_editor):
    """Each partition's watermark: just below its first numbered row not delivered, else its last position."""
    from apps.events.services import RELAY_PARTITIONS, outbox_partition_of, outbox_partition_sql

    EventOutbox = apps.get_model("events", "EventOutbox")
    RelayWatermark = apps.get_model("events", "RelayWatermark")
    first_undelivered: dict[int, int] = {}
    last: dict[int, int] = {}
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {outbox_partition_sql('user_id')}, min(seq) FILTER (WHERE delivered_at IS NULL), max(seq) "
                "FROM events_eventoutbox WHERE seq IS NOT NULL GROUP BY 1")
            for part, undelivered, top in cursor.fetchall():
                if undelivered is not None:
                    first_undelivered[part] = undelivered
                last[part] = top
    else:
        for user_id, seq, delivered_at in EventOutbox.objects.filter(seq__isnull=False).values_list(
                "user_id", "seq", "delivered_at").iterator():
            part = outbox_partition_of(user_id)
            if delivered_at is None:
                first_undelivered[part] = min(seq, first_undelivered.get(part, seq))
            last[part] = max(seq, last.get(part, seq))
    now = timezone.now()
    RelayWatermark.objects.bulk_create([
        RelayWatermark(partition=part, updated_at=now,
                       delivered_seq=first_undelivered[part] - 1 if part in first_undelivered else last.get(part, 0))
        for part in range(RELAY_PARTITIONS)])


def rows_from_watermarks(apps, schema_editor):
    from apps.events.services import outbox_partition_of

    EventOutbox = apps.get_model("events", "EventOutbox")
    RelayWatermark = apps.get_model("events", "RelayWatermark")
    marks = dict(RelayWatermark.objects.values_list("partition", "delivered_seq"))
    delivered = [event_id for event_id, user_id, seq in EventOutbox.objects.filter(seq__isnull=False).values_list(
        "id", "user_id", "seq").iterator() if seq <= marks.get(outbox_partition_of(user_id), 0)]
    EventOutbox.objects.filter(id__in=delivered).update(delivered_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_request_id"),
    ]

    operations = [
        migrations.CreateModel(
            name="RelayWatermark",
            fields=[
                ("partition", models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                ("delivered_seq", models.BigIntegerField(default=0)),
                ("updated_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(watermarks_from_rows, rows_from_watermarks),
        migrations.RemoveIndex(model_name="eventoutbox", name="events_outbox_undelivered_idx"),
        migrations.RemoveField(model_name="eventoutbox", name="delivered_at"),
        migrations.AddIndex(
            model_name="eventoutbox",
            index=models.Index(condition=models.Q(("seq__isnull", False)), fields=["seq"], name="events_outbox_seq_idx"),
        ),
    ]
