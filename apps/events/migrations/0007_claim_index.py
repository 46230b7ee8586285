"""An index for the relay's claim: per relay partition, the rows without a position in (ts, id) order.

Each relay holds some of the partitions (`apps.events.services.outbox_relay_rebalance`) and reads each one
through this index, so it never visits the rows of another relay's partitions. The expression is
`outbox_partition_sql("user_id")` with RELAY_PARTITIONS = 16, written out: changing the partition count
needs a migration that rebuilds the index. PostgreSQL only (SQLite has one relay holding every partition);
on the partitioned table it is created on every month partition, and a partition attached later gets it too.
"""
from django.db import migrations

INDEX_SQL = """
CREATE INDEX IF NOT EXISTS events_outbox_claim_idx ON events_eventoutbox
    ((mod(('x' || substr(md5(user_id), 1, 7))::bit(28)::int, 16)), ts, id) WHERE seq IS NULL
"""


def index_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX_SQL)


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS events_outbox_claim_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0006_relay_watermark"),
    ]

    operations = [
        migrations.RunPython(index_create, index_drop),
    ]
