"""Pre-trade intent POST → gate decision on the WebSocket, with the production topology on loopback.

    .venv/bin/python -m benchmarks.gate_latency [--intents 500] [--rate 10] [--pg-url postgres://postgres@127.0.0.1:5432]

Creates a throwaway PostgreSQL database, starts a private redis-server, one daphne (`twin.asgi:application`),
one `manage.py relay_outbox` and a Celery worker on the `gate` queue (prefork, `--worker-concurrency`, default 1), stores 120 hours of hourly
candles for the market (the gate judges stored candles: `GATE_FETCH_CANDLES=0`, no exchange), gives the user
rules and a history of exits, opens the user's socket, then POSTs intents over HTTP at a steady rate. Latency
is measured from just before each POST is sent to the `pretrade.decision.returned` frame for that intent.
The baseline, measured in the same run on the same socket, is an outbox event committed directly
(commit → relay → socket: the delivery path alone). Prints one JSON document.
Goal: p50 ≤ 100 ms and p99 ≤ 300 ms over 500 intents.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from benchmarks.common import database_create, database_drop, machine_info, percentile, print_json
from benchmarks.ws_latency import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
GOAL = {"p50_ms": 100.0, "p99_ms": 300.0}
SYMBOL = "BTC-USD"


def stats(values: list[float], *, expected: int) -> dict:
    return {"count": len(values), "lost": expected - len(values),
            "p50_ms": round(percentile(values, 50) or 0, 2), "p95_ms": round(percentile(values, 95) or 0, 2),
            "p99_ms": round(percentile(values, 99) or 0, 2), "max_ms": round(max(values, default=0), 2)}


def seed() -> tuple[str, str, str]:
    """A user with rules, exits and stored candles; -> (user id, session cookie, csrf token)."""
    import math

    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.bias.models import TradePosition
    from apps.bias.services import rule_upsert
    from apps.brokers.models import Candle
    from apps.trades.models import Trade

    user = User.objects.create_user("gate-bench@example.com", "bench-password-123!")
    rule_upsert(user=user, kind="maxTradesPerDay", params={"count": 1000})
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    Candle.objects.bulk_create([
        Candle(symbol=SYMBOL, granularity="1h", ts=now - timedelta(hours=h),
               open=Decimal(str(round(60000 + 500 * math.sin(h / 7), 2))),
               high=Decimal(str(round(60300 + 500 * math.sin(h / 7), 2))),
               low=Decimal(str(round(59700 + 500 * math.sin(h / 7), 2))),
               close=Decimal(str(round(60050 + 500 * math.sin(h / 6), 2))), volume=Decimal("12.5"))
        for h in range(1, 121)])
    for i in range(20):
        trade = Trade.objects.create(user=user, broker="coinbase", ext_id=f"b{i}", symbol=SYMBOL,
                                     side="SELL" if i % 2 else "BUY", qty=Decimal("0.1"), price=Decimal("60000"),
                                     ts=now - timedelta(hours=48 - i))
        if i % 2:
            TradePosition.objects.create(trade=trade, user=user, symbol=SYMBOL,
                                         realized_pnl=Decimal("12.5") if i % 3 else Decimal("-4"),
                                         held_hours=1.0, matched_qty=Decimal("0.1"), unmatched_qty=Decimal(0))
    client = Client()
    client.force_login(user)
    return str(user.pk), client.cookies[settings.SESSION_COOKIE_NAME].value, _get_new_csrf_string()


def intent(index: int) -> dict:
    return {"symbol": SYMBOL, "direction": "long" if index % 2 else "short", "timeframe": "4h",
            "size": {"qty": "0.05"}, "plan": {"entry": "60000", "stop": "59000" if index % 2 else "61000",
                                               "target": "63000" if index % 2 else "57000",
                                               "thesis": f"Benchmark plan {index}."},
            "risk": {"riskPct": 1}, "context": {"capital": "20000"}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--intents", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="intents POSTed per second")
    parser.add_argument("--worker-concurrency", type=int, default=1, help="gate worker processes (prefork)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()
    db_name = f"bench_gate_latency_{os.getpid()}"
    redis_port, web_port = free_port(), free_port()
    database_create(args.pg_url, db_name)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "twin.settings.base", "DATABASE_URL": f"{args.pg_url}/{db_name}",
           "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
           "CACHE_KEY_PREFIX": "bench", "LOG_LEVEL": "WARNING", "RATELIMIT_ENABLE": "0", "GATE_FETCH_CANDLES": "0"}
    os.environ.update(env)
    processes: list[subprocess.Popen] = []
    try:
        redis = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(redis_port),
                                  "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(redis)
        wait_for_port(redis_port, redis)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        user_id, session, csrf = seed()
        web = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(web_port),
                                "twin.asgi:application"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(web)
        processes.append(subprocess.Popen([sys.executable, "manage.py", "relay_outbox"], cwd=ROOT, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "twin", "worker", "-Q", "gate", "--pool", "prefork", "--concurrency", str(args.worker_concurrency),
                                   "--without-gossip", "--without-mingle", "--loglevel", "WARNING"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        processes.append(worker)
        wait_for_port(web_port, web)
        result = asyncio.run(run(args, web_port, user_id, session, csrf))
    finally:
        for process in reversed(processes):
            stop(process)
        database_drop(args.pg_url, db_name)
    print_json(result)
    return 0


async def run(args, port: int, user_id: str, session: str, csrf: str) -> dict:
    import httpx
    from asgiref.sync import sync_to_async
    from django.conf import settings
    from websockets.asyncio.client import connect

    arrivals: dict[str, float] = {}
    decisions: dict[str, str] = {}
    lock = threading.Lock()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    ws = await connect(f"ws://127.0.0.1:{port}/ws/coach", additional_headers={"Cookie": cookie},
                       origin=f"http://127.0.0.1:{port}", open_timeout=30, max_queue=None)

    async def read() -> None:
        async for raw in ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            key = None
            if frame.get("type") == "pretrade.decision.returned":
                key = frame["payload"]["intentId"]
                decisions[key] = frame["payload"]["decision"]
            elif frame.get("type") == "bench.tick":
                key = frame["payload"]["key"]
            if key:
                with lock:
                    arrivals[key] = now

    reader = asyncio.create_task(read())
    headers = {"Cookie": cookie, "X-CSRFToken": csrf, "Origin": f"http://127.0.0.1:{port}",
               "Referer": f"http://127.0.0.1:{port}/intents/new", "Content-Type": "application/json"}
    sent: dict[str, float] = {}
    answered: list[float] = []
    errors: list[str] = []
    interval = 1.0 / args.rate
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        for warm in range(5):  # first requests load code paths in the web and worker processes
            await http.post("/api/pretrade-intents", headers=headers, content=json.dumps(intent(warm)))
        await asyncio.sleep(2)
        t0 = time.perf_counter()
        for index in range(args.intents):
            start = time.perf_counter()
            response = await http.post("/api/pretrade-intents", headers=headers, content=json.dumps(intent(index)))
            answered.append((time.perf_counter() - start) * 1000)
            if response.status_code != 202:
                errors.append(f"{response.status_code} {response.text[:200]}")
            else:
                sent[response.json()["intentId"]] = start
            delay = t0 + (index + 1) * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await asyncio.sleep(3)
    # baseline: an outbox event committed directly, same relay and socket
    commits: dict[str, float] = {}

    def append_baseline() -> None:
        from django.db import connection, transaction

        from apps.accounts.models import User
        from apps.events.services import event_append

        user = User.objects.get(pk=user_id)
        for index in range(min(args.intents, 200)):
            key = f"base{index}"
            started = time.perf_counter()
            with transaction.atomic():
                event_append(user=user, type="bench.tick", payload={"key": key})
            commits[key] = started
            time.sleep(interval)
        connection.close()

    await sync_to_async(append_baseline, thread_sensitive=False)()
    await asyncio.sleep(2)
    await ws.close()
    reader.cancel()
    latencies = [(arrivals[k] - s) * 1000 for k, s in sent.items() if k in arrivals]
    baseline = [(arrivals[k] - s) * 1000 for k, s in commits.items() if k in arrivals]
    decided = stats(latencies, expected=args.intents)
    counts: dict[str, int] = {}
    for key in sent:
        if key in decisions:
            counts[decisions[key]] = counts.get(decisions[key], 0) + 1
    return {
        "benchmark": "gate_latency",
        "machine": machine_info(),
        "config": {"intents": args.intents, "ratePerS": args.rate, "worker": f"celery -Q gate --pool prefork --concurrency {args.worker_concurrency}",
                   "candles": "stored (GATE_FETCH_CANDLES=0)", "webProcesses": 1, "relays": 1},
        "post_to_decision_on_socket": decided,
        "post_to_202": stats(answered, expected=args.intents),
        "baseline_commit_to_socket": stats(baseline, expected=len(commits)),
        "decisions": counts,
        "errors": errors[:5],
        "goal": GOAL,
        "meets_goal": decided["p50_ms"] <= GOAL["p50_ms"] and decided["p99_ms"] <= GOAL["p99_ms"] and decided["lost"] == 0,
    }


if __name__ == "__main__":
    sys.exit(main())
