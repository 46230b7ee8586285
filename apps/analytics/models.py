from django.conf import settings
from django.db import models

from apps.core.jobs import LeasedJob
from apps.core.models import BaseModel, money_field


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


class TradeFact(models.Model):
    """The read model every performance figure is a grouped query over: one row per trade of the user, with
    the exit figures when the trade closed a position (`realized_pnl` not NULL). Written only by
    `apps.analytics.services.readmodel` after each scoring run; the trade's own row is the truth.

    * `fee` is the trade's fee valued in its quote currency (a base-asset fee at the trade's price); a fee
      in a third asset stays apart in `fee_other_asset` / `fee_other`.
    * `day`, `hour`, `weekday` (ISO, 1 = Monday) are the trade's time in UTC, for the calendar and breakdowns.
    * `entry_ts` is the entry of the oldest lot the exit matched; `mae` / `mfe` / `exit_efficiency` come from
      the stored hourly candles with each matched lot's own entry time (NULL without candles).
    * `usd_rate` / `eur_rate`: quote → USD / EUR at the exit from stored candles (1 in that currency, NULL
      without a bar close enough), with the pair used.
    * `source_hash` fingerprints what the row was computed from: a refresh rewrites only rows whose
      fingerprint changed."""

    trade = models.OneToOneField("trades.Trade", on_delete=models.CASCADE, primary_key=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ts = models.DateTimeField()
    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    weekday = models.PositiveSmallIntegerField()
    symbol = models.CharField(max_length=32)
    quote = models.CharField(max_length=32)
    broker = models.CharField(max_length=16)
    side = models.CharField(max_length=4)
    qty = money_field(default=0)
    price = money_field(default=0)
    fee = models.DecimalField(max_digits=60, decimal_places=36, null=True, blank=True)
    fee_other_asset = models.CharField(max_length=16, blank=True, default="")
    fee_other = money_field(null=True, blank=True)
    realized_pnl = money_field(null=True, blank=True)
    held_hours = models.FloatField(null=True, blank=True)
    matched_qty = money_field(default=0)
    entry_ts = models.DateTimeField(null=True, blank=True)
    mae = models.FloatField(null=True, blank=True)
    mfe = models.FloatField(null=True, blank=True)
    exit_efficiency = models.FloatField(null=True, blank=True)
    usd_rate = models.FloatField(null=True, blank=True)
    usd_pair = models.CharField(max_length=32, blank=True, default="")
    eur_rate = models.FloatField(null=True, blank=True)
    eur_pair = models.CharField(max_length=32, blank=True, default="")
    source_hash = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["user", "ts"], name="analytics_fact_user_ts_idx"),
                   models.Index(fields=["user", "fee_other_asset"], condition=~models.Q(fee_other_asset=""),
                                name="analytics_fact_other_fee_idx")]

    def __str__(self) -> str:
        return f"{self.side} {self.symbol} {self.ts:%Y-%m-%d %H:%M} pnl={self.realized_pnl}"


class TradeFactLabel(models.Model):
    """A label the trade carries (one row per trade and label), for the label filter and breakdown."""

    fact = models.ForeignKey(TradeFact, on_delete=models.CASCADE, related_name="labels")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fact", "label"], name="analytics_factlabel_unique")]
        indexes = [models.Index(fields=["user", "label"], name="analytics_factlabel_user_idx")]

    def __str__(self) -> str:
        return f"{self.fact_id} {self.label}"


