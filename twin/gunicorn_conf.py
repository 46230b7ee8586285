"""The production web server: gunicorn keeps `WEB_CONCURRENCY` uvicorn worker processes (HTTP and WebSockets
through `twin.asgi:application`), restarts one that dies, and shares one listening socket between them.

    gunicorn -c python:twin.gunicorn_conf twin.asgi:application

- `WEB_CONCURRENCY` (default: the number of CPUs): worker processes. Each serves many requests at once on
  its event loop; Django runs the views on threads, so one process uses at most about one core. Use one
  or two per core; the README says how to scale further (more containers behind the proxy).
- `WEB_BIND` (default `0.0.0.0:8000`).
- `DB_POOL_MAX_SIZE` (default 8): each process keeps a psycopg connection pool of this size (see
  `twin.settings.production`); the pool hands a request's connection back when the request ends. Mind
  PostgreSQL's `max_connections`: processes × this size, plus workers and relays.
- `WEB_THREADS` (default: `DB_POOL_MAX_SIZE`): the long-lived threads of a process that run requests'
  Django part, one request per thread at a time (`apps.core.asgi.RequestThreadsMiddleware`; Django alone
  would start a thread per request, with new database and cache clients each time).

Each worker, once it has loaded the app, imports the URLconf (every view module) and then freezes what it
holds (`gc.freeze`): the ~350,000 objects of Django, DRF and the engine's libraries stay out of the garbage
collector's full passes. Unfrozen, such a pass walks them all every few thousand requests and holds the GIL
for 100-400 ms, stalling every request of that process at once (the p95 spikes of one endpoint or another).

The client's address is not taken from `X-Forwarded-For` here (uvicorn's proxy headers are off): the app
reads it `TRUSTED_PROXY_COUNT` hops from the right (`apps.core.asgi`).
"""

from __future__ import annotations

import gc
import os

from uvicorn_worker import UvicornWorker

os.environ.setdefault("DB_POOL_MAX_SIZE", "8")

bind = [os.environ.get("WEB_BIND", "0.0.0.0:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
worker_class = "twin.gunicorn_conf.Worker"
graceful_timeout = 20
timeout = 60
keepalive = 5
accesslog = None  # requests are logged by the app (structured, with the request id)
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info").lower()  # the server's own lines ("Started server process …")
control_socket_disable = True  # no control socket in the (read-only) home directory


class Worker(UvicornWorker):
    """uvloop + httptools; Django does not speak the lifespan protocol; no server-side proxy-header trust."""

    CONFIG_KWARGS = {
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "off",
        "proxy_headers": False,
        "server_header": False,
        "ws_max_size": 1024 * 1024,
    }


def child_exit(server, worker) -> None:
    """A worker that exits takes its live gauges (open sockets) out of the summed `/metrics` (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    """The worker's app is loaded: import the views (else the first request does), then freeze every object
    held now, so the collector's full passes walk only what requests leave behind."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every URLconf and view module
    gc.collect()
    gc.freeze()
