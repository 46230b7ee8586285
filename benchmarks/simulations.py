"""Simulations: single-trade counterfactuals and the rule back-test, each against a naive per-trade baseline.

    .venv/bin/python -m benchmarks.simulations [--trades 10000] [--symbols 5] [--days 90] [--sims 1000]
                                               [--baseline-sample 200]

Builds a throwaway PostgreSQL database (``BENCH_PG_URL``) with hourly candles per symbol (deterministic
random walks) and one user's trade history (alternating buys and sells per symbol, priced at the market),
on the Redis of ``BENCH_REDIS_URL``. Then, in one run:

* ``single``: ``--sims`` simulations of distinct trades (3-day horizon, 2 % pullback) on stored candles —
  the engine alone (``simulate`` on arrays already read), and the service end to end with nothing cached or
  stored (``simulation_request_many``, what ``POST /api/simulations/simple`` runs with one ask: one query for
  the trades, their FIFO matches and their candles, candle versions and cached answers from Redis, compute,
  the rows stored with one COPY, the documents cached with one write); then the same asks again (answered
  from the cache), and ``--baseline-sample`` other simulations one request at a time
  (``simulation_request``, a batch of one each). Baseline: per trade, read its candles and
  its symbol's trades with the ORM as Decimals and walk every candle in Python (a per-candle loop for each
  of the three curves), timed on ``--baseline-sample`` trades and reported per trade and scaled to ``--sims``.
* ``backtest``: ``rules_backtest_run`` over every trade of the period with all four rules (cache cleared
  first, so candles are read from the database). Baseline: the same replay where each trade reads the
  candles it needs with its own queries, timed on a sample and scaled to the whole history.

Prints one JSON document (goals: 1,000 simulations through the service ≤ 1 s; a 10,000-trade back-test
≤ 2 s), with the load average before and after.
"""
from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from benchmarks.common import database_create, database_drop, machine_info, print_json

GOAL_SIMS_S = 1.0
GOAL_BACKTEST_S = 2.0
RULES = [{"kind": "avoidSpikeOverPct", "params": {"pct": 3, "lookbackHours": 24}},
         {"kind": "minHoldHours", "params": {"hours": 6}},
         {"kind": "maxTradesPerDay", "params": {"count": 40}},
         {"kind": "cooldownAfterLosses", "params": {"losses": 3, "hours": 12}}]


def build(*, trades: int, symbols: int, days: int, start: datetime, seed: int = 11):
    """Candles and trades in the database for a new user. Returns the user."""
    from apps.accounts.testing import UserFactory
    from apps.brokers.models import Candle
    from apps.trades.models import Trade

    rng = np.random.default_rng(seed)
    hours = days * 24 + 24 * 5
    user = UserFactory()
    per_symbol = trades // symbols
    for k in range(symbols):
        symbol = f"SIM{k}-USD"
        close = (100 + 40 * k) * np.exp(np.cumsum(rng.normal(0, 0.006, hours)))
        open_ = np.r_[close[0], close[:-1]]
        wick = np.abs(rng.normal(0, 0.003, hours))
        high, low = np.maximum(open_, close) * (1 + wick), np.minimum(open_, close) * (1 - wick)
        Candle.objects.bulk_create([
            Candle(symbol=symbol, granularity="1h", ts=start + timedelta(hours=h), open=Decimal(f"{open_[h]:.6f}"),
                   high=Decimal(f"{high[h]:.6f}"), low=Decimal(f"{low[h]:.6f}"), close=Decimal(f"{close[h]:.6f}"),
                   volume=Decimal("1")) for h in range(hours)], batch_size=5000)
        seconds = np.sort(rng.integers(0, days * 86400, per_symbol))
        rows = []
        for n, offset in enumerate(seconds.tolist()):
            bar = offset // 3600
            price = Decimal(f"{close[bar]:.6f}")
            qty = Decimal(f"{(n // 2) % 7 + 1}") / 10
            rows.append(Trade(user=user, broker="coinbase", ext_id=f"{symbol}-{n}", symbol=symbol,
                              side="BUY" if n % 2 == 0 else "SELL", qty=qty, price=price,
                              fee=(price * qty / 1000).quantize(Decimal("0.000001")), fee_asset="USD",
                              quote_asset="USD", ts=start + timedelta(seconds=offset)))
        Trade.objects.bulk_create(rows, batch_size=5000)
    return user


