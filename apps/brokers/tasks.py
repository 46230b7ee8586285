"""Brokers Celery tasks: thin wrappers over services; idempotent."""
from __future__ import annotations

from datetime import datetime

from celery import shared_task

from .services import candles_ensure, market_snapshots_weekly


@shared_task(acks_late=True, reject_on_worker_lost=True, queue="default")
def market_snapshot_weekly_task() -> int:
    return market_snapshots_weekly()


@shared_task(acks_late=True, reject_on_worker_lost=True, queue="score")
def candles_ensure_task(*, symbol: str, granularity: str, start: str, end: str) -> int:
    return candles_ensure(symbol=symbol, granularity=granularity, start=datetime.fromisoformat(start),
                          end=datetime.fromisoformat(end))
