"""The outbox in the metrics and in `/readyz`: the age of the oldest event not yet relayed, and how many wait.

Registered with `apps.core.observability` in `EventsConfig.ready()`. Both queries use the outbox's partial
indexes (rows without a position; positioned rows not yet delivered), so they stay cheap on a large table.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from apps.core.observability.health import readiness_check_register
from apps.core.observability.metrics import metrics_source_register

from .models import EventOutbox


def outbox_undelivered() -> tuple[datetime | None, int]:
    """(commit time of the oldest event not yet published, how many are waiting)."""
    unnumbered = EventOutbox.objects.filter(seq__isnull=True).aggregate(oldest=Min("ts"))["oldest"]
    numbered = EventOutbox.objects.filter(seq__isnull=False, delivered_at__isnull=True).aggregate(
        oldest=Min("ts"))["oldest"]
    waiting = (EventOutbox.objects.filter(seq__isnull=True).count()
               + EventOutbox.objects.filter(seq__isnull=False, delivered_at__isnull=True).count())
    candidates = [value for value in (unnumbered, numbered) if value is not None]
    return (min(candidates) if candidates else None), waiting


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
