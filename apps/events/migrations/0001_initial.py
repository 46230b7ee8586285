"""The outbox table. PostgreSQL: partitioned by month on `ts` with primary key (id, ts), the current and next
month partitions, a default partition, a delivery-position sequence and a NOTIFY trigger. SQLite: a plain table.

Django's state keeps `id` as the primary key (ULIDs are unique); the database enforces (id, ts).
"""
import apps.core.ids
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def create_table(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.create_model(apps.get_model("events", "EventOutbox"))
        return
    from apps.events import partitions

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(partitions.CREATE_SQL)
        current = partitions.month_start(timezone.now())
        for month in (current, partitions.month_add(current, 1)):
            partitions.partition_ensure(cursor, month=month)


def drop_table(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.delete_model(apps.get_model("events", "EventOutbox"))
        return
    from apps.events import partitions

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(partitions.DROP_SQL)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EventOutbox',
                    fields=[
                        ('id', models.CharField(default=apps.core.ids.new_ulid, editable=False, max_length=26, primary_key=True, serialize=False)),
                        ('type', models.CharField(max_length=48)),
                        ('v', models.PositiveSmallIntegerField(default=1)),
                        ('ts', models.DateTimeField()),
                        ('payload', models.JSONField(default=dict)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('seq', models.BigIntegerField(blank=True, editable=False, null=True)),
                        ('user', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'outbox event',
                        'indexes': [
                            models.Index(fields=['user', 'ts'], name='events_outbox_user_ts_idx'),
                            models.Index(fields=['user', 'seq'], name='events_outbox_user_seq_idx'),
                            models.Index(condition=models.Q(('seq__isnull', True)), fields=['ts'], name='events_outbox_unsequenced_idx'),
                            models.Index(condition=models.Q(('delivered_at__isnull', True), ('seq__isnull', False)), fields=['seq'], name='events_outbox_undelivered_idx'),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(create_table, drop_table),
    ]
