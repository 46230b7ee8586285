"""Outbox commit → WebSocket client latency with the production topology on loopback, one relay against N.

    .venv/bin/python -m benchmarks.ws_latency [--clients 500] [--sockets-per-user 5] [--rate 200]
                                              [--duration 15] [--relays 2] [--backlog 5000] [--drain-backlog 50000]
                                              [--web-procs 2]
                                              [--server gunicorn|daphne]
                                              [--pg-url postgres://postgres@127.0.0.1:5432]

Creates a throwaway PostgreSQL database, starts a private redis-server, the web server (below) and one
`manage.py relay_outbox`, connects the clients (users × sockets each), then for one relay and again after `--relays` relays share the partitions:
- steady: appends events in committed transactions at `--rate` per second, round-robin over the users.
  Latency is measured from just after COMMIT returns to the frame arriving at each socket (goal: p99 ≤ 100 ms
  at 1,000 deliveries/s, i.e. 200 events/s to 5 sockets each).
- capacity: commits `--backlog` events (round-robin over the users) in one transaction and times how fast
  the relays publish them (commit → the relay watermark passing the last row) and how fast every socket has them, with the
  CPU seconds each part of the topology spent meanwhile (relays, their database backends, web processes,
  socket clients, Redis).
Then the relays' own capacity, isolated from the sockets (`relay_drain`): `--drain-trials` pairs of one relay
and N relays, interleaved (the extra relays are stopped and started again in between: the real hand-over),
each draining a `--drain-backlog` (default 50,000: a trial of 5,000 lasted 0.1-0.3 s, too short for a steady
ratio) committed for users with no socket open (after a small warm-up backlog, so a relay just started does
not pay its first-use costs in the trial), so the publishes go to Redis and the web
processes and socket clients stay idle. The ratio of the medians (N relays to one) is the scale-out
figure (goal: 2 relays ≥ 1.6×). On the 2-core machine the socket side of the capacity phase takes most of
the CPU (see its `cpuSeconds`), so its publish ratio says how much CPU is left for relays, not how relays scale.
Two baselines are measured in the same run over the same sockets, at the same rate, without outbox or relay:
the relay's transport alone (`baseline_raw_publish`: one Redis pub/sub message per event, see
apps/events/fanout.py) and a raw channel-layer `group_send` (`baseline_raw_group_send`: the transport the relay
used before). Prints one JSON document.

The web server is the production command (`--server gunicorn`: gunicorn with `--web-procs` uvicorn workers
on one port; the kernel spreads the connections) or `--web-procs` daphne processes (`--server daphne`). One
light client process (asyncio on uvloop; it reads each frame's eventId without decoding the frame) holds all
the sockets; the steady appends come from 4 threads sharing one schedule, so the offered rate holds on a
loaded machine.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.common import database_create, database_drop, json_string_after, machine_info, percentile, print_json

ROOT = Path(__file__).resolve().parent.parent
GOAL = {"p99_ms": 100.0, "deliveries_per_s": 1000.0, "relay_scaleout": 1.6}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing on port {port}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def summary(latencies_ms: list[float], *, events: int, expected: int, seconds: float) -> dict:
    return {
        "events": events,
        "deliveries": len(latencies_ms),
        "lost": expected - len(latencies_ms),
        "p50_ms": round(percentile(latencies_ms, 50) or 0, 2),
        "p95_ms": round(percentile(latencies_ms, 95) or 0, 2),
        "p99_ms": round(percentile(latencies_ms, 99) or 0, 2),
        "max_ms": round(max(latencies_ms, default=0), 2),
        "events_per_s": round(events / seconds, 1),
        "deliveries_per_s": round(len(latencies_ms) / seconds, 1),
    }


def frame_key(raw: str) -> str | None:
    """The frame's eventId (or the baseline's payload key) without decoding the whole frame: the client
    process stays light, so the figures are the server's, not the client's."""
    for marker in ('"eventId": "', '"key": "'):
        key = json_string_after(raw, marker)
        if key is not None:
            return key
    return None


class Receivers:
    """Open sockets; each records (key → receive time) for the frames it gets."""

    def __init__(self):
        self.arrivals: dict[str, list[float]] = {}
        self.connections = []
        self.closed_early: list[str] = []
        self.connect_retries = 0

    async def open(self, urls: list[str], cookies: list[str]) -> None:
        from websockets.asyncio.client import connect

        async def one(index: int, cookie: str):
            url = urls[index % len(urls)]
            origin = url.replace("ws://", "http://").split("/ws/")[0]
            for attempt in range(5):  # a handshake can fail on a loaded machine; clients retry
                try:
                    ws = await connect(url, additional_headers={"Cookie": cookie}, origin=origin, open_timeout=90,
                                       max_queue=None)
                    break
                except Exception:
                    self.connect_retries += 1
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.5 * (attempt + 1))
            self.connections.append(ws)
            asyncio.create_task(self._read(ws))

        for start in range(0, len(cookies), 25):
            await asyncio.gather(*(one(start + offset, cookie) for offset, cookie in enumerate(cookies[start:start + 25])))

    async def _read(self, ws) -> None:
        try:
            async for raw in ws:
                now = time.time()
                key = frame_key(raw)
                if key:
                    self.arrivals.setdefault(key, []).append(now)
        except Exception as exc:  # the socket closed: its missing frames count as lost deliveries
            self.closed_early.append(repr(exc)[:200])
            return
        if ws.close_code not in (None, 1000):
            self.closed_early.append(f"closed {ws.close_code} {ws.close_reason}")

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.connections), return_exceptions=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--sockets-per-user", type=int, default=5)
    parser.add_argument("--rate", type=float, default=200.0, help="events appended per second (each to one user's sockets)")
    parser.add_argument("--relays", type=int, default=1, help="relay processes for the second round (1 = one round)")
    parser.add_argument("--backlog", type=int, default=5000, help="events committed at once in the capacity phase")
    parser.add_argument("--drain-backlog", type=int, default=50_000,
                        help="events each relay-drain trial commits at once (5,000 drained in 0.1-0.3 s: too "
                             "short a trial for a steady ratio)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of steady appends per phase")
    parser.add_argument("--drain-trials", type=int, default=3,
                        help="interleaved pairs of one relay and --relays relays draining a backlog without sockets")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--client-procs", type=int, default=1, help="processes holding the sockets")
    parser.add_argument("--web-procs", type=int, default=2, help="web processes holding the sockets")
    parser.add_argument("--server", choices=("gunicorn", "daphne"), default="gunicorn",
                        help="gunicorn: the production web command with WEB_CONCURRENCY=--web-procs on one port; "
                             "daphne: --web-procs daphne processes, sockets spread over their ports")
    parser.add_argument("--settings", default="twin.settings.base", help=argparse.SUPPRESS)
    parser.add_argument("--client-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_worker:
        return client_worker()


    db_name = f"bench_ws_latency_{os.getpid()}"
    redis_port = free_port()
    web_ports = [free_port() for _ in range(args.web_procs if args.server == "daphne" else 1)]
    database_create(args.pg_url, db_name)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": args.settings, "DATABASE_URL": f"{args.pg_url}/{db_name}",
           "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
           "CACHE_KEY_PREFIX": "bench", "LOG_LEVEL": "WARNING", "RATELIMIT_ENABLE": "0"}
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
        result = asyncio.run(run(args, env, web_ports, processes))
    finally:
        for process in reversed(processes):
            stop(process)
        database_drop(args.pg_url, db_name)
    print_json(result)
    return 0


RELAY_LOGS: list = []
RELAYS: list[subprocess.Popen] = []  # the relays running now, oldest first
RELAY_APP_NAME = "bench-relay"  # their database connections' application_name (CPU accounting)


def start_relay(env: dict, processes: list) -> subprocess.Popen:
    """A relay whose log goes to a temporary file (shown if the relays do not come up)."""
    import tempfile

    log = tempfile.TemporaryFile(mode="w+")
    RELAY_LOGS.append(log)
    relay = subprocess.Popen([sys.executable, "manage.py", "relay_outbox", "--poll-interval", "0.5"], cwd=ROOT,
                             env={**env, "PGAPPNAME": RELAY_APP_NAME}, stdout=subprocess.DEVNULL, stderr=log)
    processes.append(relay)
    RELAYS.append(relay)
    return relay


async def relays_set(count: int, env: dict, processes: list) -> list[int]:
    """Start or stop (SIGTERM: the partitions are handed over) relays until `count` run and share the partitions."""
    while len(RELAYS) > count:
        await asyncio.to_thread(stop, RELAYS.pop())
    while len(RELAYS) < count:
        start_relay(env, processes)
    return await asyncio.to_thread(relays_wait_balanced, count)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_children(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        children.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return children


def relay_backends() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
                       [RELAY_APP_NAME])
        return [row[0] for row in cursor.fetchall()]


class CpuMeter:
    """CPU seconds spent by each part of the topology between two snapshots (a process that exited in between
    counts up to its last snapshot; one that started counts from zero)."""

    def __init__(self, roles: dict):
        self.roles = roles  # role -> function returning its pids

    def snapshot(self) -> dict[str, dict[int, float]]:
        taken = {}
        for role, pids in self.roles.items():
            taken[role] = {pid: cpu for pid in pids() if (cpu := process_cpu(pid)) is not None}
        return taken

    def since(self, before: dict[str, dict[int, float]]) -> dict[str, float]:
        now = self.snapshot()
        return {role: round(sum(cpu - before[role].get(pid, 0.0) for pid, cpu in now[role].items()), 3)
                for role in self.roles}


def relay_logs_tail() -> str:
    tails = []
    for log in RELAY_LOGS:
        log.seek(0)
        tails.append(log.read()[-1500:])
    return "\n---\n".join(tails)


def relays_holding() -> list[int]:
    """How many outbox partitions each live relay holds."""
    from django.db import connection

    from apps.events.services import RELAY_PARTITION_LOCK

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted "
                       "AND classid::bigint = %s AND database = (SELECT oid FROM pg_database "
                       "WHERE datname = current_database()) GROUP BY pid", [RELAY_PARTITION_LOCK])
        return sorted(row[0] for row in cursor.fetchall())


def relays_wait_balanced(count: int, timeout: float = 180) -> list[int]:
    from apps.events.services import RELAY_PARTITIONS

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = relays_holding()
        if len(held) == count and sum(held) == RELAY_PARTITIONS and max(held) <= -(-RELAY_PARTITIONS // count):
            return held
        time.sleep(0.1)
    raise TimeoutError(f"{count} relays did not share the partitions: {relays_holding()}\n{relay_logs_tail()}")


async def relay_round(args, users: list[str], relays: int, meter: CpuMeter) -> dict:
    """Steady appends, then a committed backlog, with `relays` relays running. -> the raw timings."""
    from asgiref.sync import sync_to_async

    held = await asyncio.to_thread(relays_wait_balanced, relays)
    count = max(1, int(args.rate * args.duration))
    commits: dict[str, float] = {}
    sampler = WatermarkSampler()
    sampler.start()
    try:
        steady_seconds, owners = await asyncio.to_thread(append_steadily, users, count, args.rate, commits)
        await asyncio.sleep(2.0)
    finally:
        await asyncio.to_thread(sampler.stop)
    relay_lag = await sync_to_async(relay_lag_ms)(commits, sampler.samples)
    backlog_commit, backlog_owners = await asyncio.to_thread(append_backlog, users, args.backlog)
    before = await asyncio.to_thread(meter.snapshot)
    published_at = await asyncio.to_thread(wait_published, list(backlog_owners))
    await asyncio.sleep(2.0)  # the sockets receive the rest: the CPU below covers delivery too
    cpu = await asyncio.to_thread(meter.since, before)
    return {"relays": relays, "partitionsHeld": held, "commits": commits, "owners": owners,
            "steadySeconds": steady_seconds, "relayLag": relay_lag, "backlogCommit": backlog_commit,
            "backlogOwners": backlog_owners, "backlogPublishedAt": published_at, "cpuSeconds": cpu}


async def relay_drain_trials(args, offline: list[str], env: dict, processes: list, meter: CpuMeter) -> dict:
    """One relay against `--relays`, interleaved, each draining a backlog of users without sockets."""
    trials: dict[int, list[dict]] = {1: [], args.relays: []}
    for trial in range(args.drain_trials):
        for relays in ((args.relays, 1) if trial % 2 == 0 else (1, args.relays)):
            held = await relays_set(relays, env, processes)
            # A relay that just started pays its first-use costs (imports, connections) on its first rows:
            # a small backlog first, so the trial measures relays that are warm.
            _, warm = await asyncio.to_thread(append_backlog, offline, max(len(offline), args.drain_backlog // 10))
            await asyncio.to_thread(wait_published, list(warm), cheap=True)
            await asyncio.sleep(1.0)
            load = os.getloadavg()[0]
            committed, owners = await asyncio.to_thread(append_backlog, offline, args.drain_backlog)
            before = await asyncio.to_thread(meter.snapshot)
            published_at = await asyncio.to_thread(wait_published, list(owners), cheap=True)
            cpu = await asyncio.to_thread(meter.since, before)
            seconds = max(0.001, published_at - committed)
            relay_cpu = cpu["relays"] + cpu["relayDatabase"]
            trials[relays].append({"partitionsHeld": held, "events": len(owners), "seconds": round(seconds, 3),
                                   "events_per_s": round(len(owners) / seconds, 1), "loadAverage1m": round(load, 2),
                                   "cpuSeconds": cpu,
                                   "relay_cpu_us_per_event": round(relay_cpu / len(owners) * 1e6, 1),
                                   # cores the relays and their backends kept busy (the machine's count caps it)
                                   "relay_cores_busy": round(relay_cpu / seconds, 2),
                                   "cores": os.cpu_count()})
    figures = {}
    for relays, runs in trials.items():
        rates = sorted(run["events_per_s"] for run in runs)
        figures[str(relays)] = {"median_events_per_s": percentile(rates, 50), "trials": runs}
    return figures


async def run(args, env: dict, web_ports: list[int], processes: list) -> dict:
    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer

    users, cookies = await sync_to_async(make_users)(args.clients, args.sockets_per_user)
    offline = await sync_to_async(make_offline_users)(len(users))
    webs = []
    for port in web_ports:
        if args.server == "gunicorn":
            command = [sys.executable, "-m", "gunicorn", "-c", "python:twin.gunicorn_conf", "twin.asgi:application"]
            web_env = {**env, "WEB_CONCURRENCY": str(args.web_procs), "WEB_BIND": f"127.0.0.1:{port}",
                       "WEB_LOG_LEVEL": "warning"}
        else:
            command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "twin.asgi:application"]
            web_env = env
        webs.append(subprocess.Popen(command, cwd=ROOT, env=web_env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL))
        processes.append(webs[-1])
    start_relay(env, processes)
    for port, web in zip(web_ports, webs, strict=True):
        await asyncio.to_thread(wait_for_port, port, web)

    # The sockets live in their own processes so that appending and receiving do not share one interpreter.
    started = time.monotonic()
    workers = []
    for part in range(args.client_procs):
        worker = subprocess.Popen([sys.executable, "-m", "benchmarks.ws_latency", "--client-worker"], cwd=ROOT,
                                  env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        processes.append(worker)
        worker.stdin.write(json.dumps({"urls": [f"ws://127.0.0.1:{port}/ws/coach" for port in web_ports],
                                       "cookies": cookies[part::args.client_procs]}) + "\n")
        worker.stdin.flush()
        workers.append(worker)
    for worker in workers:
        line = await asyncio.to_thread(worker.stdout.readline)
        if line.strip() != "ready":
            raise RuntimeError(f"client worker failed: {line!r}")
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(1.0)
    count = max(1, int(args.rate * args.duration))
    redis_pid = processes[0].pid
    meter = CpuMeter({
        "relays": lambda: [relay.pid for relay in RELAYS],
        "relayDatabase": relay_backends,
        "otherDatabase": lambda: sorted(set(database_backends()) - set(relay_backends())),
        "web": lambda: [pid for web in webs for pid in (web.pid, *process_children(web.pid))],
        "clients": lambda: [worker.pid for worker in workers],
        "redis": lambda: [redis_pid],
    })

    # Outbox → relay(s) → Redis → web processes → sockets: one relay, then `--relays` of them.
    rounds = [await relay_round(args, users, 1, meter)]
    drains = None
    if args.relays > 1:
        for _ in range(args.relays - 1):
            start_relay(env, processes)
        rounds.append(await relay_round(args, users, args.relays, meter))
        # The relays alone: outbox → Redis for users without sockets (web processes and clients idle).
        drains = await relay_drain_trials(args, offline, env, processes, meter)

    # Baseline: raw group_send to the same groups from this process.
    layer = get_channel_layer()
    sends: dict[str, float] = {}
    owners: dict[str, str] = {}
    interval = 1.0 / args.rate
    t0 = time.perf_counter()
    for index in range(count):
        user_id = users[index % len(users)]
        key = f"b{index}"
        message = {"type": "outbox.event", "seq": 10**15 + index,
                   "event": {"type": "bench.raw", "eventId": None, "ts": "", "v": 1, "payload": {"key": key}}}
        sends[key] = time.time()
        owners[key] = user_id
        await layer.group_send(f"user.{user_id}", message)
        delay = t0 + (index + 1) * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    baseline_seconds = time.perf_counter() - t0
    await asyncio.sleep(2.0)

    # Baseline: the relay's transport alone (one pub/sub message per event, no outbox, no relay).
    from apps.events.fanout import FanoutPublisher, fanout_item

    publisher = FanoutPublisher()
    published: dict[str, float] = {}
    t0 = time.perf_counter()
    for index in range(count):
        user_id = users[index % len(users)]
        key = f"p{index}"
        envelope = {"type": "bench.raw", "eventId": None, "ts": "", "v": 1, "payload": {"key": key}}
        published[key] = time.time()
        owners[key] = user_id
        await publisher.publish([(user_id, [fanout_item(seq=2 * 10**15 + index, envelope=envelope)])])
        delay = t0 + (index + 1) * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    publish_seconds = time.perf_counter() - t0
    await publisher.close()
    await asyncio.sleep(2.0)

    arrivals: dict[str, list[float]] = {}
    closed_early: list[str] = []
    connect_retries = 0
    for worker in workers:
        worker.stdin.write("stop\n")
        worker.stdin.flush()
        report = json.loads(await asyncio.to_thread(worker.stdout.readline))
        closed_early.extend(report["closedEarly"])
        connect_retries += report["connectRetries"]
        for key, times in report["arrivals"].items():
            arrivals.setdefault(key, []).extend(times)
    per_user = args.sockets_per_user
    baseline = measure(sends, owners, arrivals, per_user, seconds=baseline_seconds)
    baseline_publish = measure(published, owners, arrivals, per_user, seconds=publish_seconds)
    measured = {}
    for one in rounds:
        steady = measure(one["commits"], one["owners"], arrivals, per_user, seconds=one["steadySeconds"])
        backlog_ids = list(one["backlogOwners"])
        last_arrivals = [max(arrivals[key]) for key in backlog_ids if key in arrivals]
        received = sum(len(arrivals.get(key, [])) for key in backlog_ids)
        publish_s = max(0.001, one["backlogPublishedAt"] - one["backlogCommit"])
        sockets_s = max(0.001, max(last_arrivals, default=one["backlogCommit"]) - one["backlogCommit"])
        measured[one["relays"]] = {
            "partitionsHeld": one["partitionsHeld"],
            "steady": steady,
            "steady_commit_to_relay_publish": one["relayLag"],
            "meets_latency_goal": (steady["p99_ms"] <= GOAL["p99_ms"] and steady["lost"] == 0
                                   and steady["deliveries_per_s"] >= 0.95 * GOAL["deliveries_per_s"]),
            "capacity": {"events": len(backlog_ids), "publishSeconds": round(publish_s, 3),
                         "published_events_per_s": round(len(backlog_ids) / publish_s, 1),
                         "socketsSeconds": round(sockets_s, 3), "deliveries": received,
                         "lost": len(backlog_ids) * per_user - received,
                         "delivered_per_s": round(received / sockets_s, 1), "cpuSeconds": one["cpuSeconds"]},
        }
    result = {
        "benchmark": "ws_latency",
        "machine": machine_info(),
        "load_average": os.getloadavg(),
        "config": {"clients": len(cookies), "users": len(users), "socketsPerUser": per_user,
                   "clientProcesses": args.client_procs, "server": args.server, "webProcesses": args.web_procs, "relays": args.relays,
                   "ratePerS": args.rate, "durationS": args.duration, "eventsPerPhase": count,
                   "backlog": args.backlog, "connectSeconds": round(connect_seconds, 2),
                   "connectRetries": connect_retries, "socketsClosedEarly": len(closed_early),
                   "closeReasons": sorted(set(closed_early))[:5]},
        "relays": {str(relays): figures for relays, figures in measured.items()},
        "baseline_raw_group_send": baseline,
        "baseline_raw_publish": baseline_publish,
        "goal": GOAL,
    }
    if args.relays > 1:
        one, many = measured[1]["capacity"], measured[args.relays]["capacity"]
        drain_one, drain_many = drains["1"]["median_events_per_s"], drains[str(args.relays)]["median_events_per_s"]
        result["relay_drain"] = drains
        result["scaleout"] = {
            "relay_drain_ratio": round(drain_many / drain_one, 2),
            "meets_scaleout_goal": drain_many / drain_one >= GOAL["relay_scaleout"],
            "relay_publish_ratio": round(many["published_events_per_s"] / one["published_events_per_s"], 2),
            "socket_delivery_ratio": round(many["delivered_per_s"] / max(0.1, one["delivered_per_s"]), 2),
        }
    return result


def database_backends() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'")
        return [row[0] for row in cursor.fetchall()]


def append_backlog(user_ids: list[str], count: int) -> tuple[float, dict[str, str]]:
    """`count` events round-robin over the users in one transaction. -> (time just after COMMIT, id → user)."""
    from django.db import connection, transaction

    from apps.accounts.models import User
    from apps.events.services import event_append

    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    owners: dict[str, str] = {}
    with transaction.atomic():
        for index in range(count):
            user_id = user_ids[index % len(user_ids)]
            owners[event_append(user=users[user_id], type="bench.burst", payload={"n": index}).id] = user_id
    committed = time.time()
    connection.close()
    return committed, owners


def wait_published(ids: list[str], timeout: float = 300, *, cheap: bool = False) -> float:
    """When the last of `ids` was published: the time the relay watermarks were last raised, once they cover
    every one of them (a relay raises its partitions' watermarks after each published batch, and only then).
    `cheap`: nothing else is being appended, so poll for any unpublished row through the two partial indexes
    instead of looking up every id (the poll's own database work stays small next to the relays')."""
    from django.db import connection
    from django.db.models import Max

    from apps.events.models import EventOutbox, RelayWatermark
    from apps.events.observability import outbox_undelivered
    from apps.events.services import outbox_delivered

    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if cheap and (EventOutbox.objects.filter(seq__isnull=True).exists() or outbox_undelivered()[1]):
                time.sleep(0.05)
                continue
            if len(outbox_delivered(ids=ids)) == len(ids):
                return RelayWatermark.objects.aggregate(last=Max("updated_at"))["last"].timestamp()
            time.sleep(0.05)
    finally:
        connection.close()
    raise TimeoutError("the backlog was not published in time")


def client_worker() -> int:
    config = json.loads(sys.stdin.readline())

    async def work():
        receivers = Receivers()
        await receivers.open(config["urls"], config["cookies"])
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        closed = list(receivers.closed_early)
        await receivers.close()
        return {"arrivals": receivers.arrivals, "closedEarly": closed, "connectRetries": receivers.connect_retries}

    try:
        import uvloop  # the web workers' loop: the client's own cost per frame stays small

        report = uvloop.run(work())
    except ImportError:
        report = asyncio.run(work())
    print(json.dumps(report), flush=True)
    return 0


def make_users(clients: int, per_user: int) -> tuple[list[str], list[str]]:
    from django.conf import settings
    from django.test import Client

    from apps.accounts.models import User

    count = max(1, -(-clients // per_user))
    users = User.objects.bulk_create([User(email=f"bench{i}@example.com", password="!") for i in range(count)])
    cookies = []
    for index in range(clients):
        client = Client()
        client.force_login(users[index // per_user])
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    return [str(u.pk) for u in users], cookies


def make_offline_users(count: int) -> list[str]:
    """Users with no socket open: the relays publish their events to Redis and no web process receives them."""
    from apps.accounts.models import User

    users = User.objects.bulk_create([User(email=f"offline{i}@example.com", password="!") for i in range(count)])
    return [str(u.pk) for u in users]


def append_steadily(user_ids: list[str], count: int, rate: float, commits: dict[str, float],
                    threads: int = 4) -> tuple[float, dict]:
    """`count` events at `rate` per second, one committed transaction each, round-robin over the users.
    Several threads share the schedule (event i is due at t0 + i / rate), so one slow commit on a loaded
    machine does not hold back the offered rate."""
    from django.db import connection, transaction

    from apps.accounts.models import User
    from apps.events.services import event_append

    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    owners: dict[str, str] = {}
    interval = 1.0 / rate
    t0 = time.perf_counter()

    def work(first: int) -> None:
        try:
            for index in range(first, count, threads):
                delay = t0 + index * interval - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                user_id = user_ids[index % len(user_ids)]
                with transaction.atomic():
                    event = event_append(user=users[user_id], type="bench.tick", payload={"n": index})
                commits[event.id] = time.time()
                owners[event.id] = user_id
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(first,)) for first in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - t0
    connection.close()
    return seconds, owners


class WatermarkSampler(threading.Thread):
    """Reads the relay watermarks every few milliseconds: when each position was published, to within one
    sample (the rows themselves do not say)."""

    INTERVAL = 0.005

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.done = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from apps.events.models import RelayWatermark

        try:
            while not self.done.is_set():
                marks = dict(RelayWatermark.objects.values_list("partition", "delivered_seq"))
                self.samples.append((time.time(), marks))
                self.done.wait(self.INTERVAL)
        finally:
            connection.close()

    def stop(self) -> None:
        self.done.set()
        self.join()


def relay_lag_ms(commits: dict[str, float], samples: list[tuple[float, dict[int, int]]]) -> dict:
    """Commit → published (the first watermark sample at or past the row's position): splits relay time from
    socket time."""
    from apps.events.models import EventOutbox
    from apps.events.services import outbox_partition_of

    lags = []
    rows = EventOutbox.objects.filter(id__in=list(commits), seq__isnull=False).values_list("id", "user_id", "seq")
    for event_id, user_id, seq in rows:
        part = outbox_partition_of(user_id)
        seen = next((at for at, marks in samples if marks.get(part, 0) >= seq), None)
        if seen is not None:
            lags.append((seen - commits[event_id]) * 1000)
    return {"p50_ms": round(percentile(lags, 50) or 0, 2), "p99_ms": round(percentile(lags, 99) or 0, 2),
            "undelivered": len(commits) - len(lags), "sampledEveryMs": WatermarkSampler.INTERVAL * 1000}


def measure(starts: dict[str, float], owners: dict[str, str], arrivals: dict[str, list[float]], per_user: int,
            *, seconds: float) -> dict:
    latencies = [(arrival - start) * 1000 for key, start in starts.items() for arrival in arrivals.get(key, [])]
    return summary(latencies, events=len(starts), expected=len(starts) * per_user, seconds=seconds)


if __name__ == "__main__":
    sys.exit(main())
