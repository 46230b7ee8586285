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
  peak_rss_mb  the peak resident memory of the process that imported and labelled (this one when eager, the
               worker's child with --worker), so far in the run
  rescore      `manage.py rescore --user …` over the same user, in its own process: seconds, CPU seconds (the
               figure to compare on a shared machine) and peak RSS;
               `rescore_linearity` compares each size's time with the smallest size's (linear: time ratio
               ≤ size ratio)
Baselines in the same run: the engine alone over the same trades and candles (no database), and a single
outbox event's commit → socket time. Goals (issue 20): 10,000 trades stored → labelled → pushed ≤ 3 s
with a real worker; 100,000 labelled ≤ 30 s in ≤ 500 MB; rescore of 100,000 ≤ 30 s, ≤ 400 MB and ≤ 10× the
10,000 time. Prints one JSON document.

Where the time beyond the engine went (cProfile of a 10,000-trade import, Celery eager, issue 20): the
page commits took ~5 s (fetch 2.4, upsert 2.1); the one scoring run ~30 s under the profiler: the engine
11.3 s, the writes 13.8 s — the tags' `COPY` 7.3 s (their ~1.8 KB of evidence JSON each: 1.5 s to encode,
the rest on the server), the outbox events 2.6 s, the reflection look-up by 10,000 ids 0.9 s — composing
reflections 1.8 s, candles and sparklines ~1 s. `rescore` was superlinear: each 2,000-trade batch loaded
and walked the whole history again. Now one walk per run writes every 2,000 targets as they come (few
`COPY`s each), and rollups are rebuilt with two grouped queries in the same transaction.

Second pass (a 10,000-trade scoring run in-process, cProfile and per-statement timing, load ~9): deleting
old tags and looking up earlier reflections by 2,000-id lists cost ~1.8 s of the ORM building the lists;
by the chunk's time range the reflection look-up took the reflection's user index and ANDed every
reflection of the user per trade (5.6 s for 2,000 trades; by the trades' (user, ts) index 46 ms); JSON
encoding of evidence and payloads 2.3 s under the profiler (orjson now); the cyclic garbage collector's
full passes over the run's growing heap about a third of the engine's time and of copying rows for
`COPY` (paused for the run). Composing now happens before the write transaction. What is left, per
statement (wall, load ~9): the tags' `COPY` 1.6–2.1 s (mostly the server parsing ~18 MB of evidence
into jsonb), the events' 0.5 s, the reflections' 0.4 s, the positions' upsert 0.3 s, the label rollups
0.2 s; the engine walk ~1 s of client CPU; the listeners of scored trades (analytics, gate) ~1 s. The
scoring run's own client CPU went from ~3.0 s to ~2.1 s (the two trees run alternately on one database).