def naive_simulation(*, user, trade, horizon_days: int, pullback_pct: Decimal) -> dict:
    """The straightforward way: ORM rows as Decimals, one Python loop over the candles per curve."""
    from apps.brokers.models import Candle
    from apps.trades.models import Trade

    end = trade.ts + timedelta(days=horizon_days)
    candles = list(Candle.objects.filter(symbol=trade.symbol, granularity="1h",
                                         ts__gte=trade.ts.replace(minute=0, second=0, microsecond=0),
                                         ts__lt=end).order_by("ts"))
    bars = [c for c in candles if trade.ts < c.ts + timedelta(hours=1) <= end]
    history = list(Trade.objects.filter(user=user, symbol=trade.symbol, ts__lte=end).order_by("ts", "id"))
    fee = trade.fee or Decimal(0)
    hold = [(c.close - trade.price) * trade.qty - fee for c in bars]
    level = trade.price * (1 - pullback_pct / 100)
    filled_at = None
    wait = []
    for c in bars:
        if filled_at is None and c.ts >= trade.ts and c.low <= level:
            filled_at = c.ts
        wait.append((c.close - level) * trade.qty - fee if filled_at is not None else Decimal(0))
    lots, sold = [], []
    for other in history:  # FIFO for this trade's units
        if other.side == "BUY":
            lots.append([other.id, other.qty])
            continue
        remaining = other.qty
        while remaining > 0 and lots:
            take = min(remaining, lots[0][1])
            if lots[0][0] == trade.id:
                sold.append((other.ts, take, other.price))
            lots[0][1] -= take
            remaining -= take
            if lots[0][1] <= 0:
                lots.pop(0)
    actual = []
    for c in bars:
        gone = [(take, price) for ts, take, price in sold if ts <= c.ts + timedelta(hours=1)]
        held = trade.qty - sum((take for take, _ in gone), Decimal(0))
        actual.append(sum((take * (price - trade.price) for take, price in gone), Decimal(0))
                      + held * (c.close - trade.price) - fee)
    return {"hold": hold[-1] if hold else None, "wait": wait[-1] if wait else None, "actual": actual[-1] if actual else None}


def naive_spike(*, symbol: str, ts: datetime, hours: float):
    """One trade's rise over the lookback read with its own queries (what a per-trade replay would do)."""
    from apps.brokers.models import Candle

    now_bar = (Candle.objects.filter(symbol=symbol, granularity="1h", ts__lte=ts - timedelta(hours=1))
               .order_by("-ts").values_list("ts", "close").first())
    if now_bar is None:
        return None
    base = (Candle.objects.filter(symbol=symbol, granularity="1h", ts__lte=now_bar[0] - timedelta(hours=hours))
            .order_by("-ts").values_list("close", flat=True).first())
    return None if base is None else now_bar[1] / base - 1


