"""Evidence documents (~2–3 KB of JSON a tag) pass PostgreSQL's TOAST threshold, so each one is compressed
as it is written. The default pglz costs more than the rest of the insert; lz4 (PostgreSQL 14+) is several
times faster at a similar ratio. Other databases: nothing to do."""
from django.db import migrations


def lz4_on(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql" and schema_editor.connection.pg_version >= 140000:
        schema_editor.execute("ALTER TABLE bias_biastag ALTER COLUMN features SET COMPRESSION lz4")


def lz4_off(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql" and schema_editor.connection.pg_version >= 140000:
        schema_editor.execute("ALTER TABLE bias_biastag ALTER COLUMN features SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [("bias", "0003_bulk_json")]

    operations = [migrations.RunPython(lz4_on, lz4_off, elidable=False)]
