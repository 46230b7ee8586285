from django.conf import settings
from django.db import models

from apps.core.models import BaseModel


class BiasTag(BaseModel):
    trade = models.ForeignKey("trades.Trade", on_delete=models.CASCADE, related_name="bias_tags")
    label = models.CharField(max_length=32)
    confidence = models.DecimalField(max_digits=5, decimal_places=4)
    features = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["trade"], name="bias_biastag_trade_idx")]

    def __str__(self) -> str:
        return f"{self.label} {self.confidence}"


class Rule(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=48)
    params = models.JSONField(default=dict)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="bias_rule_user_kind_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.params}"
