"""Worker entry points of the shared job mechanics (beat runs the reaper)."""
from celery import shared_task

from .jobs import jobs_reap


@shared_task(name="core.jobs_reap", queue="default", ignore_result=True)
def jobs_reap_task() -> int:
    return jobs_reap()
