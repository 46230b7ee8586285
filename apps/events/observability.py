"""The outbox in the metrics and in `/readyz`: the age of the oldest event not yet relayed, and how many wait.

Registered with `apps.core.observability` in `EventsConfig.ready()`. Both queries use the outbox's partial
indexes (rows without a position; positions above the lowest relay watermark), so they stay cheap on a large
table.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db.models import BooleanField, Min
from django.db.models.expressions import RawSQL
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from apps.core.observability.health import readiness_check_register
from apps.core.observability.metrics import metrics_source_register

from .models import EventOutbox
from .services import outbox_delivered_sql, outbox_watermarks


def outbox_undelivered() -> tuple[datetime | None, int]:
    """(commit time of the oldest event not yet published, how many are waiting)."""
    unnumbered = EventOutbox.objects.filter(seq__isnull=True)
    low = min(outbox_watermarks().values())
    numbered = EventOutbox.objects.filter(seq__gt=low).filter(
        RawSQL(f"NOT ({outbox_delivered_sql()})", [], output_field=BooleanField()))
    candidates = [value for rows in (unnumbered, numbered) if (value := rows.aggregate(oldest=Min("ts"))["oldest"])]
    return (min(candidates) if candidates else None), unnumbered.count() + numbered.count()


def outbox_lag_seconds(*, now: datetime | None = None) -> float:
    """Seconds the oldest unpublished event has waited (0 when none waits)."""
    oldest, _ = outbox_undelivered()
    if oldest is None:
        return 0.0
    return max(0.0, ((now or timezone.now()) - oldest).total_seconds())


def outbox_metrics() -> Iterable[Metric]:
    oldest, waiting = outbox_undelivered()
    lag = 0.0 if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())
    family = GaugeMetricFamily("twin_outbox_lag_seconds", "Age of the oldest outbox event not yet relayed.")
    family.add_metric([], lag)
    yield family
    family = GaugeMetricFamily("twin_outbox_undelivered", "Outbox events not yet relayed.")
    family.add_metric([], waiting)
    yield family


def outbox_lag_ok() -> bool:
    return outbox_lag_seconds() <= settings.READYZ_OUTBOX_MAX_LAG


def observability_register() -> None:
    metrics_source_register(name="outbox", source=outbox_metrics)
    if settings.READYZ_OUTBOX_MAX_LAG > 0:
        readiness_check_register(name="outbox", check=outbox_lag_ok)
