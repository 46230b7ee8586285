from django.conf import settings
from django.db import models

from apps.core.jobs import LeasedJob
from apps.core.models import BaseModel


class ExportJob(BaseModel, LeasedJob):
    """One export of everything a user owns: a ZIP (JSON + CSV per table) in the default storage.

    The download link works only for the session that asked (`session_hash` = sha256 of its key) and only
    until `expires_at` (15 minutes after the file is ready); the file is deleted then."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports")
    session_hash = models.CharField(max_length=64)
    path = models.CharField(max_length=512, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    tables = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="analytics_export_user_idx"),
                   models.Index(fields=["status", "updated_at"], name="analytics_export_status_idx")]

    def __str__(self) -> str:
        return f"export {self.id} ({self.status})"


class StoredFileDeletion(BaseModel, LeasedJob):
    """Files to remove from the default storage (an expired export; a deleted account's files), retried until
    done. `not_before` (from LeasedJob) holds it until the file may go."""

    paths = models.JSONField(default=list)
    reason = models.CharField(max_length=32)
    deleted = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["status", "updated_at"], name="analytics_filedel_status_idx")]

    def __str__(self) -> str:
        return f"delete {len(self.paths)} file(s): {self.reason} ({self.status})"