class DailyRollup(models.Model):
    """The read model summed per UTC day, quote, symbol, broker and side: what the figures without a label
    filter and with whole-day bounds read (a few thousand rows where the trades are a hundred thousand).
    Rebuilt from `TradeFact` whenever a refresh changed any row. Sums are exact (decimals); hold times are
    sums and counts, so averages over any set of days are exact too."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    quote = models.CharField(max_length=32)
    symbol = models.CharField(max_length=32)
    broker = models.CharField(max_length=16)
    side = models.CharField(max_length=4)
    trades = models.PositiveIntegerField()
    fees = models.DecimalField(max_digits=60, decimal_places=36, null=True, blank=True)
    closed = models.PositiveIntegerField()
    wins = models.PositiveIntegerField()
    losses = models.PositiveIntegerField()
    pnl = money_field(null=True, blank=True)
    gross_win = money_field(null=True, blank=True)
    gross_loss = money_field(null=True, blank=True)
    largest_win = money_field(null=True, blank=True)
    largest_loss = money_field(null=True, blank=True)
    hold_win_hours = models.FloatField(null=True, blank=True)
    hold_win_count = models.PositiveIntegerField()
    hold_loss_hours = models.FloatField(null=True, blank=True)
    hold_loss_count = models.PositiveIntegerField()
    pnl_float = models.FloatField(null=True, blank=True)  # the P/L as the conversions below add it up
    usd_converted = models.FloatField(null=True, blank=True)
    usd_without = models.PositiveIntegerField()
    usd_pair = models.CharField(max_length=32, blank=True, default="")
    eur_converted = models.FloatField(null=True, blank=True)
    eur_without = models.PositiveIntegerField()
    eur_pair = models.CharField(max_length=32, blank=True, default="")
    matched = money_field(default=0)  # quantity the closing sales matched (the FIFO book's consumption)
    bought = money_field(default=0)  # quantity bought
    with_excursion = models.PositiveIntegerField(default=0)  # closed positions with MAE/MFE
    efficiency_sum = models.FloatField(null=True, blank=True)
    efficiency_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["user", "day"], name="analytics_rollup_user_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.symbol} {self.side}: {self.closed} closed"


class HourRollup(models.Model):
    """Closed positions summed per UTC day, hour of their exit and quote: the breakdown by hour without
    market or label filters and with whole-day bounds (rows per day at most 24 per quote, whatever the
    number of trades). Rebuilt with `DailyRollup`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    quote = models.CharField(max_length=32)
    closed = models.PositiveIntegerField()
    wins = models.PositiveIntegerField()
    pnl = money_field()

    class Meta:
        indexes = [models.Index(fields=["user", "day"], name="analytics_hrroll_user_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.hour:02d}h {self.quote}: {self.closed} closed"


class LabelRollup(models.Model):
    """Closed positions summed per UTC day, label their exit carries, quote, symbol, broker and side: the
    breakdown by label with whole-day bounds (a position counts under each of its labels). Rebuilt with
    `DailyRollup`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    label = models.CharField(max_length=32)
    quote = models.CharField(max_length=32)
    symbol = models.CharField(max_length=32)
    broker = models.CharField(max_length=16)
    side = models.CharField(max_length=4)
    closed = models.PositiveIntegerField()
    wins = models.PositiveIntegerField()
    pnl = money_field()

    class Meta:
        indexes = [models.Index(fields=["user", "day"], name="analytics_lblroll_user_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.label} {self.symbol}: {self.closed} closed"


class StreakDay(models.Model):
    """The winning and losing runs of one UTC day's exits per quote, in exit order (a break-even exit is a
    run of its own that ends the others): the first and the last run (sign 1, -1 or 0, and length) and the
    longest of each sign within the day. Folded day after day they give `QuoteStreak`, so a refresh reads the
    exits of the days it changed only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quote = models.CharField(max_length=32)
    day = models.DateField()
    exits = models.PositiveIntegerField()
    first_sign = models.SmallIntegerField()
    first_run = models.PositiveIntegerField()
    last_sign = models.SmallIntegerField()
    last_run = models.PositiveIntegerField()
    longest_win = models.PositiveIntegerField()
    longest_loss = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["user", "day"], name="analytics_streakday_user_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.quote}: {self.longest_win} / {self.longest_loss}"


class QuoteStreak(models.Model):
    """The longest winning and losing runs of closed positions per quote over all of the user's exits (the
    summary without filters); with filters the runs are found over the filtered rows instead."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quote = models.CharField(max_length=32)
    longest_win = models.PositiveIntegerField()
    longest_loss = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "quote"], name="analytics_streak_user_quote_unique")]

    def __str__(self) -> str:
        return f"{self.quote}: {self.longest_win} / {self.longest_loss}"
