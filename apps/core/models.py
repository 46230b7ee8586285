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
    """A JSONField for tables written in bulk (tags, outbox events).

    Django's PostgreSQL bulk insert sends each column as one array parameter (`UNNEST`); with client-side
    binding psycopg quotes an array of JSON texts element by element in Python, several times slower than
    plain `VALUES` rows, which it escapes in C. A placeholder hook opts this column out of the array path.
    """

    def get_placeholder(self, value, compiler, connection):
        return "%s"
