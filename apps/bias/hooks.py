"""What the bias app plugs into the apps below it (registered in BiasConfig.ready)."""
from __future__ import annotations

from apps.core.readcache import user_data_changed
from apps.trades.hooks import ImportFinished, on_import_finished

from .registry import TradesScored, on_trades_scored
from .services.scoring_runs import scoring_request


def import_finished_score(event: ImportFinished) -> None:
    """Every import hands its trades to scoring once, at its final state — done, failed or parked: the pages
    it stored before failing are labelled too."""
    if event.inserted:
        scoring_request(user_id=event.user_id, source=f"import:{event.job_id}")


def scored_data_changed(event: TradesScored) -> None:
    """A scoring run rewrote labels, positions, reflections and rollups: the user's cached reads go when it
    commits."""
    user_data_changed(event.user_id)


def register() -> None:
    on_import_finished(import_finished_score)
    on_trades_scored(scored_data_changed)
