from django.db import models

from .ids import new_id


class BaseModel(models.Model):
    """Every entity: an opaque cuid2 string id and a creation time (UTC)."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    class Meta:
        abstract = True


def money_field(**kwargs) -> models.DecimalField:
    """Decimal with room for crypto amounts: 18 decimal places, 40 digits in all."""
    return models.DecimalField(max_digits=40, decimal_places=18, **kwargs)


class BulkJSONField(models.JSONField):
    """Only for the historical migrations that name it: the tables written in bulk now go through
    `apps.core.bulk.rows_insert` (COPY), and their models use a plain JSONField."""
