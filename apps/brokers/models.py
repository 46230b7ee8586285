from django.conf import settings
from django.db import models

from apps.core.models import BaseModel


class BrokerConnection(BaseModel):
    BROKERS = [("coinbase", "Coinbase"), ("binance", "Binance"), ("csv", "CSV upload"), ("stub", "Stub exchange")]
    STATUSES = [("active", "Active"), ("paused", "Paused"), ("error", "Error"), ("revoked", "Revoked")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="broker_connections")
    broker = models.CharField(max_length=16, choices=BROKERS)
    status = models.CharField(max_length=16, choices=STATUSES, default="active")
    access_enc = models.BinaryField(editable=False)
    refresh_enc = models.BinaryField(null=True, blank=True, editable=False)
    scope = models.CharField(max_length=512, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "broker"], name="brokers_conn_user_broker_idx")]

    def __str__(self) -> str:
        return f"{self.broker} ({self.status})"
