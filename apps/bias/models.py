from django.conf import settings
from django.db import models

from apps.core.jobs import LeasedJob
from apps.core.models import BaseModel, money_field


class BiasTag(BaseModel):
    """One behaviour label on one trade, with the evidence behind it (inputs, thresholds, what fired)."""

    # written ~1 row per trade by every scoring run: no index beyond the key and the unique constraint, whose
    # leading trade column serves the trade's tags, the cascade and a label lookup for a trade
    trade = models.ForeignKey("trades.Trade", on_delete=models.CASCADE, related_name="bias_tags", db_index=False)
    label = models.CharField(max_length=32)
    confidence = models.DecimalField(max_digits=5, decimal_places=4)
    features = models.JSONField(default=dict)
    engine_version = models.CharField(max_length=32, default="")
    # a hash of what the row holds (engine version, label, confidence, the evidence as written): a re-score
    # compares it and rewrites only the tags that changed (null: written before it was kept, so rewritten)
    digest = models.BigIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trade", "label", "engine_version"], name="bias_biastag_trade_label_ver_unique")
        ]

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


class Reflection(BaseModel):
    """A coach reflection about one trade, announced by exactly one `coach.reflect` event."""

    SOURCES = [("template", "Template"), ("llm", "Language model")]
    TONES = [("supportive", "Supportive"), ("strict", "Strict")]

    # the owner, a copy of the trade's (whose foreign key keeps both honest): no database constraint, whose
    # deferred check per row cost a scoring run's commits ~2.7 µs a reflection (as the outbox's user)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reflections",
                             db_constraint=False)
    # the (trade, created_at) index below serves the trade's reflections and the cascade
    trade = models.ForeignKey("trades.Trade", on_delete=models.CASCADE, related_name="reflections", db_index=False)
    text = models.TextField()
    tone = models.CharField(max_length=16, choices=TONES)
    bias = models.CharField(max_length=32)
    source = models.CharField(max_length=16, choices=SOURCES, default="template")
    engine_version = models.CharField(max_length=32, default="")
    fingerprint = models.CharField(max_length=64, default="")
    event_id = models.CharField(max_length=26, unique=True)

    class Meta:
        indexes = [models.Index(fields=["trade", "created_at"], name="bias_reflection_trade_idx")]

    def __str__(self) -> str:
        return f"{self.bias} ({self.tone}) {self.trade_id}"


class ReflectionFeedback(BaseModel):
    VOTES = [("up", "Helpful"), ("down", "Not helpful")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reflection_feedback")
    reflection = models.ForeignKey(Reflection, on_delete=models.CASCADE, related_name="feedback")
    vote = models.CharField(max_length=4, choices=VOTES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "reflection"], name="bias_feedback_user_reflection_unique")
        ]

    def __str__(self) -> str:
        return f"{self.vote} {self.reflection_id}"


class TradePosition(models.Model):
    """FIFO outcome of one trade within its (user, symbol) series; recomputed per symbol on each scoring.

    `realized_pnl` is in the quote currency net of fees; NULL means unknown (e.g. a sell with no known
    prior buy), never zero.
    """

    trade = models.OneToOneField("trades.Trade", on_delete=models.CASCADE, primary_key=True, related_name="position")
    # the (user, symbol) index below serves the user's positions and the cascade; the owner is a copy of the
    # trade's (the trade's key keeps it honest): no database constraint, as the reflection's
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False,
                             db_constraint=False)
    symbol = models.CharField(max_length=32)
    realized_pnl = money_field(null=True, blank=True)
    held_hours = models.FloatField(null=True, blank=True)
    matched_qty = money_field(default=0)
    unmatched_qty = money_field(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["user", "symbol"], name="bias_position_user_symbol_idx")]

    def __str__(self) -> str:
        return f"{self.trade_id} pnl={self.realized_pnl}"


class DispositionStat(BaseModel):
    """Odean's disposition effect (PGR − PLR) for one user over one period, with the counts behind it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="disposition_stats")
    period_start = models.DateField()
    period_end = models.DateField()
    realized_gains = models.PositiveIntegerField(default=0)
    realized_losses = models.PositiveIntegerField(default=0)
    paper_gains = models.PositiveIntegerField(default=0)
    paper_losses = models.PositiveIntegerField(default=0)
    pgr = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    plr = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    effect = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    engine_version = models.CharField(max_length=32, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "period_start", "period_end"], name="bias_disposition_user_period_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.period_start}..{self.period_end} {self.effect}"


class DispositionDay(BaseModel):
    """Odean's counts for one sale day (UTC) of one user, so any period's disposition effect is a sum.

    `counted` is false for a sale day in a one-market portfolio (Odean counts portfolios of two or more);
    `sales_unknown` are sales whose buy is not in the history; `paper_unpriced` held markets without a
    candle that day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="disposition_days")
    day = models.DateField()
    realized_gains = models.PositiveIntegerField(default=0)
    realized_losses = models.PositiveIntegerField(default=0)
    paper_gains = models.PositiveIntegerField(default=0)
    paper_losses = models.PositiveIntegerField(default=0)
    paper_unpriced = models.PositiveIntegerField(default=0)
    sales_unknown = models.PositiveIntegerField(default=0)
    counted = models.BooleanField(default=True)
    engine_version = models.CharField(max_length=32, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="bias_dispositionday_user_day_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} RG={self.realized_gains} RL={self.realized_losses}"


class ScoringRun(BaseModel, LeasedJob):
    """Labelling a user's unlabelled trades (and re-labelling the later ones their history changes), as a
    durable job: handed off once by whatever stored the trades (`source`, e.g. "import:<jobId>"), resumed
    by the reaper when its runner dies. One runs at a time per user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scoring_runs")
    source = models.CharField(max_length=96)
    trades_scored = models.PositiveIntegerField(default=0)
    # raised inside each transaction that commits labels, over every attempt (new trades' labels commit chunk
    # by chunk, and an attempt that stops midway keeps its chunks): the count, and the earliest trade labelled
    labelled_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "status"], name="bias_scoringrun_user_idx"),
            models.Index(fields=["status", "updated_at"], name="bias_scoringrun_status_idx"),
        ]

    def __str__(self) -> str:
        return f"scoring {self.source} ({self.status})"


class LabelDay(models.Model):
    """Read model: one user's labels on one UTC day in one market, so a summary over a year reads a few
    thousand small rows instead of every tag, trade and position.

    A row per (user, day, symbol, label): `trades` carrying the label, how many of those have a known
    realised P/L (`with_pnl`) and its sum (`realized_pnl`, in the market's quote currency; NULL when none is
    known). The row with the empty label ("") counts every trade of that day and market, whatever its
    labels. Rebuilt from the tags, trades and positions in the scoring run's own transaction, from the
    run's earliest labelled day on (`services.rollups.label_days_rebuild`); gone with the user."""

    ALL_TRADES = ""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    symbol = models.CharField(max_length=32)
    label = models.CharField(max_length=32, blank=True)
    trades = models.PositiveIntegerField(default=0)
    with_pnl = models.PositiveIntegerField(default=0)
    realized_pnl = money_field(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day", "symbol", "label"],
                                               name="bias_labelday_user_day_sym_label_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} {self.symbol} {self.label or '*'}: {self.trades}"
