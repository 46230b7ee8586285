from django.conf import settings
from django.db import models

from apps.core.jobs import LeasedJob
from apps.core.models import BaseModel


class Digest(BaseModel, LeasedJob):
    """One user's weekly digest, and the durable job that builds it (status, attempts, lease: `LeasedJob`).

    One row per (user, period): the week runs from Monday 00:00 to the next Monday 00:00 in the user's time
    zone (`timezone`, as it was when the row was made), stored in UTC. `built_at` is set in the transaction
    that stores the payload and appends `digest.ready`; `delivered_at` when the email is handed to the
    backend. A rebuild clears `built_at` and queues the row again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    week = models.CharField(max_length=8, default="")  # ISO week of period_start in the user's zone, "2026-W47"
    timezone = models.CharField(max_length=64, default="UTC")
    payload = models.JSONField(default=dict)
    built_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "period_end"], name="digest_digest_user_end_idx"),
            models.Index(fields=["status", "updated_at"], name="digest_digest_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "period_start", "period_end"], name="digest_digest_user_period_unique")
        ]

    def __str__(self) -> str:
        return f"digest {self.week} {self.user_id} ({self.status})"


class DigestRun(BaseModel, LeasedJob):
    """A batch of digests queued by one tick of the hourly schedule, built together (their rows read in a
    few queries for the whole batch). Each digest keeps its own job state: the run claims the ones still
    queued, one by one, and leaves any another runner holds; a digest the run could not finish is resumed
    on its own by the reaper."""

    digest_ids = models.JSONField(default=list)
    built = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["status", "updated_at"], name="digest_run_status_idx")]

    def __str__(self) -> str:
        return f"digest run of {len(self.digest_ids)} ({self.status})"
