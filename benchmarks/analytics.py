"""Performance analytics for one heavy user: every endpoint under concurrent load, against a per-trade baseline.

    .venv/bin/python -m benchmarks.analytics [--trades 100000] [--requests 200] [--concurrency 10]

Builds a throwaway PostgreSQL database (``BENCH_PG_URL``) with one user owning ``--trades`` trades over
200 days on five markets in two quote currencies (USD, EUR): every other trade a sell closing the buy before
it, each with a label and its FIFO position, and the hourly candles of the markets and of EUR-USD; then the
analytics read model is built from them the way a scoring run does (``read_model_build_s``, and a second,
no-change refresh ``read_model_noop_s``); then 100 more trades at the end of the history are refreshed the
way a scoring run's hook does, from the run's earliest trade on (``read_model_incremental_100_ms``). Then,
in one run:

* ``endpoints``: each API endpoint (summary, summary in USD, equity, calendar, every breakdown, excursions)
  asked ``--requests`` times by ``--concurrency`` threads at once through Django's full request stack
  (session auth, middleware, JSON rendering) — p50/p95/max latency per endpoint; goal p95 ≤ 300 ms.
* ``baseline_per_trade``: the summary computed the naive way — every closed position loaded as a model with
  its trade and folded in a Python loop — timed once.

Prints one JSON document.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from benchmarks.common import database_create, database_drop, machine_info, percentile, print_json

GOAL_P95_MS = 300.0
START = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 200
MARKETS = (("BTC-USD", 60000), ("ETH-USD", 3000), ("SOL-USD", 150), ("BTC-EUR", 55000), ("ETH-EUR", 2800))
LABELS = ("FOMO", "PANIC", "DISCIPLINE", "REVENGE", "OVERTRADING", "NONE")
ENDPOINTS = ("summary", "summary?currency=USD", "equity", "calendar", "breakdown?by=hour", "breakdown?by=weekday",
             "breakdown?by=symbol", "breakdown?by=label", "breakdown?by=broker", "excursions")


def build(*, trades: int, user=None, first: int = 0, rng: random.Random | None = None, spacing: int | None = None):
    """The user, trades (numbers `first` … `trades` - 1, trade n at START + n/spacing of the span), labels,
    positions and candles, written in bulk (candles only with the first trades). Returns the user."""
    from apps.accounts.models import User
    from apps.bias.models import BiasTag, TradePosition
    from apps.brokers.models import Candle
    from apps.trades.models import Trade

    rng = rng or random.Random(17)
    new_user = user is None
    if new_user:
        user = User.objects.create_user("bench-analytics@example.com", "bench-password-123")
    span = DAYS * 24 * 3600
    rows, tags, positions = [], [], []
    for n in range(first, trades):
        symbol, base_price = MARKETS[(n // 2) % len(MARKETS)]
        side = "BUY" if n % 2 == 0 else "SELL"
        ts = START + timedelta(seconds=span * n // (spacing or trades))
        price = Decimal(base_price) * (1 + Decimal(rng.randint(-300, 300)) / 10000)
        quote = symbol.split("-")[1]
        trade = Trade(id=f"t{n}", user=user, broker="coinbase" if n % 3 else "binance", ext_id=str(n), symbol=symbol,
                      side=side, qty=Decimal("0.01"), price=price.quantize(Decimal("0.01")), fee=Decimal("0.05"),
                      fee_asset=quote, quote_asset=quote, ts=ts)
        rows.append(trade)
        tags.append(BiasTag(trade=trade, label=LABELS[rng.randrange(len(LABELS))], confidence=Decimal("0.7"),
                            features={}, engine_version="bench"))
        pnl = None if side == "BUY" else Decimal(rng.randint(-2000, 2100)) / 100
        positions.append(TradePosition(trade=trade, user=user, symbol=symbol, realized_pnl=pnl,
                                       held_hours=None if side == "BUY" else span / trades / 3600,
                                       matched_qty=Decimal("0.01") if side == "SELL" else 0))
    Trade.objects.bulk_create(rows, batch_size=5000)
    BiasTag.objects.bulk_create(tags, batch_size=5000)
    TradePosition.objects.bulk_create(positions, batch_size=5000)
    if not new_user:
        return user
    candles = []
    for symbol, base_price in (*MARKETS, ("EUR-USD", 1.1)):
        level = float(base_price)
        for hour in range(DAYS * 24 + 24):
            level *= 1 + rng.uniform(-0.004, 0.004)
            close = Decimal(str(round(level, 6)))
            candles.append(Candle(symbol=symbol, granularity="1h", ts=START + timedelta(hours=hour), open=close,
                                  high=close * Decimal("1.003"), low=close * Decimal("0.997"), close=close,
                                  volume=Decimal(1)))
    Candle.objects.bulk_create(candles, batch_size=5000)
    return user


def baseline_summary(user) -> dict:
    """The per-trade way: every closed position as a model instance, folded one by one in Python."""
    from apps.bias.models import TradePosition

    out: dict = {}
    for position in TradePosition.objects.filter(user=user, realized_pnl__isnull=False).select_related("trade"):
        quote = position.trade.quote_asset
        entry = out.setdefault(quote, {"closed": 0, "wins": 0, "gross_win": Decimal(0), "gross_loss": Decimal(0)})
        entry["closed"] += 1
        if position.realized_pnl > 0:
            entry["wins"] += 1
            entry["gross_win"] += position.realized_pnl
        elif position.realized_pnl < 0:
            entry["gross_loss"] += position.realized_pnl
    return out


def load(*, user, path: str, requests: int, concurrency: int) -> dict:
    from django.db import connection
    from django.test import Client

    local = threading.local()

    def one(_n: int) -> float:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = Client()
            client.force_login(user)
        started = time.perf_counter()
        response = client.get(f"/api/analytics/{path}")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content[:300]
        return elapsed * 1000

    def run(n: int) -> float:
        try:
            return one(n)
        finally:
            if n >= requests - concurrency:
                connection.close()

    one(-1)  # warm: first query plans, the candle cache
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        times = list(pool.map(run, range(requests)))
    p95 = percentile(times, 95)
    return {"requests": requests, "concurrency": concurrency, "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(p95, 1), "max_ms": round(max(times), 1), "meets_goal": p95 <= GOAL_P95_MS}


def run(*, trades: int, requests: int, concurrency: int) -> dict:
    from django.db import connection

    from apps.analytics.services.readmodel import trade_facts_refresh

    started = time.perf_counter()
    user = build(trades=trades)
    built_s = time.perf_counter() - started
    started = time.perf_counter()
    trade_facts_refresh(user_id=user.id)
    read_model_s = time.perf_counter() - started
    started = time.perf_counter()
    unchanged = trade_facts_refresh(user_id=user.id)
    noop_s = time.perf_counter() - started
    assert unchanged.written == 0
    # a scoring run of 100 new trades at the end of the history (the last day): only they are read
    build(trades=trades + 100, user=user, first=trades, rng=random.Random(18), spacing=trades)
    since = START + timedelta(days=DAYS)
    started = time.perf_counter()
    incremental = trade_facts_refresh(user_id=user.id, since=since)
    incremental_s = time.perf_counter() - started
    assert (incremental.trades, incremental.written) == (100, 100), incremental
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # The seeding left this process with a heap no server has (100k trades' objects); the collector's full
    # passes over it would land on whichever request runs then. Freeze it, as a server's heap starts clean.
    gc.collect()
    gc.freeze()
    endpoints = {path: load(user=user, path=path, requests=requests, concurrency=concurrency) for path in ENDPOINTS}
    started = time.perf_counter()
    baseline_summary(user)
    baseline_ms = (time.perf_counter() - started) * 1000
    summary_p50 = endpoints["summary"]["p50_ms"]
    return {
        "benchmark": "analytics",
        "trades": trades,
        "setup_s": round(built_s, 2),
        "read_model_build_s": round(read_model_s, 2),
        "read_model_noop_s": round(noop_s, 2),
        "read_model_incremental_100_ms": round(incremental_s * 1000, 1),
        "goal_p95_ms": GOAL_P95_MS,
        "endpoints": endpoints,
        "all_meet_goal": all(e["meets_goal"] for e in endpoints.values()),
        "baseline_per_trade": {"summary_ms": round(baseline_ms, 1),
                               "speedup_vs_summary_p50": round(baseline_ms / summary_p50, 1) if summary_p50 else None},
        "machine": {**machine_info(), "load": os.getloadavg()},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args(argv)
    db_name = f"bench_analytics_{os.getpid()}"
    database_create(args.pg_url, db_name)
    try:
        os.environ.update({"DJANGO_SETTINGS_MODULE": "twin.settings.base", "DATABASE_URL": f"{args.pg_url}/{db_name}",
                           "REDIS_URL": args.redis_url, "CACHE_KEY_PREFIX": f"bench-analytics-{os.getpid()}",
                           "LOG_LEVEL": "WARNING", "RATELIMIT_ENABLE": "0", "OUTBOX_RELAY_EMBEDDED": "0",
                           "CELERY_TASK_ALWAYS_EAGER": "1", "ALLOWED_HOSTS": "testserver,127.0.0.1"})
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        result = run(trades=args.trades, requests=args.requests, concurrency=args.concurrency)
    finally:
        database_drop(args.pg_url, db_name)
    print_json(result)
    return result


if __name__ == "__main__":
    main()
