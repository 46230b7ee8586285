"""A simulation's document (~10 KB of JSON, three curves of a point per hour) passes PostgreSQL's TOAST
threshold, so it is compressed as it is written; lz4 (PostgreSQL 14+) costs several times less than the
default pglz at a similar ratio. Other databases: nothing to do."""
from django.db import migrations


def lz4_on(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql" and schema_editor.connection.pg_version >= 140000:
        schema_editor.execute("ALTER TABLE simulations_simulation ALTER COLUMN result SET COMPRESSION lz4")


def lz4_off(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql" and schema_editor.connection.pg_version >= 140000:
        schema_editor.execute("ALTER TABLE simulations_simulation ALTER COLUMN result SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [("simulations", "0001_initial")]

    operations = [migrations.RunPython(lz4_on, lz4_off, elidable=False)]