Third pass (in-process scoring runs over one 10,000-trade user, the old and new trees alternately on two
copies of one database, each with its own schema; CPU seconds of this process and of its PostgreSQL
backend read from /proc, since wall time on the shared machine, load 4-17, told nothing). The tags'
`COPY` spent ~0.45 s of backend CPU: lz4 was already on (pglz: ~0.75 s), jsonb parsing costs ~0.05 s over
text, and each of the seven indexes then on the table cost a B-tree insert per row — now two (key and
unique). With the reflections' and positions' redundant indexes gone too, a first scoring run's backend
CPU went from 1.85-1.96 s to 1.43-1.47 s and a re-score's from 1.34-1.50 s to 1.06-1.14 s; positions
are rewritten only where an outcome changed (a re-score's upsert 0.23-0.55 s, now 0.03 s), and the old
tags go by trade id (100,000 tags: 2.6-3.7 s, now 1.3 s, EXPLAIN ANALYZE rolled back). Memory of a
100,000-trade re-score (RSS at each step): a settled process 229 MB, now 191 (ccxt is imported on first
use); the history +83 MB, now +64 (one string per symbol, side and fee asset); the engine's preparation
+190 MB; composing peaked 50 MB higher with a 32 MB in-memory spool than with 8 MB; the listeners of
scored trades (the analytics read model rereads the whole history) +200 MB on top: the peak, ~620 MB.

Fourth pass (the same re-score, RSS at each step and tracemalloc, the two trees alternately on one seeded
database): the peak was 472-474 MB, while composing. The engine's preparation built every trade's row of
candle features at once (~50 MB of floats and lists): now 2,048 rows at a time as the walk reaches them
(after the preparation 452 -> 375 MB). Composing held two chunks' tags while making the next; now one.
The read model's rows of the whole history were all tuples in the query set's cache, a set of labels per
trade and five strings per row: now taken from the cursor as they come, one object per distinct text and
label set (106 -> 71 MB held, 152 -> 77 MB at most). Peak 394-397 MB, composing; the history (~64 MB),
the positions (~50 MB) and the engine's per-trade lists stay.

Fifth pass (timestamps in the worker at each step, a CPU sampler over every process, the frames' arrival
times at the socket; 10,000 trades, a host whose pipeline ran 3.4-4.9 s pushed). After the one write
transaction committed, the socket got the 10,000 reflections over another 0.8-1.3 s (the relay at ~10,000
events/s while the read model's refresh took a core beside it): new trades now commit 2,000 at a time (each
trade's tags, reflection and event together; see apps.bias.services.scoring), so delivery overlaps the
walk and the last frame arrives ~0.1 s after the last chunk's commit. The harness itself took CPU from the
pipeline it measures: a new database connection and a count of every untagged trade at each 0.1 s check
(~0.5 CPU-s of a 10,000-trade run, a full read of the tags at 100,000), and a full JSON decode of each
frame on the default asyncio loop. Progress is now read on one kept connection from the scoring runs' own
count (raised with each committed chunk), confirmed by an exact check; frames are read for their type and
tradeId only, on uvloop (as `ws_latency` does).
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import database_create, database_drop, json_string_after, machine_info, print_json
from benchmarks.ws_latency import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
GOALS_S = {1000: 2.0, 10000: 3.0, 100000: 30.0}
GOAL_RSS_MB = 500
RESCORE_GOALS = {"seconds_100k": 30.0, "rss_mb": 400, "ratio_10k_to_100k": 10.0}


def _frame_type_and_key(raw: str) -> tuple[str, str | None]:
    """A frame's type and its key — the tradeId of a `coach.reflect`, else the eventId — read without
    decoding the whole frame when the envelope is written as the server writes it (`{"type": "…",
    "eventId": "…", …}`, see `event_frame_text`): this process also plays the exchange and the socket
    client on the same 2 cores as the pipeline it measures, so it stays light. Anything else is decoded."""
    if raw.startswith('{"type": "'):
        kind = json_string_after(raw, '{"type": "')
        key = json_string_after(raw, '"tradeId": "') if kind == "coach.reflect" else json_string_after(raw, '"eventId": "')
        if kind is not None and key is not None:
            return kind, key
    frame = json.loads(raw)
    kind = str(frame.get("type"))
    payload = frame.get("payload") if isinstance(frame.get("payload"), dict) else {}
    return kind, payload.get("tradeId") if kind == "coach.reflect" else frame.get("eventId")


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
                kind, key = _frame_type_and_key(raw)
                with self.lock:
                    self.frame_types[kind] = self.frame_types.get(kind, 0) + 1
                    if kind == "coach.reflect":
                        self.reflect_at.setdefault(key, now)
                    elif key:
                        self.other_at.setdefault(key, now)
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


# The progress checks every 0.1 s run on one thread with one database connection, kept open between them: a
# new connection per check (a server process forked each time) and counting every untagged trade cost the
# 2-core machine ~0.5 CPU-s of a 10,000-trade run, taken from the pipeline being measured.
_POLL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-poll")


async def polled(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(_POLL, fn, *args)


def poll_connection_close() -> None:
    from django.db import connection

    connection.close()


def job_state(user_id: str) -> tuple[str, int, str]:
    from apps.trades.models import ImportJob

    job = ImportJob.objects.filter(user_id=user_id).order_by("-created_at").first()
    return (job.status, job.inserted, job.error) if job else ("", 0, "")


def _untagged(user_id: str):
    from django.db.models import Exists, OuterRef

    from apps.bias.models import BiasTag
    from apps.trades.models import Trade

    return Trade.objects.filter(user_id=user_id).exclude(Exists(BiasTag.objects.filter(trade=OuterRef("pk"))))


class AllTagged:
    """Whether every trade of the user carries a tag. The scoring runs' own count of the trades they labelled
    (one row per run, raised in each transaction that commits labels) says when to look; the look itself is
    exact (no trade without a tag). Before that count reaches `trades`, the exact look runs at most once a
    second: at 100,000 trades it reads every tag."""

    def __init__(self) -> None:
        self.looked_at = time.perf_counter()

    def __call__(self, user_id: str, trades: int) -> bool:
        from django.db.models import Sum

        from apps.bias.models import ScoringRun

        counted = ScoringRun.objects.filter(user_id=user_id).aggregate(n=Sum("trades_scored"))["n"] or 0
        now = time.perf_counter()
        if counted < trades and now - self.looked_at < 1.0:
            return False
        self.looked_at = now
        return not _untagged(user_id).exists()


def tagged_count(user_id: str) -> tuple[int, int]:
    """(trades, trades with at least one tag) of the user."""
    from apps.trades.models import Trade

    total = Trade.objects.filter(user_id=user_id).count()
    return total, total - _untagged(user_id).count()


def replayed_reflects(base: str, cookie: str) -> set[str]:
    """Every coach.reflect the user can replay from GET /api/events (what a client does after a gap)."""
    import httpx

    trade_ids: set[str] = set()
    since = None
    refusals = 0
    with httpx.Client(base_url=base, headers={"Cookie": cookie}, timeout=30) as client:
        while True:
            params = {"limit": "500", **({"since": since} if since else {})}
            response = client.get("/api/events", params=params)
            if response.status_code == 503 and refusals < 20:  # the database is busy: retry as a client would
                refusals += 1
                time.sleep(min(float(response.headers.get("Retry-After") or 1), 2.0))
                continue
            body = response.raise_for_status().json()
            trade_ids.update(e["payload"]["tradeId"] for e in body["results"] if e["type"] == "coach.reflect")
            since = body["nextCursor"]
            if not since:
                return trade_ids


def engine_baseline(user_id: str) -> dict:
    """The engine alone over the same trades and the same stored candles (no database writes)."""
    from apps.bias import engine
    from apps.bias.services.payloads import candle_window, stored_candles
    from apps.bias.services.scoring import history_load

    history = history_load(user_id=user_id, everything=True)
    inputs = history.trades
    start, end = candle_window(min(t.ts for t in inputs), max(t.ts for t in inputs))
    frames = {s: stored_candles(symbol=s, start=start, end=end) for s in {t.symbol for t in inputs}}
    started = time.perf_counter()
    result = engine.score_trades(trades=inputs, candles=frames, target_ids=history.targets)
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


def peak_rss_mb(pids: list[int]) -> float:
    """The highest peak resident set (VmHWM) among these processes and their children, in MB."""
    peak = 0
    for pid in pids:
        for task in [pid, *_children(pid)]:
            try:
                status = Path(f"/proc/{task}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return round(peak / 1024, 1)


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    out = [int(c) for c in found]
    for child in list(out):
        out += _children(child)
    return out


RESCORE_CHILD = """
import sys, django
django.setup()
from django.core.management import call_command
call_command("rescore", user=sys.argv[1])
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print("VmHWM_kB", peak[0] if peak else 0)
"""


def rescore(email: str, env: dict) -> dict:
    """`manage.py rescore --user email` in a process of its own: wall and CPU time (from wait4) and its own
    peak resident set (VmHWM, read by the process itself: a forked child's maximum RSS from wait4 would
    include this process's memory from before the exec)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", RESCORE_CHILD, email], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    peak = [int(line.split()[1]) for line in output.splitlines() if line.startswith("VmHWM_kB")]
    return {"seconds": round(time.perf_counter() - started, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "peak_rss_mb": round(peak[0] / 1024, 1) if peak else None, "exit_code": child.returncode}


async def run_size(size: int, *, web_port: int, stub, use_worker: bool, env: dict, worker_pids: list[int]) -> dict:
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
    all_tagged = AllTagged()
    inserted = 0
    status, error = "", ""
    deadline = started + 600
    last_count, last_change = -1, time.perf_counter()
    while time.perf_counter() < deadline:
        now = time.perf_counter() - started
        if stored_s is None:
            status, inserted, error = await polled(job_state, str(user.pk))
            if status in ("failed", "parked"):
                break
            if status == "done":
                stored_s = now
        if stored_s is not None and tagged_s is None:
            if await polled(all_tagged, str(user.pk), inserted):
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
    trades, tagged = await polled(tagged_count, str(user.pk))
    await polled(poll_connection_close)
    if use_worker:
        work_rss = peak_rss_mb(worker_pids)
    else:
        import resource

        work_rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    engine_only = await asyncio.to_thread(_closing(engine_baseline), str(user.pk))
    await sock.close()
    rescored = await asyncio.to_thread(rescore, user.email, env) if rescore_wanted(env) else None
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
        "peak_rss_mb": work_rss,
        "meets_rss_goal": work_rss <= GOAL_RSS_MB,
        "rescore": rescored,
        "baseline": {"engine_only": engine_only, "single_event_commit_to_socket_ms": baseline_event_ms},
    }


def rescore_wanted(env: dict) -> bool:
    return env.get("BENCH_RESCORE", "1") == "1"


def rescore_linearity(results: list[dict]) -> dict | None:
    """Each size's rescore time over the smallest size's, beside the ratio of their sizes."""
    timed = [r for r in results if r.get("rescore")]
    if len(timed) < 2:
        return None
    base = timed[0]
    out = {}
    for r in timed[1:]:
        size_ratio = r["trades_stored"] / base["trades_stored"]
        time_ratio = r["rescore"]["seconds"] / base["rescore"]["seconds"]
        cpu_ratio = r["rescore"]["cpu_s"] / base["rescore"]["cpu_s"]
        out[f"{base['trades_requested']}->{r['trades_requested']}"] = {
            "size_ratio": round(size_ratio, 2), "time_ratio": round(time_ratio, 2), "cpu_ratio": round(cpu_ratio, 2),
            "linear": time_ratio <= size_ratio, "linear_in_cpu_time": cpu_ratio <= size_ratio}
    return out


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
    parser.add_argument("--no-rescore", action="store_true", help="skip timing `manage.py rescore` per size")
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
           "OUTBOX_RELAY_EMBEDDED": "0", "CELERY_TASK_ALWAYS_EAGER": "0" if args.worker else "1",
           "BENCH_RESCORE": "0" if args.no_rescore else "1"}
    processes: list[subprocess.Popen] = []
    worker_pids: list[int] = []
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
            worker_pids.append(worker.pid)
        wait_for_port(web_port, web)
        import uvloop  # the socket client's own cost per frame stays small (as in ws_latency)

        results = [uvloop.run(run_size(size, web_port=web_port, stub=stub, use_worker=args.worker, env=env,
                                        worker_pids=worker_pids))
                   for size in sizes]
    finally:
        if stub is not None:
            stub.stop()
        for process in reversed(processes):
            stop(process)
        if os.environ.get("BENCH_KEEP_DB") != "1":
            database_drop(args.pg_url, db_name)
    print_json({
        "benchmark": "e2e_import_score",
        "mode": ("celery worker child (-Q import,score, concurrency 1)" if args.worker
                 else "import and scoring services in-process (Celery eager); daphne + relay + Redis children"),
        "machine": {**machine_info(), "load_average": [round(x, 2) for x in os.getloadavg()]},
        "exchange_latency_ms": args.exchange_latency_ms,
        "results": results,
        "goals_s": GOALS_S,
        "goal_rss_mb": GOAL_RSS_MB,
        "rescore_goals": RESCORE_GOALS,
        "rescore_linearity": rescore_linearity(results),
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
