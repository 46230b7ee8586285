from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.ids import new_ulid


class EventOutbox(models.Model):
    """An event committed with the change it announces.

    PostgreSQL: range-partitioned by month on `ts`, primary key (id, ts) — see migration 0001 and
    `apps.events.partitions`. SQLite: a plain table. `seq` is the delivery position, assigned by the relay
    after the row's transaction committed (see `apps.events.relay`); readers only see rows that have one.
    Whether the relay has published a row is not stored on the row: see `RelayWatermark`.
    `request_id` travels with the event to the socket frame and the relay's log lines.
    """

    id = models.CharField(primary_key=True, max_length=26, default=new_ulid, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    type = models.CharField(max_length=48)
    v = models.PositiveSmallIntegerField(default=1)
    ts = models.DateTimeField()
    payload = models.JSONField(default=dict)
    seq = models.BigIntegerField(null=True, blank=True, editable=False)
    # The X-Request-ID of the request (or the task it started) that caused the event; none for work without one.
    request_id = models.CharField(max_length=128, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "outbox event"
        indexes = [
            models.Index(fields=["user", "ts"], name="events_outbox_user_ts_idx"),
            models.Index(fields=["user", "seq"], name="events_outbox_user_seq_idx"),
            models.Index(fields=["ts"], condition=Q(seq__isnull=True), name="events_outbox_unsequenced_idx"),
            models.Index(fields=["seq"], condition=Q(seq__isnull=False), name="events_outbox_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class RelayWatermark(models.Model):
    """How far the relay has published one relay partition's events (users are spread over the partitions,
    see `apps.events.services.outbox_partition_of`): every event of the partition at or below position
    `delivered_seq` went out. The relay holding the partition advances it after each published batch, one
    small row per partition instead of a write to every event row; the next holder publishes what lies above
    it first."""

    partition = models.PositiveSmallIntegerField(primary_key=True)
    delivered_seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"partition {self.partition} delivered through {self.delivered_seq}"
