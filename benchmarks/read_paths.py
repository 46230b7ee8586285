"""Read paths for the heaviest user, over HTTP against the production web command.

    .venv/bin/python -m benchmarks.read_paths [--trades 100000] [--days 365] [--clients 20] [--requests 400]
                                              [--processes 2] [--per-connection 5] [--scaling-trials 5]
                                              [--pg-url postgres://postgres@127.0.0.1:5432]

Builds a throwaway PostgreSQL database with one user owning `--trades` trades over `--days` days on five
markets (every other trade a sell closing the buy before it; each with a label carrying ~1 KB of evidence
and its FIFO position; hourly candles of the markets), then starts the production web command
(`gunicorn -c python:twin.gunicorn_conf twin.asgi:application`, production settings, `WEB_CONCURRENCY`
processes) and asks each endpoint `--requests` times from `--clients` concurrent keep-alive clients, each
opening a new connection every `--per-connection` requests (as browsers do between page views; see `load`):

    summary            GET /api/bias/summary                      (default window, 90 days)
    summary_365d       GET /api/bias/summary?since=<365 days ago>
    trades_first       GET /api/trades?limit=100
    trades_deep        GET /api/trades?limit=100&cursor=<500 pages in>
    bias_grid          GET /api/bias/trades
    chart              GET /api/trades/{id}/chart                 (over 50 trades)
    page_dashboard     GET /dashboard/
    page_trades        GET /trades/
    page_trade         GET /trades/{id}/                          (over 50 trades)

Per endpoint: p50/p95/p99 latency and requests per second. Then `scaling`: one mix of the endpoints under
the same load on a server with WEB_CONCURRENCY=1 and one with =`--processes`, both up at once and measured in
turns `--scaling-trials` times each, and the median of the trials' throughput ratios. Baselines in the same
run: the mix on one daphne process (the former production command), and the SQL of a page 500 pages deep
with the OR-expanded cursor against the row comparison. The load generator runs on the same machine: read
the figures with `machine.load`. Prints one JSON document. Goal: p95 ≤ 100 ms per endpoint; 2 processes
≥ 1.7× the throughput of one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from benchmarks.common import database_create, database_drop, machine_info, percentile, print_json
from benchmarks.ws_latency import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
BENCH_EMAIL = "bench-read-paths@example.com"
GOAL_P95_MS = 100.0
GOAL_SCALING = 1.7
MARKETS = (("BTC-USD", 60000), ("ETH-USD", 3000), ("SOL-USD", 150), ("BTC-EUR", 55000), ("ETH-EUR", 2800))
LABELS = ("FOMO", "PANIC", "DISCIPLINE", "REVENGE", "OVERTRADING", "NONE")
ENDPOINTS = (
    "summary",
    "summary_365d",
    "trades_first",
    "trades_deep",
    "bias_grid",
    "chart",
    "page_dashboard",
    "page_trades",
    "page_trade",
)
MIX = ("trades_first", "trades_deep", "bias_grid", "chart", "page_dashboard", "page_trades", "page_trade")
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "twin.settings.production",
    "DJANGO_SECRET_KEY": "bench-read-paths-secret-key-0123456789",
    "SESSION_HASH_PEPPER": "bench-pepper",
    "ENGINE_API_SECRET": "bench-engine",
    "TOKEN_KEKS": "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "SECURE_SSL_REDIRECT": "0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
    "RATELIMIT_ENABLE": "0",
    "OUTBOX_RELAY_EMBEDDED": "0",
    "JOBS_IN_PROCESS": "0",
}


def build(*, trades: int, days: int, now: datetime):
    """The user, trades, labels (with evidence), positions and candles, in bulk. Returns the user."""
    from apps.accounts.models import User
    from apps.bias.models import BiasTag, TradePosition
    from apps.brokers.models import Candle
    from apps.trades.models import Trade

    rng = random.Random(20)
    user = User.objects.create_user(BENCH_EMAIL, "bench-password-123")
    start = now - timedelta(days=days)
    span = days * 24 * 3600
    evidence = {
        "inputs": {f"f{k}": round(rng.random(), 6) for k in range(40)},
        "thresholds": {"rsi": 70},
        "fired": ["pct_change_24h_before", "rsi_14"],
        "explain": "x" * 300,
    }
    for first in range(0, trades, 10_000):
        rows, tags, positions = [], [], []
        for n in range(first, min(trades, first + 10_000)):
            symbol, base_price = MARKETS[(n // 2) % len(MARKETS)]
            side = "BUY" if n % 2 == 0 else "SELL"
            quote = symbol.split("-")[1]
            price = Decimal(base_price) * (1 + Decimal(rng.randint(-300, 300)) / 10000)
            trade = Trade(
                id=f"t{n:07d}",
                user=user,
                broker="coinbase" if n % 3 else "binance",
                ext_id=str(n),
                symbol=symbol,
                side=side,
                qty=Decimal("0.01"),
                price=price.quantize(Decimal("0.01")),
                fee=Decimal("0.05"),
                fee_asset=quote,
                quote_asset=quote,
                ts=start + timedelta(seconds=span * n // trades),
            )
            rows.append(trade)
            tags.append(
                BiasTag(
                    trade=trade,
                    label=LABELS[rng.randrange(len(LABELS))],
                    confidence=Decimal("0.7"),
                    features=evidence,
                    engine_version="bench",
                )
            )
            pnl = None if side == "BUY" else Decimal(rng.randint(-2000, 2100)) / 100
            positions.append(
                TradePosition(
                    trade=trade,
                    user=user,
                    symbol=symbol,
                    realized_pnl=pnl,
                    held_hours=None if side == "BUY" else span / trades / 3600,
                    matched_qty=Decimal("0.01") if side == "SELL" else 0,
                )
            )
        Trade.objects.bulk_create(rows, batch_size=5000)
        BiasTag.objects.bulk_create(tags, batch_size=5000)
        TradePosition.objects.bulk_create(positions, batch_size=5000)
    candles = []
    hour0 = start.replace(minute=0, second=0, microsecond=0)
    for symbol, base_price in MARKETS:
        level = float(base_price)
        for hour in range(days * 24 + 48):
            level *= 1 + rng.uniform(-0.004, 0.004)
            close = Decimal(str(round(level, 6)))
            candles.append(
                Candle(
                    symbol=symbol,
                    granularity="1h",
                    ts=hour0 + timedelta(hours=hour),
                    open=close,
                    high=close * Decimal("1.003"),
                    low=close * Decimal("0.997"),
                    close=close,
                    volume=Decimal(1),
                )
            )
    Candle.objects.bulk_create(candles, batch_size=5000)
    return user


def rollups_refresh(user) -> str:
    """Rebuild the user's daily label rollups (what `/api/bias/summary` reads) from the seeded rows, as a
    scoring run does in its transaction."""
    from django.db import transaction

    from apps.bias.services.rollups import label_days_rebuild

    with transaction.atomic():
        rows = label_days_rebuild(user_id=str(user.pk))
    return f"label_days_rebuild: {rows} rows"


def paths(user, *, now: datetime, deep_pages: int) -> dict[str, list[str]]:
    from apps.core.pagination import cursor_encode
    from apps.trades.models import Trade

    trades = Trade.objects.filter(user=user).order_by("ts", "id")
    deep = trades.values_list("ts", "id")[100 * deep_pages - 1]
    picks = list(trades.values_list("id", flat=True)[:: max(1, trades.count() // 50)][:50])
    since = (now - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "summary": ["/api/bias/summary"],
        "summary_365d": [f"/api/bias/summary?since={since}"],
        "trades_first": ["/api/trades?limit=100"],
        "trades_deep": [f"/api/trades?limit=100&cursor={cursor_encode([deep[0].isoformat(), deep[1], 'a'])}"],
        "bias_grid": ["/api/bias/trades"],
        "chart": [f"/api/trades/{trade_id}/chart" for trade_id in picks],
        "page_dashboard": ["/dashboard/"],
        "page_trades": ["/trades/"],
        "page_trade": [f"/trades/{trade_id}/" for trade_id in picks],
    }


def session_cookie(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def _get(reader, writer, request: bytes) -> int:
    """One GET on a keep-alive connection: send, read the head, then exactly the body. Returns the status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at >= 0:
        await reader.readexactly(int(lowered[at + 17: lowered.index(b"\r\n", at + 2)]))
    elif b"\r\ntransfer-encoding: chunked" in lowered:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def load(base_url: str, cookie: str, urls: list[str], *, requests: int, clients: int,
               per_connection: int = 0) -> dict:
    """`requests` GETs from `clients` concurrent keep-alive clients; latency of each, and the rate.

    Each client opens a new connection after `per_connection` requests (0: one connection for the whole run),
    as browsers do between page views. The server's processes share one listening socket and whichever is
    first takes the connections waiting: 20 connections opened at once were split anywhere from 10/10 to
    2/18 between two processes, and kept for the whole run that lottery decided the figures (one process
    doing nine tenths of the work). Connections opened over the run go more to the process that is free.

    The client is as light as it can be (one process, one event loop, HTTP/1.1 written and read by hand: about
    a tenth of a millisecond of CPU a request), so that it takes little of the cores the server is measured on."""
    host, port = base_url.removeprefix("http://").split(":")
    requests_bytes = [f"GET {url} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n".encode() for url in urls]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    opened = [0]
    writers = set()

    async def connect():
        reader, writer = await asyncio.open_connection(host, int(port))
        opened[0] += 1
        writers.add(writer)
        return reader, writer

    async def phase(count: int) -> float:
        numbers = iter(range(count))

        async def one_client():
            reader, writer = await connect()
            served = 0
            for n in numbers:
                if per_connection and served == per_connection:
                    writer.close()
                    writers.discard(writer)
                    reader, writer = await connect()
                    served = 0
                started = time.perf_counter()
                status = await _get(reader, writer, requests_bytes[n % len(requests_bytes)])
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                served += 1
            writer.close()
            writers.discard(writer)

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        return time.perf_counter() - started

    try:
        await phase(2 * clients)  # warm: connections, first plans, caches
        latencies.clear()
        statuses.clear()
        opened[0] = 0
        client_cpu = time.process_time()
        elapsed = await phase(requests)
        client_cpu = time.process_time() - client_cpu
    finally:
        for writer in writers:
            writer.close()
    p95 = percentile(latencies, 95)
    return {
        "requests": len(latencies),
        "connections": opened[0],
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / max(1, len(latencies)), 3),
        "meets_goal": p95 <= GOAL_P95_MS and set(statuses) == {200},
    }


