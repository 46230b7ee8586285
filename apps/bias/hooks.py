"""What the bias app plugs into the apps below it (registered in BiasConfig.ready)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from apps.trades.hooks import ImportFinished, on_import_finished

from .services.scoring_runs import scoring_request


def import_finished_score(event: ImportFinished) -> None:
    """Every import hands its trades to scoring once, at its final state — done, failed or parked: the pages
    it stored before failing are labelled too."""
    if event.inserted:
        scoring_request(user_id=event.user_id, source=f"import:{event.job_id}")


def register() -> None:
    on_import_finished(import_finished_score)


# --- what higher apps can plug into scoring ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TradesScored:
    user_id: str
    trades_scored: int


_trades_scored: list[Callable[[TradesScored], None]] = []


def on_trades_scored(hook: Callable[[TradesScored], None]) -> Callable[[TradesScored], None]:
    """Register `hook(TradesScored)`: called inside the transaction that finishes a scoring run of the user
    (tags, positions and events committed with what the hook writes, or not at all). Register in ready()."""
    if hook not in _trades_scored:
        _trades_scored.append(hook)
    return hook


def trades_scored_notify(event: TradesScored) -> None:
    for hook in list(_trades_scored):
        hook(event)
