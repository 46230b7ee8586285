from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.jobs import LeasedJob
from apps.core.models import BaseModel


class Decision(models.TextChoices):
    GO = "GO", "Go"
    WAIT = "WAIT", "Wait"
    SIZE_DOWN = "SIZE_DOWN", "Size down"
    SIMULATE = "SIMULATE", "Simulate"
    NO_GO = "NO_GO", "No go"


class PretradeIntent(BaseModel, LeasedJob):
    """What the trader means to do, and the gate's answer. The row is also the gate's job (`gate` queue):
    queued when submitted, done once the decision is written."""

    DIRECTIONS = [("long", "Long"), ("short", "Short")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pretrade_intents")
    symbol = models.CharField(max_length=32)
    direction = models.CharField(max_length=5, choices=DIRECTIONS)
    timeframe = models.CharField(max_length=4)
    size = models.JSONField(default=dict)  # {"qty": "0.5"} or {"quoteAmount": "1000"} (decimal strings)
    plan = models.JSONField(default=dict)  # {entry, stop, target, thesis}
    risk = models.JSONField(default=dict, blank=True)  # {riskPct?, maxLoss?}
    context = models.JSONField(default=dict, blank=True)  # {capital?, notes?, mood?}
    idempotency_key = models.CharField(max_length=255, blank=True, default="")
    request_digest = models.CharField(max_length=64, blank=True, default="")
    persona = models.CharField(max_length=16, blank=True, default="")
    decision = models.CharField(max_length=9, choices=Decision.choices, blank=True, default="")
    reasons = models.JSONField(default=list, blank=True)
    checks = models.JSONField(default=list, blank=True)
    tasks = models.JSONField(default=list, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    linked_trade = models.ForeignKey("trades.Trade", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="gate_intent_user_idempotency_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="gate_intent_user_created_idx"),
            models.Index(fields=["status", "updated_at"], name="gate_intent_status_idx"),
            models.Index(fields=["user", "symbol", "direction"], condition=Q(linked_trade__isnull=True),
                         name="gate_intent_unlinked_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.symbol} → {self.decision or self.status}"


class Override(BaseModel):
    """The trader going ahead against a WAIT, SIZE_DOWN or NO_GO, with their reasons (acknowledged at once:
    the trader keeps control)."""

    STATUSES = [("requested", "Requested"), ("acknowledged", "Acknowledged")]

    intent = models.OneToOneField(PretradeIntent, on_delete=models.CASCADE, related_name="override")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=9, choices=Decision.choices)
    rationale = models.TextField()
    risk_statement = models.TextField()
    safeguards = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=STATUSES, default="requested")
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"override of {self.decision} ({self.status})"


class Cooldown(BaseModel):
    """A pause the trader's own policy asks for. `trigger_key` names what started it (the last loss of a
    streak, a breaching trade), so the same trigger never starts two cooldowns."""

    REASONS = [("losses", "Losing streak"), ("breach", "Rule breach")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cooldowns")
    reason = models.CharField(max_length=8, choices=REASONS)
    trigger_key = models.CharField(max_length=96)
    message = models.TextField()
    evidence = models.JSONField(default=dict)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "trigger_key"], name="gate_cooldown_user_trigger_unique"),
        ]
        indexes = [
            models.Index(fields=["ends_at"], condition=Q(ended_at__isnull=True), name="gate_cooldown_open_idx"),
            models.Index(fields=["user", "-ends_at"], name="gate_cooldown_user_idx"),
        ]

    def __str__(self) -> str:
        return f"cooldown {self.reason} until {self.ends_at:%Y-%m-%d %H:%M}"


class RuleBreach(BaseModel):
    """A rule a trade broke, remembered once it was announced (`rules.breach.detected`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    trade_id = models.CharField(max_length=32)
    kind = models.CharField(max_length=48)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "trade_id", "kind"], name="gate_breach_unique")]

    def __str__(self) -> str:
        return f"{self.kind} broken by {self.trade_id}"
