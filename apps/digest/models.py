from django.conf import settings
from django.db import models

from apps.core.models import BaseModel


class Digest(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    payload = models.JSONField(default=dict)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "period_end"], name="digest_digest_user_end_idx")]
        constraints = [
            models.UniqueConstraint(fields=["user", "period_start", "period_end"], name="digest_digest_user_period_unique")
        ]
