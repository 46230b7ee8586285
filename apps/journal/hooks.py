"""What the journal plugs into the apps below it (registered in JournalConfig.ready)."""
from __future__ import annotations

from apps.bias.registry import TradesScored, on_trades_scored
from apps.digest.registry import rule_streaks_provider

from .selectors import rule_streaks_for_digest
from .services import adherence_drafts_update


def trades_scored_adherence(event: TradesScored) -> None:
    """After scoring (the import's trades are stored and linked to their intents): adherence to each plan."""
    adherence_drafts_update(user_id=event.user_id)


def register() -> None:
    on_trades_scored(trades_scored_adherence)
    rule_streaks_provider(rule_streaks_for_digest)  # the digest reports the streaks /rules/ shows
