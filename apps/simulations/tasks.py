"""Worker entry point for simulations: a job id in, one service call. Dispatched by name through
`apps.core.jobs` (nothing imports this module)."""
from celery import shared_task

from .services import simulation_execute


@shared_task(name="simulations.run", acks_late=True, reject_on_worker_lost=True, queue="sim")
def simulation_run_task(*, job_id: str) -> str | None:
    simulation = simulation_execute(job_id=job_id)
    return simulation.status if simulation else None
