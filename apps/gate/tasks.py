"""Worker entry points of the gate: an id in, one service call. Dispatched by name (nothing imports this)."""
from celery import shared_task

from .services import cooldowns_end_expired, intent_evaluate


@shared_task(name="gate.intent_evaluate", acks_late=True, reject_on_worker_lost=True, queue="gate")
def intent_evaluate_task(*, job_id: str) -> str | None:
    intent = intent_evaluate(intent_id=job_id)
    return intent.decision or intent.status if intent else None


@shared_task(name="gate.cooldowns_end", queue="gate", ignore_result=True)
def cooldowns_end_task() -> int:
    return cooldowns_end_expired()
