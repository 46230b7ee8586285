"""The metrics this app exports (Prometheus, via prometheus-client), and the sources read at scrape time.

Several processes: set `PROMETHEUS_MULTIPROC_DIR` (an empty directory per host or container, emptied at
start) before the processes start; each process then writes its samples there and whichever process
answers a scrape (`/metrics` on web, `metrics_http_serve` in a worker or relay) reports the sum over all of
them. Without it each process reports its own. Values read from the database, the cache or the broker at
scrape time (`metrics_source_register`) are reported only by `/metrics` on web, so they are counted once.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600)
PUSH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# --- HTTP --------------------------------------------------------------------------------------------------
HTTP_REQUESTS = Counter("twin_http_requests", "HTTP requests answered, by route template and status.",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("twin_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
                         ["method", "route"], buckets=LATENCY_BUCKETS)

# --- sockets and the relay ---------------------------------------------------------------------------------
WS_OPEN = Gauge("twin_ws_connections_open", "WebSocket connections open now.", multiprocess_mode="livesum")
WS_OPENED = Counter("twin_ws_connections_opened", "WebSocket connections accepted.")
WS_FRAMES = Counter("twin_ws_frames_sent", "Frames sent to WebSocket clients.")
WS_OVERFLOWS = Counter("twin_ws_overflow_markers", "Sync markers sent because a client read too slowly.")
WS_ERRORS = Counter("twin_ws_errors", "Error frames sent to WebSocket clients, by code.", ["code"])
PUSH_LATENCY = Histogram("twin_push_latency_seconds", "Outbox commit to socket send, for live pushes.",
                         buckets=PUSH_BUCKETS)
RELAY_PUBLISHED = Counter("twin_relay_published_events", "Outbox events the relay published.")
RELAY_FAILURES = Counter("twin_relay_round_failures", "Relay rounds that failed and were retried.")

# --- Celery and jobs ---------------------------------------------------------------------------------------
TASK_RUNS = Counter("twin_celery_tasks", "Celery task runs that ended, by task and outcome.", ["task", "state"])
TASK_DURATION = Histogram("twin_celery_task_duration_seconds", "Run time of a Celery task.", ["task"],
                          buckets=JOB_BUCKETS)
TASK_WAIT = Histogram("twin_celery_task_queue_wait_seconds", "Time from sending a task to its start.", ["task"],
                      buckets=JOB_BUCKETS)
JOB_DURATION = Histogram("twin_job_duration_seconds", "Creation to final state of a background job.",
                         ["kind", "status"], buckets=JOB_BUCKETS)
TRADES_IMPORTED = Counter("twin_trades_imported", "Trades stored by finished imports.")
SCORING_PER_TRADE = Histogram("twin_scoring_seconds_per_trade", "Scoring run time divided by the trades it scored.",
                              buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0))

# Metric names the scrape-time sources produce (the dashboard test checks the dashboard against these).
SCRAPE_TIME_METRICS = ("twin_jobs", "twin_celery_queue_depth", "twin_relay_heartbeat_age_seconds",
                       "twin_outbox_lag_seconds", "twin_outbox_undelivered")

# --- scrape-time sources -----------------------------------------------------------------------------------

Source = Callable[[], Iterable[Metric]]
_sources: dict[str, Source] = {}


def metrics_source_register(*, name: str, source: Source) -> None:
    """Add a function called at each scrape of `/metrics` that yields metric families (e.g. a gauge read from
    the database). A higher app registers its own in `AppConfig.ready()`; a failing source is logged and
    skipped, never failing the scrape."""
    _sources[name] = source


class _ScrapeTimeCollector:
    def collect(self) -> Iterable[Metric]:
        for name, source in list(_sources.items()):
            try:
                yield from list(source())
            except Exception:
                logger.warning("metrics source %s failed", name, exc_info=True)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _process_registry() -> CollectorRegistry:
    """This process's samples, or every process's when multiprocess mode is on."""
    if multiprocess_dir() is None:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics_render(*, include_sources: bool) -> bytes:
    """The Prometheus text exposition of the process metrics (+ the scrape-time sources)."""
    body = generate_latest(_process_registry())
    if include_sources:
        extra = CollectorRegistry(auto_describe=False)
        extra.register(_ScrapeTimeCollector())
        body += generate_latest(extra)
    return body


def gauge(name: str, documentation: str, value: float | None, **labels: str) -> GaugeMetricFamily | None:
    if value is None:
        return None
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    family.add_metric(list(labels.values()), value)
    return family


_served = {"port": None}
_served_lock = threading.Lock()


# All interfaces: inside a container the port is reached from the compose network, not published on the host.
def metrics_http_serve(*, port: int, address: str = "0.0.0.0") -> None:  # nosec B104
    """Serve this process's metrics (all processes' in multiprocess mode) on `port`: for a worker or a relay,
    which answer no HTTP themselves. Once per process."""
    from prometheus_client import start_http_server

    with _served_lock:
        if _served["port"] is not None:
            return
        start_http_server(port, addr=address, registry=_process_registry())
        _served["port"] = port
    logger.info("metrics served on port %d", port)


# --- heartbeats --------------------------------------------------------------------------------------------

HEARTBEAT_INTERVAL = 1.0
_beats: dict[str, float] = {}


def heartbeat_record(*, name: str, ttl: int = 300) -> None:
    """Note in the shared cache that the long-lived loop `name` (e.g. the relay) is alive; at most once a second."""
    now = time.time()
    if now - _beats.get(name, 0.0) < HEARTBEAT_INTERVAL:
        return
    from django.core.cache import cache

    try:
        cache.set(f"heartbeat:{name}", now, ttl)
    except Exception:  # the cache is down: the missing beat is what /readyz then reports
        logger.warning("recording the %s heartbeat failed", name, exc_info=True)
        return
    _beats[name] = now


async def heartbeat_record_async(*, name: str, ttl: int = 300) -> None:
    """`heartbeat_record` from an event loop (the cache write, when due, runs on a worker thread)."""
    if time.time() - _beats.get(name, 0.0) < HEARTBEAT_INTERVAL:
        return
    from asgiref.sync import sync_to_async

    await sync_to_async(heartbeat_record, thread_sensitive=False)(name=name, ttl=ttl)


def heartbeat_age(*, name: str) -> float | None:
    """Seconds since `name` last beat, None when it never did (or not within the ttl)."""
    from django.core.cache import cache

    beat = cache.get(f"heartbeat:{name}")
    return None if beat is None else max(0.0, time.time() - float(beat))
