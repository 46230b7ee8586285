"""Worker entry points for scoring: a run id in, one service call. Dispatched by name through
`apps.core.jobs` (nothing imports this module)."""
from celery import shared_task

from .services.scoring_runs import scoring_run_execute


@shared_task(name="bias.scoring_run", acks_late=True, reject_on_worker_lost=True, queue="score")
def scoring_run_task(*, job_id: str) -> str | None:
    run = scoring_run_execute(run_id=job_id)
    return run.status if run else None
