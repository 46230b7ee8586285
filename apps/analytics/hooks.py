"""What analytics plugs into the apps below it (registered in AnalyticsConfig.ready)."""
from __future__ import annotations

from apps.bias.registry import TradesScored, on_trades_scored

from .services.readmodel import rollups_keep_complete, trade_facts_refresh


def trades_scored_facts(event: TradesScored) -> None:
    """Inside the transaction that finishes a scoring run: bring the read model in step with it — only the
    trades from the run's earliest labelled one on (all of them when the run does not say)."""
    if event.trades_scored:
        trade_facts_refresh(user_id=event.user_id, since=event.since)
    else:  # nothing labelled; a trade deleted since the last run still leaves its day's sums
        rollups_keep_complete(user_id=event.user_id)


def register() -> None:
    on_trades_scored(trades_scored_facts)
