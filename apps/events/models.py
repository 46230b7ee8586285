from django.conf import settings
from django.db import models

from apps.core.ids import new_ulid


class EventOutbox(models.Model):
    """An event committed with the change it announces. Range-partitioned by month on `ts` in PostgreSQL."""

    id = models.CharField(primary_key=True, max_length=26, default=new_ulid, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    type = models.CharField(max_length=48)
    v = models.PositiveSmallIntegerField(default=1)
    ts = models.DateTimeField()
    payload = models.JSONField(default=dict)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "ts"], name="events_outbox_user_ts_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"