def run(*, trades: int, symbols: int, days: int, sims: int, baseline_sample: int) -> dict:
    from django.core.cache import cache

    from apps.simulations.counterfactual import candle_window, simulate
    from apps.simulations.selectors import bars_for, trade_fifo_pairs, trade_for_simulation
    from apps.simulations.services import SimulationAsk, rules_backtest_run, simulation_request, simulation_request_many
    from apps.trades.models import Trade

    load_before = os.getloadavg()
    start = (datetime.now(UTC) - timedelta(days=days + 10)).replace(minute=0, second=0, microsecond=0)
    built = time.perf_counter()
    user = build(trades=trades, symbols=symbols, days=days, start=start)
    build_s = time.perf_counter() - built
    horizon, pullback = 3, Decimal("2")
    horizon_cap = start + timedelta(days=days - horizon)
    chosen = list(Trade.objects.filter(user=user, ts__lt=horizon_cap).order_by("id")[:sims])

    # the engine alone, on candles and histories already read
    inputs = []
    for trade in chosen:
        values, quote = trade_for_simulation(user=user, trade_id=trade.id)
        window_start, window_end = candle_window(values.ts, horizon)
        inputs.append((values, quote, bars_for(symbol=values.symbol, start=window_start, end=window_end),
                       trade_fifo_pairs(user_id=user.id, trade=values, until=window_end)))
    began = time.perf_counter()
    for values, quote, bars, takes in inputs:
        simulate(trade=values, takes=takes, bars=bars, horizon_days=horizon, pullback_pct=pullback, quote=quote)
    engine_s = time.perf_counter() - began

    cache.clear()
    asks = [SimulationAsk(horizon_days=horizon, trade_id=trade.id, pullback_pct=pullback) for trade in chosen]
    began = time.perf_counter()
    answers = simulation_request_many(user=user, asks=asks)
    service_s = time.perf_counter() - began
    began = time.perf_counter()
    simulation_request_many(user=user, asks=asks)
    service_cached_s = time.perf_counter() - began
    one_by_one = chosen[:baseline_sample]
    began = time.perf_counter()
    for trade in one_by_one:  # another horizon: not cached
        simulation_request(user=user, trade_id=trade.id, horizon_days=horizon - 1, pullback_pct=pullback)
    one_per_sim = (time.perf_counter() - began) / max(1, len(one_by_one))

    sample = chosen[:baseline_sample]
    began = time.perf_counter()
    for trade in sample:
        naive_simulation(user=user, trade=trade, horizon_days=horizon, pullback_pct=pullback)
    naive_per_sim = (time.perf_counter() - began) / max(1, len(sample))

    since, until = start, start + timedelta(days=days)
    cache.clear()
    began = time.perf_counter()
    report = rules_backtest_run(user=user, since=since, until=until, rules=RULES)
    backtest_cold_s = time.perf_counter() - began
    began = time.perf_counter()
    rules_backtest_run(user=user, since=since, until=until, rules=RULES)
    backtest_warm_s = time.perf_counter() - began

    history = list(Trade.objects.filter(user=user, ts__gte=since, ts__lt=until).order_by("ts")
                   .values_list("symbol", "ts", "side")[:baseline_sample])
    began = time.perf_counter()
    for symbol, ts, side in history:
        if side == "BUY":
            naive_spike(symbol=symbol, ts=ts, hours=24)
    naive_per_trade = (time.perf_counter() - began) / max(1, len(history))
    changed = sum(1 for t in report["trades"] if t["action"] != "kept")
    return {
        "benchmark": "simulations",
        "workload": {"trades": report["tradeCount"], "symbols": symbols, "days": days, "simulations": len(chosen),
                     "horizon_days": horizon, "pullback_pct": str(pullback), "rules": [r["kind"] for r in RULES],
                     "build_s": round(build_s, 2)},
        "single": {
            "engine_s": round(engine_s, 4), "engine_per_sim_ms": round(engine_s / max(1, len(chosen)) * 1000, 3),
            "service_s": round(service_s, 4), "service_per_sim_ms": round(service_s / max(1, len(chosen)) * 1000, 3),
            "service_answered_done": sum(1 for answer in answers if answer["status"] == "done"),
            "service_cached_s": round(service_cached_s, 4),
            "service_one_request_each": {"sample": len(one_by_one), "per_sim_ms": round(one_per_sim * 1000, 3)},
            "goal_s": GOAL_SIMS_S, "service_meets_goal": service_s <= GOAL_SIMS_S,
            "engine_meets_goal": engine_s <= GOAL_SIMS_S,
            "baseline_naive": {"sample": len(sample), "per_sim_ms": round(naive_per_sim * 1000, 3),
                               "scaled_s": round(naive_per_sim * len(chosen), 3)},
            "speedup_service_vs_naive": round(naive_per_sim * len(chosen) / service_s, 2) if service_s else None,
        },
        "backtest": {
            "cold_s": round(backtest_cold_s, 4), "warm_s": round(backtest_warm_s, 4), "goal_s": GOAL_BACKTEST_S,
            "meets_goal": backtest_cold_s <= GOAL_BACKTEST_S, "trades_changed": changed,
            "difference": report["difference"],
            "baseline_naive_queries_per_trade": {"sample": len(history), "per_trade_ms": round(naive_per_trade * 1000, 3),
                                                 "scaled_s": round(naive_per_trade * report["tradeCount"], 3)},
        },
        "machine": {**machine_info(), "load_before": load_before, "load": os.getloadavg()},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trades", type=int, default=10000)
    parser.add_argument("--symbols", type=int, default=5)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--sims", type=int, default=1000)
    parser.add_argument("--baseline-sample", type=int, default=200)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    args = parser.parse_args(argv)
    db_name = f"bench_sim_{os.getpid()}"
    database_create(args.pg_url, db_name)
    try:
        os.environ.update({"DJANGO_SETTINGS_MODULE": "twin.settings.base", "DATABASE_URL": f"{args.pg_url}/{db_name}",
                           "REDIS_URL": args.redis_url, "CACHE_KEY_PREFIX": f"bench-sim-{os.getpid()}",
                           "LOG_LEVEL": "WARNING", "RATELIMIT_ENABLE": "0", "OUTBOX_RELAY_EMBEDDED": "0",
                           "CELERY_TASK_ALWAYS_EAGER": "1"})
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        result = run(trades=args.trades, symbols=args.symbols, days=args.days, sims=args.sims,
                     baseline_sample=args.baseline_sample)
    finally:
        database_drop(args.pg_url, db_name)
    print_json(result)
    return result


if __name__ == "__main__":
    main()
