"""Background jobs (`apps.core.jobs.LeasedJob` rows) in the metrics: how many are in each status, how long
each took to reach its final state, what imports stored and how long scoring took per trade.

Read from the rows themselves, so no job code has to call anything: a gauge counted at scrape time, and a
`post_save` receiver (metrics only, no domain flow) that records a job's final state after its commit.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db import transaction
from django.db.models import Count
from django.db.models.signals import post_save
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from ..jobs import FINAL_STATUSES, JobStatus, LeasedJob
from .metrics import JOB_DURATION, SCORING_PER_TRADE, TRADES_IMPORTED

# Per job kind (model label): the field counting what a finished job produced, and what it feeds.
IMPORTS = "trades.importjob"
SCORING_RUNS = "bias.scoringrun"


def job_models() -> list[type[LeasedJob]]:
    return [model for model in apps.get_models() if issubclass(model, LeasedJob)]


def job_kind_label(model: type[LeasedJob]) -> str:
    return model._meta.label_lower


def jobs_by_status() -> Iterable[Metric]:
    family = GaugeMetricFamily("twin_jobs", "Background jobs by kind and status.", labels=["kind", "status"])
    for model in job_models():
        counts = dict(model.objects.order_by().values_list("status").annotate(n=Count("pk")))
        for status in JobStatus.values:
            family.add_metric([job_kind_label(model), status], counts.get(status, 0))
    yield family


def job_finished_observe(*, kind: str, job: LeasedJob) -> None:
    """Record one job that reached its final state."""
    created = getattr(job, "created_at", None)
    finished = job.finished_at or timezone.now()
    seconds = max(0.0, (finished - created).total_seconds()) if created else None
    if seconds is not None:
        JOB_DURATION.labels(kind=kind, status=job.status).observe(seconds)
    if kind == IMPORTS and job.status == JobStatus.DONE:
        TRADES_IMPORTED.inc(max(0, int(getattr(job, "inserted", 0) or 0)))
    if kind == SCORING_RUNS and job.status == JobStatus.DONE and seconds is not None:
        scored = int(getattr(job, "trades_scored", 0) or 0)
        if scored > 0:
            SCORING_PER_TRADE.observe(seconds / scored)


def _on_job_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    if not isinstance(instance, LeasedJob) or instance.status not in FINAL_STATUSES:
        return
    if update_fields is not None and "finished_at" not in update_fields:
        return  # a later write to a finished job (not the transition itself)
    kind = job_kind_label(type(instance))
    transaction.on_commit(lambda: job_finished_observe(kind=kind, job=instance))


def job_metrics_connect() -> None:
    post_save.connect(_on_job_saved, dispatch_uid="observability.job_finished")
