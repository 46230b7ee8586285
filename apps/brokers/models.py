from django.conf import settings
from django.db import models

from apps.core.models import BaseModel, money_field


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
    last_used_at = models.DateTimeField(null=True, blank=True)
    label = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["user", "broker"], name="brokers_conn_user_broker_idx")]

    def __str__(self) -> str:
        return f"{self.broker} ({self.status})"


class DataKey(BaseModel):
    """A user's data-encryption key (DEK), stored only wrapped by a key-encryption key (KEK) from settings."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_keys")
    kek_id = models.CharField(max_length=64)
    wrapped = models.BinaryField(editable=False)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="brokers_datakey_user_unique")]

    def __str__(self) -> str:
        return f"data key {self.id} (kek {self.kek_id})"


class OAuthState(BaseModel):
    """One pending OAuth authorization: single use, bound to the browser session, short-lived.

    Only hashes of the state and of the session key are stored; the PKCE verifier is sealed.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oauth_states")
    broker = models.CharField(max_length=16)
    state_hash = models.CharField(max_length=64, unique=True)
    session_hash = models.CharField(max_length=64)
    verifier_enc = models.BinaryField(editable=False)
    redirect_uri = models.CharField(max_length=512)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OAuth state"
        verbose_name_plural = "OAuth states"

    def __str__(self) -> str:
        return f"{self.broker} authorization ({'used' if self.used_at else 'pending'})"


class Candle(models.Model):
    """One OHLCV bar. `ts` is the bar's open time (UTC); only closed bars are stored."""

    id = models.BigAutoField(primary_key=True)
    symbol = models.CharField(max_length=32)
    granularity = models.CharField(max_length=8)
    ts = models.DateTimeField()
    open = money_field()
    high = money_field()
    low = money_field()
    close = money_field()
    volume = money_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["symbol", "granularity", "ts"], name="brokers_candle_sym_gran_ts_unique")
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.granularity} {self.ts:%Y-%m-%d %H:%M}"


class CandleChunk(models.Model):
    """A window of candles already fetched from the source (so gaps are not re-fetched forever)."""

    id = models.BigAutoField(primary_key=True)
    symbol = models.CharField(max_length=32)
    granularity = models.CharField(max_length=8)
    start = models.DateTimeField()
    source = models.CharField(max_length=16)
    is_complete = models.BooleanField(default=False)
    covered_until = models.DateTimeField(null=True, blank=True)  # every closed bar before this was fetched
    fetched_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["symbol", "granularity", "start"], name="brokers_chunk_sym_gran_start_unique")
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.granularity} from {self.start:%Y-%m-%d %H:%M}"


class MarketSnapshot(BaseModel):
    """A frozen copy of the candles of one period, written to storage so scores are reproducible."""

    symbol = models.CharField(max_length=32)
    granularity = models.CharField(max_length=8)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    path = models.CharField(max_length=512)
    rows = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["symbol", "granularity", "period_start"],
                                    name="brokers_snapshot_sym_gran_start_unique")
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.granularity} {self.period_start:%Y-%m-%d}"
