"""End to end: stub exchange → import → stored → tagged → `coach.reflect` on a connected WebSocket.

    .venv/bin/python -m benchmarks.e2e_import_score [--sizes 1000,10000] [--worker] [--exchange-latency-ms 0]
                                                    [--pg-url postgres://postgres@127.0.0.1:5432]

Topology on loopback: a throwaway PostgreSQL database, a private redis-server (cache, channel layer, Celery
broker), the stub exchange (Coinbase wire format, candles included), one `daphne twin.asgi:application`
and one `manage.py relay_outbox`. One user per size connects its socket first, then the import starts.

Import and scoring run either in this process (default: Celery eager — the import job, every page commit
and each scoring run execute synchronously, so the wall time is pure work) or, with `--worker`,
on a real `celery -A twin worker -Q import,score` child (the import is enqueued; time includes the queue).

Measured per size, from the start of the import:
  stored_s   the import job is done (all trades committed)
  tagged_s   every imported trade carries ≥ 1 BiasTag
  pushed_s   the socket has received one `coach.reflect` per imported trade (null if frames were dropped)
  caught_up_s  when frames were dropped on the way: the socket's ones plus a replay of GET /api/events
               cover every trade (what a client does after a gap)
Baselines in the same run: the engine alone over the same trades and candles (no database), and a single
outbox event's commit → socket time. Goals: 1,000 trades ≤ 2 s and 10,000 ≤ 15 s (spec: 60 s and
200 ms per trade). Prints one JSON document.
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
from pathlib import Path

from benchmarks.common import database_create, database_drop, machine_info, print_json
from benchmarks.ws_latency import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
GOALS_S = {1000: 2.0, 10000: 15.0}


class Socket:
    """One /ws/coach client that records when each coach.reflect (by tradeId) arrives."""

    def __init__(self):
        self.reflect_at: dict[str, float] = {}
        self.other_at: dict[str, float] = {}
        self.frame_types: dict[str, int] = {}
        self.closed: str | None = None
        self.lock = threading.Lock()
        self.ws = None
        self.reader = None

    async def open(self, url: str, cookie: str, origin: str) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(url, additional_headers={"Cookie": cookie}, origin=origin, open_timeout=30,
                                max_queue=None, max_size=None, ping_interval=None)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                with self.lock:
                    kind = str(frame.get("type"))
                    self.frame_types[kind] = self.frame_types.get(kind, 0) + 1
                    if frame.get("type") == "coach.reflect":
                        self.reflect_at.setdefault(frame["payload"]["tradeId"], now)
                    elif frame.get("eventId"):
                        self.other_at.setdefault(frame["eventId"], now)
        except Exception as exc:
            self.closed = repr(exc)
            return
        self.closed = f"closed {self.ws.close_code}"

    def reflect_count(self) -> int:
        with self.lock:
            return len(self.reflect_at)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def make_user(email: str) -> tuple[object, str]:
    from django.conf import settings
    from django.test import Client

    from apps.accounts.models import User
    from apps.brokers.services import connection_link_stub

    user = User.objects.create_user(email, "bench-password-0123456789")
    connection_link_stub(user=user, broker="coinbase")
    client = Client()
    client.force_login(user)
    return user, f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def import_start(user) -> str:
    from django.db import connection

    from apps.trades.imports import import_job_start

    try:
        return import_job_start(user=user, broker="coinbase").id
    finally:
        connection.close()


def job_state(user_id: str) -> tuple[str, int, str]:
    from django.db import connection

    from apps.trades.models import ImportJob

    try:
        job = ImportJob.objects.filter(user_id=user_id).order_by("-created_at").first()
        return (job.status, job.inserted, job.error) if job else ("", 0, "")
    finally:
        connection.close()


def tagged_count(user_id: str) -> tuple[int, int]:
    """(trades, trades with at least one tag) of the user."""
    from django.db import connection
    from django.db.models import Exists, OuterRef

    from apps.bias.models import BiasTag
    from apps.trades.models import Trade

    try:
        trades = Trade.objects.filter(user_id=user_id)
        untagged = trades.exclude(Exists(BiasTag.objects.filter(trade=OuterRef("pk")))).count()
        total = trades.count()
        return total, total - untagged
    finally:
        connection.close()


def replayed_reflects(base: str, cookie: str) -> set[str]:
    """Every coach.reflect the user can replay from GET /api/events (what a client does after a gap)."""
    import httpx

    trade_ids: set[str] = set()
    since = None
    with httpx.Client(base_url=base, headers={"Cookie": cookie}, timeout=30) as client:
        while True:
            params = {"limit": "500", **({"since": since} if since else {})}
            body = client.get("/api/events", params=params).raise_for_status().json()
            trade_ids.update(e["payload"]["tradeId"] for e in body["results"] if e["type"] == "coach.reflect")
            since = body["nextCursor"]
            if not since:
                return trade_ids


def engine_baseline(user_id: str) -> dict:
    """The engine alone over the same trades and the same stored candles (no database writes)."""
    from apps.bias import engine
    from apps.bias.selectors import trade_series_for_user
    from apps.bias.services.payloads import candle_window, stored_candles
    from apps.trades.models import Trade

    ids = list(Trade.objects.filter(user_id=user_id).values_list("id", flat=True))
    series = trade_series_for_user(user_id=user_id, trade_ids=ids)
    first = min(rows[0]["ts"] for rows in series.by_symbol.values())
    last = max(rows[-1]["ts"] for rows in series.by_symbol.values())
    start, end = candle_window(first, last)
    frames = {s: stored_candles(symbol=s, start=start, end=end) for s in series.by_symbol}
    inputs = [engine.TradeInput(id=r["id"], symbol=r["symbol"], side=r["side"], qty=r["qty"], price=r["price"],
                                fee=r["fee"], ts=r["ts"]) for rows in series.by_symbol.values() for r in rows]
    started = time.perf_counter()
    result = engine.score_trades(trades=inputs, candles=frames, target_ids=set(ids))
    seconds = time.perf_counter() - started
    return {"trades": len(inputs), "tags": len(result.tags), "seconds": round(seconds, 4),
            "trades_per_s": round(len(inputs) / seconds, 1) if seconds else None}


def single_event_ms(user, sock: Socket) -> float:
    from django.db import transaction

    from apps.events.services import event_append

    with transaction.atomic():
        event = event_append(user=user, type="bench.ping", payload={})
    committed = time.perf_counter()
    deadline = committed + 10
    while time.perf_counter() < deadline:
        with sock.lock:
            if event.id in sock.other_at:
                return round((sock.other_at[event.id] - committed) * 1000, 2)
        time.sleep(0.002)
    return float("nan")


async def run_size(size: int, *, web_port: int, stub, use_worker: bool) -> dict:
    from asgiref.sync import sync_to_async

    stub.state.set_trade_count(size)
    stub.state.coinbase_fills()  # the stub builds its market and fills now: a real exchange has them already
    user, cookie = await sync_to_async(make_user)(f"bench-e2e-{size}@example.com")
    sock = Socket()
    await sock.open(f"ws://127.0.0.1:{web_port}/ws/coach", cookie, f"http://127.0.0.1:{web_port}")
    await asyncio.sleep(0.5)
    baseline_event_ms = await asyncio.to_thread(single_event_ms, user, sock)

    started = time.perf_counter()
    starting = asyncio.create_task(asyncio.to_thread(import_start, user))  # eager: runs the whole import
    stored_s = tagged_s = pushed_s = None
    inserted = 0
    status, error = "", ""
    deadline = started + 600
    last_count, last_change = -1, time.perf_counter()
    while time.perf_counter() < deadline:
        now = time.perf_counter() - started
        if stored_s is None:
            status, inserted, error = await asyncio.to_thread(job_state, str(user.pk))
            if status in ("failed", "parked"):
                break
            if status == "done":
                stored_s = now
        if stored_s is not None and tagged_s is None:
            trades, tagged = await asyncio.to_thread(tagged_count, str(user.pk))
            if tagged >= trades:
                tagged_s = time.perf_counter() - started
        count = sock.reflect_count()
        if count != last_count:
            last_count, last_change = count, time.perf_counter()
        if stored_s is not None and count >= inserted:
            pushed_s = max(sock.reflect_at.values()) - started
            if tagged_s is not None:
                break
        if tagged_s is not None and time.perf_counter() - max(last_change, started + tagged_s) > 10:
            break  # the socket stopped short: frames were dropped on the way
        await asyncio.sleep(0.1)
    await starting
    caught_up_s = pushed_s
    replayed = None
    if pushed_s is None and tagged_s is not None:
        replayed = await asyncio.to_thread(replayed_reflects, f"http://127.0.0.1:{web_port}", cookie)
        if len(replayed | set(sock.reflect_at)) >= inserted:
            caught_up_s = time.perf_counter() - started
    trades, tagged = await asyncio.to_thread(tagged_count, str(user.pk))
    engine_only = await asyncio.to_thread(_closing(engine_baseline), str(user.pk))
    await sock.close()
    goal = GOALS_S.get(size)
    return {
        "trades_requested": size,
        "import_status": status,
        "import_error": error or None,
        "trades_stored": trades,
        "trades_tagged": tagged,
        "coach_reflect_received": sock.reflect_count(),
        "socket_frames": dict(sock.frame_types),
        "socket_closed": sock.closed,
        "stored_s": _round(stored_s),
        "tagged_s": _round(tagged_s),
        "pushed_s": _round(pushed_s),
        "replayed_from_api_events": None if replayed is None else len(replayed),
        "caught_up_s": _round(caught_up_s),
        "goal_s": goal,
        "meets_goal": bool(caught_up_s is not None and tagged_s is not None and goal is not None
                           and max(caught_up_s, tagged_s) <= goal),
        "baseline": {"engine_only": engine_only, "single_event_commit_to_socket_ms": baseline_event_ms},
    }


def _closing(fn):
    def run(*args):
        from django.db import connection

        try:
            return fn(*args)
        finally:
            connection.close()

    return run


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated trade counts")
    parser.add_argument("--worker", action="store_true", help="run import and scoring on a Celery worker child")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--exchange-latency-ms", type=float, default=0.0,
                        help="delay the stub exchange adds to every answer (a real exchange is ~50-300 ms away)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]


    db_name = f"bench_e2e_{os.getpid()}"
    redis_port, web_port = free_port(), free_port()
    database_create(args.pg_url, db_name)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "twin.settings.base", "DATABASE_URL": f"{args.pg_url}/{db_name}",
           "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
           "CACHE_KEY_PREFIX": "bench", "LOG_LEVEL": "WARNING", "RATELIMIT_ENABLE": "0",
           "OUTBOX_RELAY_EMBEDDED": "0", "CELERY_TASK_ALWAYS_EAGER": "0" if args.worker else "1"}
    processes: list[subprocess.Popen] = []
    stub = None
    try:
        redis = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(redis_port),
                                  "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(redis)
        wait_for_port(redis_port, redis)

        from apps.brokers.stub import StubExchange, StubState

        stub = StubExchange(state=StubState(latency=args.exchange_latency_ms / 1000)).start()
        env.update({name: str(value) for name, value in stub.settings_overrides().items()})
        os.environ.update(env)

        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        web = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(web_port),
                                "twin.asgi:application"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(web)
        relay = subprocess.Popen([sys.executable, "manage.py", "relay_outbox"], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(relay)
        if args.worker:
            worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "twin", "worker", "-Q", "import,score",
                                       "-c", "1", "--loglevel", "WARNING", "--without-heartbeat",
                                       "--without-gossip", "--without-mingle"], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes.append(worker)
        wait_for_port(web_port, web)
        results = [asyncio.run(run_size(size, web_port=web_port, stub=stub, use_worker=args.worker))
                   for size in sizes]
    finally:
        if stub is not None:
            stub.stop()
        for process in reversed(processes):
            stop(process)
        database_drop(args.pg_url, db_name)
    print_json({
        "benchmark": "e2e_import_score",
        "mode": ("celery worker child (-Q import,score, concurrency 1)" if args.worker
                 else "import and scoring services in-process (Celery eager); daphne + relay + Redis children"),
        "machine": machine_info(),
        "exchange_latency_ms": args.exchange_latency_ms,
        "results": results,
        "goals_s": GOALS_S,
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
