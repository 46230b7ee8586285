"""What analytics plugs into the apps below it (registered in AnalyticsConfig.ready)."""
from __future__ import annotations

from apps.bias.registry import TradesScored, on_trades_scored

from .services.readmodel import trade_facts_refresh


def trades_scored_facts(event: TradesScored) -> None:
    """Inside the transaction that finishes a scoring run: bring the read model in step with it."""
    trade_facts_refresh(user_id=event.user_id)


def register() -> None:
    on_trades_scored(trades_scored_facts)
