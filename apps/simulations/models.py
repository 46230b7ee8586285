"""A simulation: one trade's counterfactuals (hold, wait for a pullback) for a horizon, as a durable job.

The id is a hash of (user, trade, horizon, pullback, candle data version), so the same request finds the
same row. A row answered at once is stored done; a row whose candles must first be fetched is queued and
run by `simulations.run` (see services).
"""
from django.conf import settings
from django.db import models

from apps.core.jobs import LeasedJob
from apps.core.models import BaseModel


class Simulation(BaseModel, LeasedJob):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="simulations")
    trade = models.ForeignKey("trades.Trade", on_delete=models.CASCADE, related_name="simulations")
    horizon_days = models.PositiveSmallIntegerField()
    pullback_pct = models.DecimalField(max_digits=6, decimal_places=3)
    candle_version = models.CharField(max_length=32)
    result = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=48, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="simulation_user_created")]

    def __str__(self) -> str:
        return f"simulation {self.id} ({self.status})"
