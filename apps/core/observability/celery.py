"""Celery: the request id travels in each task's headers; task run time, queue wait and outcomes are metrics.

`twin.celery` imports this module, so the receivers are connected in every process that sends or runs tasks
(web, worker, beat, relay) before Celery configures anything. Celery keeps its hands off logging
(`setup_logging` is answered here), so a worker's lines are the same structured lines as everyone's.

A worker serves its metrics on `METRICS_PORT` when that is set (every child process's samples, with
`PROMETHEUS_MULTIPROC_DIR`).
"""
from __future__ import annotations

import logging
import os
import time

import structlog
from celery import signals

from .metrics import TASK_DURATION, TASK_RUNS, TASK_WAIT, metrics_http_serve, multiprocess_dir

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "request_id"
USER_REF_HEADER = "user_ref"
SENT_AT_HEADER = "sent_at"
_started: dict[str, float] = {}
_bound: dict[str, dict] = {}  # task id → the context tokens to restore when it ends


@signals.setup_logging.connect(weak=False)
def _logging_is_django_s(loglevel=None, **kwargs) -> None:
    """Connected = Celery does not install its own handlers; Django's LOGGING (structured) applies, at the
    level given on the command line (`-l DEBUG`)."""
    if loglevel:
        logging.getLogger().setLevel(loglevel if isinstance(loglevel, int) else str(loglevel).upper())


@signals.before_task_publish.connect(weak=False)
def _headers_add(headers=None, **kwargs) -> None:
    if headers is None:
        return
    bound = structlog.contextvars.get_contextvars()
    for header, key in ((REQUEST_ID_HEADER, "requestId"), (USER_REF_HEADER, "userRef")):
        if bound.get(key) and header not in headers:
            headers[header] = bound[key]
    headers.setdefault(SENT_AT_HEADER, time.time())


@signals.task_prerun.connect(weak=False)
def _task_started(task_id=None, task=None, **kwargs) -> None:
    request = getattr(task, "request", None)
    eager = request is not None and getattr(request, "is_eager", False)
    carried = {} if eager or request is None else {  # eager: the caller's context is already ours
        "requestId": getattr(request, REQUEST_ID_HEADER, None), "userRef": getattr(request, USER_REF_HEADER, None)}
    values = {**carried, "task": getattr(task, "name", None), "taskId": task_id}
    tokens = structlog.contextvars.bind_contextvars(**{k: v for k, v in values.items() if v is not None})
    if task_id:
        _bound[task_id] = tokens
    sent_at = getattr(request, SENT_AT_HEADER, None) if request is not None else None
    if isinstance(sent_at, (int, float)):
        TASK_WAIT.labels(task=task.name).observe(max(0.0, time.time() - sent_at))
    if task_id:
        _started[task_id] = time.perf_counter()


@signals.task_postrun.connect(weak=False)
def _task_ended(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None) if task_id else None
    name = getattr(task, "name", "unknown")
    if started is not None:
        TASK_DURATION.labels(task=name).observe(time.perf_counter() - started)
    TASK_RUNS.labels(task=name, state=(state or "unknown").lower()).inc()
    tokens = _bound.pop(task_id, None) if task_id else None
    if tokens:  # back to the sender's context (eager) or to none (worker)
        structlog.contextvars.reset_contextvars(**tokens)


@signals.worker_init.connect(weak=False)
def _worker_metrics(**kwargs) -> None:
    port = int(os.environ.get("METRICS_PORT") or 0)
    if port:
        metrics_http_serve(port=port)


@signals.worker_process_shutdown.connect(weak=False)
def _child_gone(pid=None, **kwargs) -> None:
    if multiprocess_dir() and pid:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
