"""A tag's digest (engine version, label, confidence, evidence): a re-score keeps the rows whose digest did
not change instead of deleting and writing every tag again. Nullable, so adding it rewrites nothing; the
tags written before it have none and are rewritten by their next re-score."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("bias", "0009_scoring_write_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="biastag",
            name="digest",
            field=models.BigIntegerField(null=True),
        ),
    ]