def measured(server, cookie: str, urls: list[str], *, requests: int, clients: int, per_connection: int) -> dict:
    """`load` with the server processes' CPU time per request (from /proc) beside it."""
    cpu_before = server.cpu_seconds()
    result = _run(load(server.url, cookie, urls, requests=requests, clients=clients, per_connection=per_connection))
    cpu = server.cpu_seconds() - cpu_before
    # the warm-up phase (2 × clients requests) is inside the server's CPU window
    result["server_cpu_ms_per_request"] = round(cpu * 1000 / (result["requests"] + 2 * clients), 2)
    return result


def _run(coroutine):
    try:
        import uvloop

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


class Server:
    """The production web command (or daphne, for the baseline) on a free loopback port."""

    def __init__(self, env: dict, *, processes: int, daphne: bool = False):
        self.port = free_port()
        self.processes, self.daphne = processes, daphne
        if daphne:
            command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "twin.asgi:application"]
        else:
            command = [sys.executable, "-m", "gunicorn", "-c", "python:twin.gunicorn_conf", "twin.asgi:application"]
        env = {**env, "WEB_CONCURRENCY": str(processes), "WEB_BIND": f"127.0.0.1:{self.port}"}
        self.log = tempfile.NamedTemporaryFile(prefix="read-paths-server-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        wait_for_port(self.port, self.process)
        deadline = time.monotonic() + 240  # every worker has booted (slow on a loaded machine)
        while self.booted() < self.processes:
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.__exit__(RuntimeError, None, None)
                raise RuntimeError(f"the web server did not start {self.processes} processes")
            time.sleep(0.2)
        return self

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and its worker processes so far (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        pids = [self.process.pid]
        try:
            pids += [int(p) for p in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()]
        except OSError:
            pass
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def booted(self) -> int:
        if self.daphne:
            return self.processes
        return Path(self.log.name).read_text(errors="replace").count("Started server process")

    def __exit__(self, exc_type, *exc):
        self.process.terminate()  # gunicorn stops its workers, then itself (graceful_timeout)
        try:
            self.process.wait(40)
        except subprocess.TimeoutExpired:
            stop(self.process)
        self.log.close()
        if exc_type is not None:  # what the server said, for the failure
            sys.stderr.write(Path(self.log.name).read_text()[-5000:])
        os.unlink(self.log.name)


def _database_exists(pg_url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def cursor_sql_baseline(user, *, row: int) -> dict:
    """Execution time of the deep page: the OR-expanded cursor against the row comparison (SQL only)."""
    from django.db import connection
    from django.db.models import Q

    from apps.core.pagination import keyset_after
    from apps.trades.models import Trade

    ts, last_id = Trade.objects.filter(user=user).order_by("ts", "id").values_list("ts", "id")[row]
    forms = {
        "or_expanded": Q(ts__gt=ts) | Q(ts=ts, id__gt=last_id),
        "row_comparison": keyset_after(("ts", "id"), (ts, last_id)),
    }
    out = {}
    for name, condition in forms.items():
        query = Trade.objects.filter(user=user).filter(condition).order_by("ts", "id")[:101]
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            out[f"{name}_ms"] = round(cursor.fetchone()[0][0]["Execution Time"], 3)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400, help="per endpoint, and 2× that for each mix run")
    parser.add_argument("--deep-pages", type=int, default=500, help="how deep trades_deep reads (pages of 100)")
    parser.add_argument("--processes", type=int, default=2, help="WEB_CONCURRENCY of the main run")
    parser.add_argument("--per-connection", type=int, default=5, help="requests a client sends on one connection "
                        "before it opens another (0: one connection per client for the whole run)")
    parser.add_argument("--scaling-trials", type=int, default=5, help="mix runs on each of the two servers, "
                        "taken in turns; the ratio is the median of the trials'")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--keep-db", metavar="NAME", help="seed into (or reuse the user already seeded in) this "
                        "database and keep it, for repeated runs; --trades/--days apply when it is seeded")
    parser.add_argument("--no-daphne", action="store_true", help="skip the one-daphne-process baseline")
    args = parser.parse_args(argv)
    if args.trades < 100 * args.deep_pages + 100:
        parser.error("--trades must hold --deep-pages pages of 100 and one more")
    db_name = args.keep_db or f"bench_read_paths_{os.getpid()}"
    reuse = bool(args.keep_db) and _database_exists(args.pg_url, db_name)
    env = {
        **os.environ,
        **SERVER_ENV,
        "DATABASE_URL": f"{args.pg_url}/{db_name}" if reuse else database_create(args.pg_url, db_name),
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": f"bench-read-paths-{os.getpid()}",
    }
    static_root = tempfile.mkdtemp(prefix="read-paths-static-")
    env["STATIC_ROOT"] = static_root  # the production settings serve the collected, hashed files
    os.environ.update(env)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        now = datetime.now(UTC)
        started = time.perf_counter()
        from apps.accounts.models import User

        user = User.objects.filter(email=BENCH_EMAIL).first() if reuse else None
        if user is None:
            user = build(trades=args.trades, days=args.days, now=now)
            rollups = rollups_refresh(user)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        else:
            rollups = f"reused database {db_name}"
        setup_s = time.perf_counter() - started
        urls, cookie = paths(user, now=now, deep_pages=args.deep_pages), session_cookie(user)
        baseline_sql = cursor_sql_baseline(user, row=100 * args.deep_pages - 1)
        connection.close()
        mix = [url for name in MIX for url in urls[name][:5]]

        def warm(server) -> None:
            """Every process: imports, templates, the connection pool, and each URL's first answer."""
            every_url = [url for name in ENDPOINTS for url in urls[name]]
            _run(load(server.url, cookie, every_url, requests=4 * len(every_url), clients=args.clients,
                      per_connection=args.per_connection))

        def measure(server, endpoint_urls: list[str], requests: int) -> dict:
            return measured(server, cookie, endpoint_urls, requests=requests, clients=args.clients,
                            per_connection=args.per_connection)

        with Server(env, processes=args.processes) as server:
            warm(server)
            endpoints = {name: measure(server, urls[name], args.requests) for name in ENDPOINTS}
        load_after_endpoints = os.getloadavg()
        # Scaling: both servers up at once and the mix run on each in turns (one, many; many, one; ...), so that
        # what else the machine does at a given minute falls on both alike; the ratio is the trials' median.
        trials = []
        with Server(env, processes=1) as one, Server(env, processes=args.processes) as many:
            warm(one)
            warm(many)
            for trial in range(args.scaling_trials):
                order = (one, many) if trial % 2 == 0 else (many, one)
                runs = {server: measure(server, mix, 2 * args.requests) for server in order}
                trials.append((runs[one], runs[many]))
        mix_daphne = None
        if not args.no_daphne:
            with Server(env, processes=1, daphne=True) as server:
                warm(server)
                mix_daphne = measure(server, mix, 2 * args.requests)
    finally:
        if not args.keep_db:
            database_drop(args.pg_url, db_name)
        shutil.rmtree(static_root, ignore_errors=True)
    ratios = [many["req_per_s"] / one["req_per_s"] for one, many in trials if one["req_per_s"]]
    ratio = statistics.median(ratios) if ratios else None
    mix_one, mix_main = (statistics.median_low(t[k]["req_per_s"] for t in trials) for k in (0, 1))
    result = {
        "benchmark": "read_paths",
        "trades": args.trades,
        "days": args.days,
        "deep_pages": args.deep_pages,
        "clients": args.clients,
        "processes": args.processes,
        "setup_s": round(setup_s, 1),
        "rollups": rollups,
        "goal": {"p95_ms": GOAL_P95_MS, "scaling": GOAL_SCALING},
        "endpoints": endpoints,
        "all_meet_goal": all(e["meets_goal"] for e in endpoints.values()),
        "scaling": {
            "mix": list(MIX),
            "trials": [{"one_process": one, f"{args.processes}_processes": many,
                        "ratio": round(many["req_per_s"] / one["req_per_s"], 2) if one["req_per_s"] else None}
                       for one, many in trials],
            "median_req_per_s": {"one_process": mix_one, f"{args.processes}_processes": mix_main},
            "ratios": [round(r, 2) for r in ratios],
            "ratio": round(ratio, 2) if ratio else None,
            "meets_goal": bool(ratio and ratio >= GOAL_SCALING),
        },
        "baseline": {"daphne_one_process_mix": mix_daphne, "deep_cursor_sql": baseline_sql},
        "machine": {**machine_info(), "load_after_endpoints": load_after_endpoints, "load": os.getloadavg()},
    }
    print_json(result)
    return result


if __name__ == "__main__":
    main()
