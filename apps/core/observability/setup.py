"""Wire observability into a process (called from `CoreConfig.ready()`, so every process gets it)."""
from __future__ import annotations

from django.conf import settings

from . import health, jobs, sources
from .logs import structlog_configure
from .metrics import metrics_source_register
from .tracing import tracing_enabled, tracing_start


def observability_start() -> None:
    structlog_configure()
    jobs.job_metrics_connect()
    metrics_source_register(name="jobs", source=jobs.jobs_by_status)
    metrics_source_register(name="celery_queues", source=sources.queue_depth_metrics)
    metrics_source_register(name="relay_heartbeat", source=sources.relay_heartbeat_metrics)
    if settings.READYZ_RELAY_MAX_AGE > 0:
        health.readiness_check_register(name="relay", check=health.relay_alive)
    if tracing_enabled():
        tracing_start()
