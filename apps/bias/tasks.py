"""Worker entry points for scoring: ids in, one service call."""
from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, queue="score", max_retries=3)
def bias_score_trades_task(*, user_id: str, trade_ids: list[str]) -> None:
    from .services import bias_score_trades

    bias_score_trades(user_id=user_id, trade_ids=trade_ids)
