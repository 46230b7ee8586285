from django.conf import settings
from django.db import models

from apps.core.jobs import JobStatus, LeasedJob
from apps.core.models import BaseModel, money_field


class Trade(BaseModel):
    SIDES = [("BUY", "Buy"), ("SELL", "Sell")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trades")
    broker = models.CharField(max_length=16)
    ext_id = models.CharField(max_length=128)
    symbol = models.CharField(max_length=32)
    side = models.CharField(max_length=4, choices=SIDES)
    qty = money_field()
    price = money_field()
    fee = money_field(null=True, blank=True)
    fee_asset = models.CharField(max_length=16, blank=True, default="")
    quote_asset = models.CharField(max_length=16, blank=True, default="")
    ts = models.DateTimeField()
    raw = models.JSONField(null=True, blank=True)  # what the export says beyond the trade (e.g. spot price, spread)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "broker", "ext_id"], name="trades_trade_user_broker_ext_unique")
        ]
        indexes = [
            # Serves the user's trades in (ts, id) order and keyset cursors (`(ts, id) > (X, Y)`) at any depth.
            models.Index(fields=["user", "ts", "id"], name="trades_trade_user_ts_id_idx"),
            models.Index(fields=["symbol"], name="trades_trade_symbol_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.qty} {self.symbol} @ {self.price}"


class ImportJob(LeasedJob):
    """One import of a time window (API) or of one file (upload).

    The id is deterministic — sha256 over (user, broker, since, until) for API imports and over
    (user, file digest, mapping) for uploads — so asking twice for the same thing is the same job.
    `cursor` is the source's checkpoint after the last committed page: a re-run resumes from it.
    Status, attempts, lease and error are the shared job columns (`apps.core.jobs`).
    """

    STATUSES = JobStatus.choices
    SOURCES = [("api", "Broker API"), ("upload", "File upload")]

    id = models.CharField(primary_key=True, max_length=64, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    broker = models.CharField(max_length=16)
    source = models.CharField(max_length=8, choices=SOURCES, default="api")
    connection_id = models.CharField(max_length=32, blank=True, default="")
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    fetched = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    cursor = models.TextField(blank=True, default="")
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "created_at"], name="trades_importjob_user_idx"),
            models.Index(fields=["status"], name="trades_importjob_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source} import {self.id[:12]} ({self.status})"


class ImportUpload(BaseModel):
    """An uploaded export, parsed once in the request: the worker pages through `items` (the normalised
    trades, see `apps.trades.imports.sources`) by job id, never through task arguments."""

    job = models.OneToOneField(ImportJob, on_delete=models.CASCADE, related_name="upload")
    filename = models.CharField(max_length=255, blank=True, default="")
    digest = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    mapping = models.JSONField(null=True, blank=True)
    items = models.JSONField(default=list, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.filename or 'upload'} ({self.size} bytes)"


class ColumnMappingPreset(BaseModel):
    """A user's saved column mapping for a generic CSV source, by name (e.g. "kraken")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="column_mappings")
    name = models.CharField(max_length=64)
    mapping = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="trades_mapping_user_name_unique")]

    def __str__(self) -> str:
        return self.name


class IdempotencyKey(BaseModel):
    """A stored answer to a POST sent with an `Idempotency-Key` header (honoured for 24 hours)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="trades_idempotency_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="trades_idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
